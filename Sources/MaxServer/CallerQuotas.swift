import Foundation
import MaxCore
import MaxRuntime
import Synchronization

/// The buckets of ``CallerLimits`` for one server: per user, for the project, per installation,
/// and the requests in flight, on an injected clock.
final class CallerQuotas: Sendable {
    private struct State {
        var buckets: [String: QuotaBucket] = [:]
        var inFlight = 0
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Duration

    /// Quotas timed by `now` (elapsed time of some clock).
    init(now: @escaping @Sendable () -> Duration = CallerQuotas.continuous) {
        self.now = now
    }

    /// Elapsed time of the continuous clock since the first call.
    static let continuous: @Sendable () -> Duration = {
        let start = ContinuousClock.now
        return { ContinuousClock.now - start }
    }()

    /// A request of `user` about `installation` enters under `limits`; the returned token is
    /// handed back to ``leave()`` when it ends.
    ///
    /// - Throws: `quota.exceeded` naming the limit and carrying `retryAfter` seconds in its context.
    func enter(user: String, installation: String?, limits: CallerLimits) throws {
        let now = now()
        try state.withLock { state in
            if let most = limits.maxConcurrent, state.inFlight >= most {
                throw Self.exceeded(
                    "\(most) requests are in flight, the server's maxConcurrent", limit: "concurrency",
                    after: .seconds(1))
            }
            var checks: [(key: String, rate: CallerLimits.Rate, what: String, limit: String)] = []
            if let rate = limits.perUser {
                checks.append(("user:\(user)", rate, "the per-user limit of \(user)", "user"))
            }
            if let rate = limits.perProject { checks.append(("project", rate, "the project's limit", "project")) }
            if let rate = limits.perInstallation, let installation {
                checks.append(("installation:\(installation)", rate, "the limit of \(installation)", "installation"))
            }
            // Every bucket is asked before any token is taken: a refusal takes nothing.
            var taken = state.buckets
            for check in checks {
                var bucket = taken[check.key] ?? QuotaBucket(rate: check.rate.rate, burst: check.rate.burst, at: now)
                if let wait = bucket.take(at: now) {
                    throw Self.exceeded(
                        "over \(check.what) (\(check.rate.burst) at once, \(check.rate.rate) a second)",
                        limit: check.limit,
                        after: wait)
                }
                taken[check.key] = bucket
            }
            state.buckets = taken
            state.inFlight += 1
        }
    }

    /// A request that entered ended.
    func leave() {
        state.withLock { $0.inFlight = max(0, $0.inFlight - 1) }
    }

    private static func exceeded(_ message: String, limit: String, after wait: Duration) -> MaxError {
        let seconds = max(
            1, Int((Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18).rounded(.up)))
        return MaxError(
            .quotaExceeded, "too many requests: \(message)", hint: "wait \(seconds) s (Retry-After) and try again",
            context: ["retryAfter": String(seconds), "limit": limit])
    }
}
