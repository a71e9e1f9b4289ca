public import MaxCore

/// The request limits a connector declares for its API: a sustained rate, the burst saved up for
/// quiet spells, and how many requests may be in flight at once (the TypeScript Max's
/// `Limit.rate`/`throttle`/`concurrent`).
///
/// `max.json` may override them per installation:
/// `"rateLimit": {"rate": 10, "burst": 5, "concurrency": 4}`.
public struct RateLimit: Sendable, Hashable {
    /// Requests a second, sustained.
    public var rate: Double
    /// Requests that may go out at once after a quiet spell.
    public var burst: Int
    /// Requests that may be in flight at once, across all workers; `nil` for no bound.
    public var concurrency: Int?

    /// Creates a limit.
    public init(rate: Double, burst: Int, concurrency: Int? = nil) {
        self.rate = rate
        self.burst = burst
        self.concurrency = concurrency
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
            case "concurrency":
                guard let number = value.intValue, (1...1000).contains(number) else {
                    throw MaxError.invalidPolicy("\(path).concurrency", "must be a whole number from 1 to 1000")
                }
                result.concurrency = number
            default:
                throw MaxError.invalidPolicy(
                    "\(path).\(key)", "is not a rate-limit setting (use rate, burst, concurrency)")
            }
        }
        return result
    }
}
