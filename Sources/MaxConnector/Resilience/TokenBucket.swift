/// A token bucket whose rate adapts to the server, as a pure state machine over elapsed time.
///
/// Each request takes a token; tokens come back at ``rate`` a second, up to ``burst`` saved. A
/// request that finds none is told how long to wait, and its token is reserved, so waiters are served
/// in turn. When the server answers 429 the rate drops to half of what was actually sent in the
/// last second (never below ``floorRate``) and nothing goes out before the `Retry-After` has passed;
/// then, while requests succeed, the rate grows by 10 % plus one request a second, at most once a
/// second, back up to the declared rate: it recovers gradually instead of hitting the limit again at
/// once. Time is passed in (the elapsed time of some clock), so tests need no clock at all.
public struct TokenBucket: Sendable, Hashable {
    /// The rate the connector declared, in requests a second.
    public let nominalRate: Double
    /// The rate now, in requests a second.
    public private(set) var rate: Double
    /// The most tokens saved up: how many requests may go out at once after a quiet spell.
    public let burst: Double
    private var tokens: Double
    private var updated: Duration = .zero
    private var pausedUntil: Duration = .zero
    private var lastChange: Duration?
    private var windowStart: Duration = .zero
    private var sentThisSecond = 0
    private var sentLastSecond = 0

    /// A full bucket.
    public init(rate: Double, burst: Int) {
        nominalRate = max(rate, 0.01)
        self.rate = nominalRate
        self.burst = Double(max(burst, 1))
        tokens = self.burst
    }

    /// The slowest the rate goes after 429s: one request a second (or the declared rate if lower).
    public var floorRate: Double { min(nominalRate, 1) }

    /// Takes a token at `now` and returns how long to wait before sending (zero when one was there).
    public mutating func acquire(at now: Duration) -> Duration {
        refill(at: now)
        rollWindow(at: now)
        sentThisSecond += 1
        tokens -= 1
        let shortfall = tokens >= 0 ? Duration.zero : Self.seconds(-tokens / rate)
        return max(shortfall, pausedUntil - now)
    }

    /// The server answered 429: slow down, and pause for `retryAfter` if it said.
    public mutating func throttled(at now: Duration, retryAfter: Duration?) {
        refill(at: now)
        rollWindow(at: now)
        let sent = Double(max(sentThisSecond, sentLastSecond, 1))
        rate = max(min(rate, sent) / 2, floorRate)
        tokens = min(tokens, 0)
        lastChange = now
        if let retryAfter { pausedUntil = max(pausedUntil, now + retryAfter) }
    }

    /// Holds every request until `until`: the source said its window has nothing left till then.
    ///
    /// A remaining-requests header at 0, or a rate-limit answer with a reset time, says so. The rate
    /// is kept.
    public mutating func pause(until: Duration) {
        pausedUntil = max(pausedUntil, until)
    }

    /// When the last pause ends (zero when none was set).
    public var pausedUntilTime: Duration { pausedUntil }

    /// A request succeeded: win back some of the declared rate, at most once a second.
    public mutating func succeeded(at now: Duration) {
        guard rate < nominalRate else { return }
        if let lastChange, now - lastChange < .seconds(1) { return }
        refill(at: now)
        rate = min(nominalRate, rate * 1.1 + 1)
        lastChange = now
    }

    private mutating func refill(at now: Duration) {
        guard now > updated else { return }
        tokens = min(burst, tokens + Self.double(now - updated) * rate)
        updated = now
    }

    /// Moves the one-second windows that count requests, to know what was actually sent when a 429
    /// comes.
    private mutating func rollWindow(at now: Duration) {
        let elapsed = now - windowStart
        if elapsed >= .seconds(2) {
            sentLastSecond = 0
            sentThisSecond = 0
            windowStart = now
        } else if elapsed >= .seconds(1) {
            sentLastSecond = sentThisSecond
            sentThisSecond = 0
            windowStart = windowStart + .seconds(1)
        }
    }

    static func double(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func seconds(_ value: Double) -> Duration {
        .nanoseconds(Int64((value * 1e9).rounded(.up)))
    }
}
