public import MaxCore

/// A circuit breaker over one installation's requests, as a pure state machine over elapsed time.
///
/// While **closed**, it keeps the outcomes of the last ``Settings/window`` requests; when at least
/// ``Settings/minimumRequests`` of them are known and ``Settings/failureRate`` or more failed, it
/// **opens**: requests wait instead of going out (and failing). After ``Settings/coolDown`` it lets
/// one probe through (**half-open**): success closes it, failure opens it again. If it has stayed
/// open (with failed probes) for ``Settings/maximumOpen``, requests fail instead of waiting, which
/// stops a sync with `sync.circuit_open`.
///
/// Only failures that say the source is unwell count (connection errors, timeouts, 5xx); a 429 is
/// the rate limiter's business, and a 4xx answer means the source is up.
public struct CircuitBreaker: Sendable {
    /// When the breaker opens and how long it stays so.
    public struct Settings: Sendable, Hashable {
        /// How many recent outcomes are weighed.
        public var window: Int
        /// How many outcomes must be known before the breaker may open.
        public var minimumRequests: Int
        /// The share of failures (0…1) that opens it.
        public var failureRate: Double
        /// How long it stays open before a probe.
        public var coolDown: Duration
        /// How long it may stay open before requests fail instead of waiting.
        public var maximumOpen: Duration

        /// Creates settings.
        public init(window: Int, minimumRequests: Int, failureRate: Double, coolDown: Duration, maximumOpen: Duration) {
            self.window = window
            self.minimumRequests = minimumRequests
            self.failureRate = failureRate
            self.coolDown = coolDown
            self.maximumOpen = maximumOpen
        }

        /// Sensible for SaaS APIs: opens when half of the last 20 (at least 5) failed, probes every
        /// 5 s, gives up after 60 s open.
        public static let standard = Settings(
            window: 20, minimumRequests: 5, failureRate: 0.5, coolDown: .seconds(5), maximumOpen: .seconds(60))

        /// These settings with the keys of `json` (an object from `max.json`) replacing theirs:
        /// `{"failureRate": 0.5, "coolDown": 5, "maximumOpen": 60, "window": 20, "minimumRequests": 5}`,
        /// durations in seconds.
        ///
        /// - Parameters:
        ///   - json: The override.
        ///   - path: Where the object is, for errors (`installations.acme.circuitBreaker`).
        /// - Returns: The settings with the override applied.
        /// - Throws: `connector.invalid_policy` naming the key; nothing is applied then.
        public func overridden(by json: JSONValue, at path: String) throws -> Settings {
            var result = self
            for field in try PolicyOverride.fields(of: json, at: path, example: #"{"maximumOpen": 60}"#) {
                switch field.key {
                case "window": result.window = try field.wholeNumber(in: 1...1000)
                case "minimumRequests": result.minimumRequests = try field.wholeNumber(in: 1...1000)
                case "failureRate":
                    result.failureRate = try field.number("must be a number above 0 and at most 1") {
                        $0 > 0 && $0 <= 1
                    }
                case "coolDown": result.coolDown = try field.seconds(zeroAllowed: false)
                case "maximumOpen": result.maximumOpen = try field.seconds(zeroAllowed: false)
                default:
                    throw field.unknown(
                        "circuit-breaker",
                        keys: ["window", "minimumRequests", "failureRate", "coolDown", "maximumOpen"])
                }
            }
            return result
        }
    }

    /// The breaker's state.
    public enum State: String, Sendable, Hashable {
        /// Requests go out.
        case closed
        /// Requests wait.
        case open
        /// One probe is out.
        case halfOpen = "half_open"
    }

    /// What a request may do.
    public enum Permit: Sendable, Hashable {
        /// Go out.
        case proceed
        /// Wait this long, then ask again.
        case wait(Duration)
        /// Fail: the breaker has been open for longer than ``Settings/maximumOpen``.
        case reject(openFor: Duration)
    }

    /// The settings.
    public let settings: Settings
    /// The state now.
    public private(set) var state = State.closed
    private var outcomes: [Bool] = []  // true for a failure
    private var openedAt: Duration = .zero  // when it last went from closed to open
    private var probeAt: Duration = .zero
    private var probing = false

    /// A closed breaker.
    public init(settings: Settings) {
        self.settings = settings
    }

    /// Asks whether a request may go out at `now`.
    public mutating func permit(at now: Duration) -> Permit {
        switch state {
        case .closed:
            return .proceed
        case .open, .halfOpen:
            if now - openedAt >= settings.maximumOpen { return .reject(openFor: now - openedAt) }
            if state == .open, now >= probeAt {
                state = .halfOpen
                probing = true
                return .proceed
            }
            // Open and cooling down, or a probe is already out: wait for the next decision.
            let wait = state == .open ? probeAt - now : settings.coolDown / 5
            return .wait(max(wait, .milliseconds(10)))
        }
    }

    /// Records how a request that was let through ended; returns the new state if it changed.
    @discardableResult
    public mutating func record(failure: Bool, at now: Duration) -> State? {
        switch state {
        case .closed:
            outcomes.append(failure)
            if outcomes.count > settings.window { outcomes.removeFirst(outcomes.count - settings.window) }
            let failures = outcomes.filter { $0 }.count
            guard outcomes.count >= settings.minimumRequests,
                Double(failures) >= settings.failureRate * Double(outcomes.count)
            else { return nil }
            state = .open
            openedAt = now
            probeAt = now + settings.coolDown
            return .open
        case .halfOpen:
            probing = false
            if failure {
                state = .open
                probeAt = now + settings.coolDown
                return .open
            }
            state = .closed
            outcomes = []
            return .closed
        case .open:
            return nil  // a request let through before the breaker opened
        }
    }
}
