import Synchronization

/// The flow control every request of one installation passes through, across all sync workers: a
/// ``TokenBucket`` behind a lock, waiting on an ``ElapsedClock``.
///
/// Waiting requests reserve their tokens, so however many workers there are, requests leave at the
/// bucket's rate and memory holds only the waiting requests themselves (backpressure: a worker does
/// not fetch its next page until its request has gone out and come back).
public final class RequestLimiter: Sendable {
    private let bucket: Mutex<TokenBucket>
    private let clock: ElapsedClock

    /// A limiter at `limit`, timed by `clock`.
    public init(_ limit: RateLimit, clock: ElapsedClock = .continuous) {
        bucket = Mutex(TokenBucket(rate: limit.rate, burst: limit.burst))
        self.clock = clock
    }

    /// Waits for a token; returns how long it waited.
    @discardableResult
    public func acquire() async throws -> Duration {
        let now = clock.elapsed()
        let wait = bucket.withLock { $0.acquire(at: now) }
        if wait > .zero { try await clock.sleep(wait) }
        return wait
    }

    /// The server answered 429.
    public func throttled(retryAfter: Duration?) {
        let now = clock.elapsed()
        bucket.withLock { $0.throttled(at: now, retryAfter: retryAfter) }
    }

    /// A request got through.
    public func succeeded() {
        let now = clock.elapsed()
        bucket.withLock { $0.succeeded(at: now) }
    }

    /// The current rate, in requests a second.
    public var rate: Double { bucket.withLock { $0.rate } }
}
