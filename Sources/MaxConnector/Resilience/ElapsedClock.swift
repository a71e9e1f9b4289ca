/// A clock reduced to what retries and rate limits need.
///
/// It gives the time elapsed since it was made, and a way to wait. Any `Clock<Duration>` makes one, so tests pass a manual clock and production the
/// continuous one.
public struct ElapsedClock: Sendable {
    /// The time since the clock was made.
    public let elapsed: @Sendable () -> Duration
    /// Waits for a duration (throws `CancellationError` if the task is cancelled).
    public let sleep: @Sendable (Duration) async throws -> Void

    /// Wraps `clock`.
    public init<C: Clock<Duration>>(_ clock: C) {
        let start = clock.now
        elapsed = { start.duration(to: clock.now) }
        sleep = { duration in try await clock.sleep(until: clock.now.advanced(by: duration), tolerance: nil) }
    }

    /// The continuous clock of the process.
    public static let continuous = ElapsedClock(ContinuousClock())
}
