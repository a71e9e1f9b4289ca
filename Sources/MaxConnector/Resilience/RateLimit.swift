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
        var result = self
        for field in try PolicyOverride.fields(of: json, at: path, example: #"{"rate": 10, "burst": 5}"#) {
            switch field.key {
            case "rate":
                result.rate = try field.number("must be a number of requests a second from 0.01 to 10000") {
                    $0 >= 0.01 && $0 <= 10_000
                }
            case "burst": result.burst = try field.wholeNumber(in: 1...10_000)
            case "concurrency": result.concurrency = try field.wholeNumber(in: 1...1000)
            default: throw field.unknown("rate-limit", keys: ["rate", "burst", "concurrency"])
            }
        }
        return result
    }
}
