import MaxCore

/// One key of a policy override from `max.json` (`installations.acme.retry.maxAttempts`), read as
/// the type and range it must have; every error names the key and changes nothing.
struct PolicyOverride {
    /// The key within the override object.
    let key: String
    /// Its value.
    let value: JSONValue
    /// The key's full path, for errors.
    let name: String

    /// The keys of `json`, sorted, or an error if it is not an object.
    static func fields(of json: JSONValue, at path: String, example: String) throws -> [PolicyOverride] {
        guard let members = json.objectValue else {
            throw MaxError.invalidPolicy(path, "must be an object such as \(example)")
        }
        return members.sorted { $0.key < $1.key }.map {
            PolicyOverride(key: $0.key, value: $0.value, name: "\(path).\($0.key)")
        }
    }

    /// A whole number in `range`.
    func wholeNumber(in range: ClosedRange<Int>) throws -> Int {
        guard let number = value.intValue, range.contains(number) else {
            throw MaxError.invalidPolicy(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// A number that satisfies `isValid`; `requirement` says which (`must be …`).
    func number(_ requirement: String, where isValid: (Double) -> Bool) throws -> Double {
        guard let number = value.doubleValue, number.isFinite, isValid(number) else {
            throw MaxError.invalidPolicy(name, requirement)
        }
        return number
    }

    /// A number of seconds, at most an hour, and above zero unless `zeroAllowed`.
    func seconds(zeroAllowed: Bool) throws -> Duration {
        let seconds =
            zeroAllowed
            ? try number("must be a number of seconds from 0 to 3600") { (0...3600).contains($0) }
            : try number("must be a number of seconds above 0 and at most 3600") { $0 > 0 && $0 <= 3600 }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// The error for a key the override does not know.
    func unknown(_ kind: String, keys: [String]) -> MaxError {
        MaxError.invalidPolicy(name, "is not a \(kind) setting (use \(keys.joined(separator: ", ")))")
    }
}
