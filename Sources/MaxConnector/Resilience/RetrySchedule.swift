/// The retry decisions for one request, as a pure state machine.
///
/// It is told each failure and the time elapsed, and answers whether to wait and try again or to
/// give up. It never sleeps, so it is tested without a clock.
///
/// Backoff is exponential with full jitter (a random wait between zero and
/// `min(maxDelay, baseDelay × 2^(attempt-1))`), as AWS's "Exponential Backoff and Jitter" recommends
/// to keep many clients from retrying in step. A server's `Retry-After` replaces it.
public struct RetrySchedule: Sendable {
    /// How a failed attempt failed.
    public enum Failure: Sendable, Hashable {
        /// May succeed later; `retryAfter` when the server said how long to wait.
        case transient(retryAfter: Duration?)
        /// Will fail again the same way.
        case permanent
    }

    /// What to do after a failure.
    public enum Decision: Sendable, Hashable {
        /// Wait this long, then try again.
        case retry(after: Duration)
        /// Stop: the failure is permanent, or the attempts or the time are spent.
        case giveUp
    }

    /// The policy.
    public let policy: RetryPolicy
    /// Attempts made so far.
    public private(set) var attempts = 0

    /// A schedule for a request not yet attempted.
    public init(policy: RetryPolicy) {
        self.policy = policy
    }

    /// Records a failed attempt and decides what follows.
    ///
    /// - Parameters:
    ///   - failure: How the attempt failed.
    ///   - elapsed: Time since the first attempt started.
    ///   - random: A number in `0..<1` that picks the jittered wait.
    /// - Returns: Retry after a wait, or give up.
    public mutating func next(after failure: Failure, elapsed: Duration, random: Double) -> Decision {
        attempts += 1
        guard case .transient(let retryAfter) = failure, attempts < policy.maxAttempts else { return .giveUp }
        let wait = retryAfter ?? jittered(random)
        guard elapsed + wait <= policy.maxElapsed else { return .giveUp }
        return .retry(after: wait)
    }

    /// The backoff cap for the attempt just made, before jitter.
    public var ceiling: Duration {
        let exponent = min(max(attempts - 1, 0), 30)
        let grown = policy.baseDelay * (1 << exponent)
        return min(grown, policy.maxDelay)
    }

    private func jittered(_ random: Double) -> Duration {
        ceiling * min(max(random, 0), 1)
    }
}
