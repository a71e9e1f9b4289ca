import MaxCore

/// Which faults the certification's proxy injects during one phase, and what it saw: a pure state
/// machine, told each request's key (method, URL and body) and the time, that decides whether the
/// request reaches the source and what becomes of the answer.
///
/// Each scenario lets ``passThrough`` requests through first, so the faults land inside a sync
/// rather than on its first request, then:
/// - ``Scenario/serverErrors``: the first attempt of each of ``keys`` requests is answered 500,
///   502 or 503 (in turn), without reaching the source; later attempts go through.
/// - ``Scenario/rateLimitStorm``: the first two attempts of each of ``keys`` requests are answered
///   429 with `Retry-After: 1`.
/// - ``Scenario/rateLimitExhausted``: one request is answered 429 with `Retry-After: 1` every time,
///   for the whole phase, so the client's retries run out.
/// - ``Scenario/timeouts``: the first attempt of each of ``keys`` requests is held unanswered
///   until the phase ends.
/// - ``Scenario/malformedBodies``: the first successful answer to each of ``keys`` requests has
///   its body cut in half.
/// - ``Scenario/fuzz``: each successful JSON answer is mutated, with probability one half, by a
///   ``ResponseFuzzer`` seeded from ``seed``.
///
/// A request that comes back sooner than the `Retry-After` of the 429 its key was last answered is
/// recorded in ``earlyRetries``.
public struct FaultPlan: Sendable {
    /// A kind of fault.
    public enum Scenario: String, Sendable, Hashable, Codable, CaseIterable {
        /// No fault: the proxy only forwards and records.
        case none
        /// 5xx answers, once per request.
        case serverErrors = "server-errors"
        /// 429s, twice per request.
        case rateLimitStorm = "rate-limit-storm"
        /// One request refused with 429s for as long as the phase lasts.
        case rateLimitExhausted = "rate-limit-exhausted"
        /// Requests left unanswered.
        case timeouts
        /// Bodies cut short.
        case malformedBodies = "malformed-bodies"
        /// JSON bodies with values of the wrong type, missing or added members, odd text.
        case fuzz
    }

    /// What to do with a request before it reaches the source.
    public enum Decision: Sendable, Hashable {
        /// Forward it.
        case forward
        /// Answer it without forwarding: `status`, with `Retry-After` when `retryAfter` is set.
        case answer(status: Int, retryAfter: Int?)
        /// Hold it unanswered until the phase ends.
        case stall
    }

    /// What to do with the source's answer.
    public enum Alteration: Sendable, Hashable {
        /// Pass it on as it is.
        case keep
        /// Cut its body in half.
        case truncate
        /// Mutate its JSON body with a fuzzer seeded so.
        case mutate(seed: UInt64)
    }

    /// A request answered 429 that came back before its `Retry-After` had passed.
    public struct EarlyRetry: Sendable, Hashable, Codable {
        /// The request (method and URL path with query).
        public var request: String
        /// Seconds between the 429 and the retry.
        public var after: Double
        /// The `Retry-After` it was given, in seconds.
        public var retryAfter: Int
    }

    /// The scenario.
    public let scenario: Scenario
    /// Requests let through before the first fault.
    public let passThrough: Int
    /// How many distinct requests are faulted.
    public let keys: Int
    /// The seed of ``Scenario/fuzz``'s mutations.
    public let seed: UInt64
    /// The `Retry-After` of every 429, in seconds.
    public let retryAfter = 1

    /// Requests seen so far.
    public private(set) var requests = 0
    /// Faults injected so far, by kind (`429`, `500`, `stall`, `truncate`, `mutate`).
    public private(set) var injected: [String: Int] = [:]
    /// The faulted requests, in order.
    public private(set) var faulted: [String] = []
    /// Retries that did not wait for their `Retry-After`.
    public private(set) var earlyRetries: [EarlyRetry] = []

    private var attempts: [String: Int] = [:]
    private var rateLimitedAt: [String: Duration] = [:]
    private var random: SplitMix64

    /// A plan of `scenario`.
    ///
    /// - Parameters:
    ///   - scenario: The faults.
    ///   - passThrough: Requests let through first.
    ///   - keys: How many distinct requests are faulted.
    ///   - seed: Seeds the fuzzer.
    public init(_ scenario: Scenario, passThrough: Int = 1, keys: Int = 4, seed: UInt64 = 1) {
        self.scenario = scenario
        self.passThrough = passThrough
        self.keys = keys
        self.seed = seed
        self.random = SplitMix64(seed: seed)
    }

    /// Decides about a request that arrived at `now` (any monotonic time).
    ///
    /// - Parameters:
    ///   - key: The request: its method, URL and a digest of its body.
    ///   - shown: How reports name it (method, path and query).
    ///   - now: When it arrived.
    /// - Returns: What to do.
    public mutating func decide(_ key: String, shown: String, at now: Duration) -> Decision {
        requests += 1
        let attempt = attempts[key, default: 0] + 1
        attempts[key] = attempt
        if let refusedAt = rateLimitedAt.removeValue(forKey: key), now - refusedAt < .seconds(retryAfter) {
            let gap = now - refusedAt
            let seconds = Double(gap.components.seconds) + Double(gap.components.attoseconds) / 1e18
            earlyRetries.append(EarlyRetry(request: shown, after: seconds, retryAfter: retryAfter))
        }
        guard requests > passThrough else { return .forward }
        let decision: Decision
        switch scenario {
        case .none, .malformedBodies, .fuzz:
            return .forward
        case .serverErrors:
            guard attempt == 1, faulted.count < keys else { return .forward }
            decision = .answer(status: [500, 502, 503][faulted.count % 3], retryAfter: nil)
        case .rateLimitStorm:
            guard attempt <= 2, faulted.contains(key) || faulted.count < keys else { return .forward }
            decision = .answer(status: 429, retryAfter: retryAfter)
        case .rateLimitExhausted:
            guard faulted.isEmpty || faulted == [key] else { return .forward }
            decision = .answer(status: 429, retryAfter: retryAfter)
        case .timeouts:
            guard attempt == 1, faulted.count < keys else { return .forward }
            decision = .stall
        }
        if !faulted.contains(key) { faulted.append(key) }
        switch decision {
        case .answer(let status, let retryAfter):
            injected["\(status)", default: 0] += 1
            if retryAfter != nil { rateLimitedAt[key] = now }
        case .stall: injected["stall", default: 0] += 1
        case .forward: break
        }
        return decision
    }

    /// Decides about the source's answer to a forwarded request.
    ///
    /// - Parameters:
    ///   - key: The request, as given to ``decide(_:shown:at:)``.
    ///   - status: The answer's status.
    ///   - isJSON: Whether its body is JSON.
    /// - Returns: How to alter it.
    public mutating func alter(_ key: String, status: Int, isJSON: Bool) -> Alteration {
        guard requests > passThrough, (200..<300).contains(status) else { return .keep }
        switch scenario {
        case .malformedBodies:
            guard !faulted.contains(key), faulted.count < keys else { return .keep }
            faulted.append(key)
            injected["truncate", default: 0] += 1
            return .truncate
        case .fuzz:
            guard isJSON else { return .keep }
            let seed = random.next()
            guard seed % 2 == 0 else { return .keep }
            if !faulted.contains(key) { faulted.append(key) }
            injected["mutate", default: 0] += 1
            return .mutate(seed: seed)
        case .none, .serverErrors, .rateLimitStorm, .rateLimitExhausted, .timeouts:
            return .keep
        }
    }
}

extension FaultPlan {
    /// This plan's findings with `other`'s added (the plans of two proxies in one phase).
    func merging(_ other: FaultPlan) -> FaultPlan {
        var merged = self
        merged.requests += other.requests
        merged.injected.merge(other.injected, uniquingKeysWith: +)
        merged.faulted += other.faulted
        merged.earlyRetries += other.earlyRetries
        return merged
    }
}
