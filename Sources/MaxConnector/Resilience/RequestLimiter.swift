import Synchronization

/// The flow control every request of one installation passes through, across all sync workers: a
/// ``TokenBucket`` behind a lock, waiting on an ``ElapsedClock``, and a bound on requests in flight.
///
/// Waiting requests reserve their tokens, so however many workers there are, requests leave at the
/// bucket's rate and memory holds only the waiting requests themselves (backpressure: a worker does
/// not fetch its next page until its request has gone out and come back).
public final class RequestLimiter: Sendable {
    private struct Slots {
        /// Free slots; `nil` without a bound.
        var available: Int?
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let bucket: Mutex<TokenBucket>
    private let slots: Mutex<Slots>
    private let clock: ElapsedClock
    private let limit: RateLimit
    private let shared: (any SharedRequestBudget)?

    /// A limiter at `limit`, timed by `clock`; with `shared`, every request also takes its token
    /// from a budget that other processes draw on too.
    public init(_ limit: RateLimit, clock: ElapsedClock = .continuous, shared: (any SharedRequestBudget)? = nil) {
        bucket = Mutex(TokenBucket(rate: limit.rate, burst: limit.burst))
        slots = Mutex(Slots(available: limit.concurrency.map { max($0, 1) }))
        self.clock = clock
        self.limit = limit
        self.shared = shared
    }

    /// Waits for one of the limit's `concurrency` slots (at once without a bound); every call is
    /// paired with ``leave()`` when the request is done.
    public func enter() async {
        guard slots.withLock({ $0.available != nil }) else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = slots.withLock { slots -> Bool in
                guard let available = slots.available, available <= 0 else {
                    slots.available = slots.available.map { $0 - 1 }
                    return true
                }
                slots.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Gives a slot back, to the longest waiter if there is one.
    public func leave() {
        let next = slots.withLock { slots -> CheckedContinuation<Void, Never>? in
            guard !slots.waiters.isEmpty else {
                slots.available = slots.available.map { $0 + 1 }
                return nil
            }
            return slots.waiters.removeFirst()
        }
        next?.resume()
    }

    /// Requests in flight or waiting for a slot beyond the bound (0 without one).
    public var waiting: Int { slots.withLock { $0.waiters.count } }

    /// Waits for a token (from this process's bucket, and from the shared budget when there is
    /// one); returns how long it waited.
    @discardableResult
    public func acquire() async throws -> Duration {
        let now = clock.elapsed()
        var wait = bucket.withLock { $0.acquire(at: now) }
        if let shared { wait = max(wait, try await shared.take(limit)) }
        if wait > .zero { try await clock.sleep(wait) }
        return wait
    }

    /// The server answered 429.
    public func throttled(retryAfter: Duration?) {
        let now = clock.elapsed()
        bucket.withLock { $0.throttled(at: now, retryAfter: retryAfter) }
    }

    /// The source's window has nothing left for `wait`: no request goes out before it passes.
    public func pause(for wait: Duration) {
        guard wait > .zero else { return }
        let now = clock.elapsed()
        bucket.withLock { $0.pause(until: now + wait) }
    }

    /// Waits while a pause set by ``pause(for:)`` or a `Retry-After` lasts, however long ago the
    /// request took its token: a request queued for a concurrency slot before the pause began does
    /// not go out during it.
    public func waitOutPause() async throws {
        while true {
            let now = clock.elapsed()
            let until = bucket.withLock { $0.pausedUntilTime }
            guard until > now else { return }
            try await clock.sleep(until - now)
        }
    }

    /// A request got through.
    public func succeeded() {
        let now = clock.elapsed()
        bucket.withLock { $0.succeeded(at: now) }
    }

    /// The current rate, in requests a second.
    public var rate: Double { bucket.withLock { $0.rate } }
}

/// A request budget several processes share (a token bucket in the database every worker of a
/// project uses), so together they stay within a source's limit.
public protocol SharedRequestBudget: Sendable {
    /// Takes one request's token at `limit`'s rate and burst.
    ///
    /// - Returns: How long to wait before sending the request.
    func take(_ limit: RateLimit) async throws -> Duration
}
