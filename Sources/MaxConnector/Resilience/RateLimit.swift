public import MaxCore

/// A request rate a connector declares for its API: a sustained rate and the burst saved up for
/// quiet spells (the TypeScript Max's `Limit.rate`/`throttle`).
///
/// `max.json` may override it per installation: `"rateLimit": {"rate": 10, "burst": 5}`.
public struct RateLimit: Sendable, Hashable {
    /// Requests a second, sustained.
    public var rate: Double
    /// Requests that may go out at once after a quiet spell.
    public var burst: Int

    /// Creates a limit.
    public init(rate: Double, burst: Int) {
        self.rate = rate
        self.burst = burst
    }

    /// This limit with the keys of `json` (an object from `max.json`) replacing its values.
    ///
    /// - Parameters:
    ///   - json: The override.
    ///   - path: Where the object is, for errors (`installations.acme.rateLimit`).
    /// - Returns: The limit with the override applied.
    /// - Throws: `connector.invalid_policy` naming the key; nothing is applied then.
    public func overridden(by json: JSONValue, at path: String) throws -> RateLimit {
        guard let members = json.objectValue else {
            throw MaxError.invalidPolicy(path, "must be an object such as {\"rate\": 10, \"burst\": 5}")
        }
        var result = self
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "rate":
                guard let number = value.doubleValue, number.isFinite, number >= 0.01, number <= 10_000 else {
                    throw MaxError.invalidPolicy(
                        "\(path).rate", "must be a number of requests a second from 0.01 to 10000")
                }
                result.rate = number
            case "burst":
                guard let number = value.intValue, (1...10_000).contains(number) else {
                    throw MaxError.invalidPolicy("\(path).burst", "must be a whole number from 1 to 10000")
                }
                result.burst = number
            default:
                throw MaxError.invalidPolicy("\(path).\(key)", "is not a rate-limit setting (use rate, burst)")
            }
        }
        return result
    }
}
