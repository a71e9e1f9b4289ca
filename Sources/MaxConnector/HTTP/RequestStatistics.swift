import Synchronization

/// Counts what an installation's HTTP client did: attempts sent, retries, 429s.
///
/// The runtime keeps them with each sync run (`max runs`).
public final class RequestStatistics: Sendable {
    private let counts = Mutex((requests: 0, retries: 0, rateLimited: 0))

    /// Zero counts.
    public init() {}

    /// Attempts sent (retries included).
    public var requests: Int { counts.withLock { $0.requests } }
    /// Attempts that were retries.
    public var retries: Int { counts.withLock { $0.retries } }
    /// Answers that were 429.
    public var rateLimited: Int { counts.withLock { $0.rateLimited } }

    /// The counts so far, set back to zero in the same step: what was done since the last take.
    public func take() -> (requests: Int, retries: Int, rateLimited: Int) {
        counts.withLock { counts in
            defer { counts = (0, 0, 0) }
            return counts
        }
    }

    func countRequest() { counts.withLock { $0.requests += 1 } }
    func countRetry() { counts.withLock { $0.retries += 1 } }
    func countRateLimited() { counts.withLock { $0.rateLimited += 1 } }
}
