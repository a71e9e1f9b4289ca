public import MaxCore

/// How many times, and for how long, a transient failure (a connection error, a timeout, a 5xx, a
/// 429) is tried again: exponential backoff with full jitter, bounded by attempts and by time.
///
/// A connector declares one in its definition; `max.json` may override it per installation:
///
/// ```json
/// "retry": {"maxAttempts": 8, "baseDelay": 0.5, "maxDelay": 30, "maxElapsed": 300}
/// ```
///
/// Delays are in seconds there. A `Retry-After` from the server replaces the computed delay.
public struct RetryPolicy: Sendable, Hashable {
    /// The most attempts one request gets, the first included (1 means no retry).
    public var maxAttempts: Int
    /// The cap of the first backoff; each later one doubles, up to ``maxDelay``.
    public var baseDelay: Duration
    /// The longest single wait the backoff computes.
    public var maxDelay: Duration
    /// Past this much time since the first attempt, no retry is started.
    public var maxElapsed: Duration

    /// Creates a policy.
    public init(maxAttempts: Int, baseDelay: Duration, maxDelay: Duration, maxElapsed: Duration) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxElapsed = maxElapsed
    }

    /// Sensible for SaaS APIs: 6 attempts, backoff from 0.5 s doubling to 30 s, within 2 minutes.
    public static let standard = RetryPolicy(
        maxAttempts: 6, baseDelay: .milliseconds(500), maxDelay: .seconds(30), maxElapsed: .seconds(120))

    /// For requests a person waits on (onboarding's checks and choices): 3 attempts within 10
    /// seconds, so one failure does not fail `max connect`, and a wrong URL is reported quickly.
    public static let interactive = RetryPolicy(
        maxAttempts: 3, baseDelay: .milliseconds(250), maxDelay: .seconds(2), maxElapsed: .seconds(10))

    /// No retries at all.
    public static let none = RetryPolicy(maxAttempts: 1, baseDelay: .zero, maxDelay: .zero, maxElapsed: .zero)

    /// This policy with the keys of `json` (an object from `max.json`) replacing its values.
    ///
    /// - Parameters:
    ///   - json: The override.
    ///   - path: Where the object is, for errors (`installations.acme.retry`).
    /// - Returns: The policy with the override applied.
    /// - Throws: `connector.invalid_policy` naming the key that is unknown, not a number, or out of
    ///   range; nothing is applied then.
    public func overridden(by json: JSONValue, at path: String) throws -> RetryPolicy {
        var result = self
        for field in try PolicyOverride.fields(of: json, at: path, example: #"{"maxAttempts": 8}"#) {
            switch field.key {
            case "maxAttempts": result.maxAttempts = try field.wholeNumber(in: 1...50)
            case "baseDelay": result.baseDelay = try field.seconds(zeroAllowed: true)
            case "maxDelay": result.maxDelay = try field.seconds(zeroAllowed: true)
            case "maxElapsed": result.maxElapsed = try field.seconds(zeroAllowed: true)
            default: throw field.unknown("retry", keys: ["maxAttempts", "baseDelay", "maxDelay", "maxElapsed"])
            }
        }
        guard result.baseDelay <= result.maxDelay else {
            throw MaxError.invalidPolicy("\(path).baseDelay", "must not exceed maxDelay")
        }
        return result
    }
}

extension MaxError {
    static func invalidPolicy(_ key: String, _ problem: String) -> MaxError {
        MaxError(
            .invalidPolicy, "'\(key)' \(problem)", hint: "fix it in max.json; until then nothing runs with it",
            context: ["key": key])
    }
}
