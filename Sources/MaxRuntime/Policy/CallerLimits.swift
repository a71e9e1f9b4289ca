public import MaxCore

/// How fast callers of `max serve` and MCP over HTTP may go: `max.json`'s `"limits"`.
///
/// ```json
/// "limits": {"perUser": {"rate": 5, "burst": 20}, "perProject": {"rate": 50, "burst": 100},
///            "perInstallation": {"rate": 20, "burst": 40}, "maxConcurrent": 16}
/// ```
///
/// Each is a token bucket: `burst` requests at once after a quiet spell, then `rate` a second. A
/// request over any of them is refused (`quota.exceeded`, 429 with `Retry-After`), never queued;
/// beyond `maxConcurrent` requests in flight at once, a request is refused the same way.
public struct CallerLimits: Sendable, Hashable {
    /// A sustained rate and a burst.
    public struct Rate: Sendable, Hashable {
        /// Requests a second.
        public var rate: Double
        /// Requests at once after a quiet spell.
        public var burst: Int

        /// A rate.
        public init(rate: Double, burst: Int) {
            self.rate = rate
            self.burst = burst
        }
    }

    /// Each user's.
    public var perUser: Rate?
    /// The whole project's.
    public var perProject: Rate?
    /// Each installation's.
    public var perInstallation: Rate?
    /// Requests in flight at once, across callers.
    public var maxConcurrent: Int?

    /// No limits.
    public init() {}

    /// The limits of `max.json`'s `"limits"` value.
    ///
    /// - Throws: `project.invalid_config` naming the key at fault.
    public init(json: JSONValue, path: String = "max.json") throws {
        func invalid(_ key: String, _ problem: String) -> MaxError {
            MaxError(
                .invalidProjectFile, "\(path): limits.\(key) \(problem)",
                hint: #"for example "limits": {"perUser": {"rate": 5, "burst": 20}, "maxConcurrent": 16}"#,
                context: ["key": "limits.\(key)"])
        }
        guard let object = json.objectValue else { throw invalid("", "must be an object") }
        func rate(_ key: String) throws -> Rate? {
            guard let value = object[key] else { return nil }
            guard let rate = value["rate"]?.doubleValue, rate > 0, rate <= 100_000 else {
                throw invalid("\(key).rate", "must be a number of requests a second above 0")
            }
            guard let burst = value["burst"]?.intValue, (1...100_000).contains(burst) else {
                throw invalid("\(key).burst", "must be a whole number of requests from 1 to 100000")
            }
            for field in value.objectValue?.keys ?? [:].keys where !["rate", "burst"].contains(field) {
                throw invalid("\(key).\(field)", "is not a rate key (rate, burst)")
            }
            return Rate(rate: rate, burst: burst)
        }
        for key in object.keys where !["perUser", "perProject", "perInstallation", "maxConcurrent"].contains(key) {
            throw invalid(key, "is not a limit (perUser, perProject, perInstallation, maxConcurrent)")
        }
        perUser = try rate("perUser")
        perProject = try rate("perProject")
        perInstallation = try rate("perInstallation")
        if let value = object["maxConcurrent"] {
            guard let count = value.intValue, (1...100_000).contains(count) else {
                throw invalid("maxConcurrent", "must be a whole number from 1 to 100000")
            }
            maxConcurrent = count
        }
    }
}

/// A token bucket that refuses rather than queues, as a pure state machine over elapsed time:
/// ``take(at:)`` takes a token, or says how long until one is back.
public struct QuotaBucket: Sendable, Hashable {
    /// Tokens back a second.
    public let rate: Double
    /// The most saved.
    public let burst: Double
    private var tokens: Double
    private var updated: Duration

    /// A full bucket at `now`.
    public init(rate: Double, burst: Int, at now: Duration) {
        self.rate = rate
        self.burst = Double(burst)
        tokens = Double(burst)
        updated = now
    }

    /// Takes a token at `now`: `nil` when there was one, else how long until there is.
    public mutating func take(at now: Duration) -> Duration? {
        let elapsed = now - updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(burst, tokens + max(0, seconds) * rate)
        updated = max(updated, now)
        guard tokens < 1 else {
            tokens -= 1
            return nil
        }
        return .milliseconds(Int64(((1 - tokens) / rate * 1000).rounded(.up)))
    }
}

extension MaxError.Code {
    /// A caller went over a limit of `max.json`'s `"limits"`.
    public static let quotaExceeded = Self(domain: "quota", name: "exceeded", category: .quotaExceeded)
}
