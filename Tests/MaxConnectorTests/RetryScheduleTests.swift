import MaxConnector
import MaxCore
import MaxTestSupport
import Testing

/// The retry decisions, as values: no clock, no sleeping.
struct RetryScheduleTests {
    static let policy = RetryPolicy(
        maxAttempts: 5, baseDelay: .milliseconds(100), maxDelay: .milliseconds(1000), maxElapsed: .seconds(10))

    @Test func backoffDoublesUpToTheCapWithFullJitter() {
        var schedule = RetrySchedule(policy: Self.policy)
        var ceilings: [Duration] = []
        for _ in 0..<4 {
            // random just under 1 gives (almost) the ceiling; the ceiling is what the attempt allows.
            guard
                case .retry(let wait) = schedule.next(
                    after: .transient(retryAfter: nil), elapsed: .zero, random: 0.999_999)
            else {
                Issue.record("expected a retry")
                return
            }
            ceilings.append(schedule.ceiling)
            #expect(wait <= schedule.ceiling && wait > schedule.ceiling * 0.99)
        }
        #expect(ceilings == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800)])
        var capped = RetrySchedule(
            policy: RetryPolicy(
                maxAttempts: 20, baseDelay: .milliseconds(100), maxDelay: .milliseconds(1000), maxElapsed: .seconds(999)
            ))
        for _ in 0..<10 { _ = capped.next(after: .transient(retryAfter: nil), elapsed: .zero, random: 0.5) }
        #expect(capped.ceiling == .milliseconds(1000))
    }

    @Test(arguments: [0.0, 0.25, 0.5, 0.75])
    func jitterSpreadsTheWaitOverTheWholeRange(random: Double) {
        var schedule = RetrySchedule(policy: Self.policy)
        _ = schedule.next(after: .transient(retryAfter: nil), elapsed: .zero, random: 0)
        let decision = schedule.next(after: .transient(retryAfter: nil), elapsed: .zero, random: random)
        #expect(decision == .retry(after: .milliseconds(200) * random))
    }

    @Test func retryAfterReplacesTheBackoff() {
        var schedule = RetrySchedule(policy: Self.policy)
        #expect(
            schedule.next(after: .transient(retryAfter: .seconds(3)), elapsed: .zero, random: 0.5)
                == .retry(after: .seconds(3)))
    }

    @Test func attemptsAreBounded() {
        var schedule = RetrySchedule(policy: Self.policy)
        var decisions: [RetrySchedule.Decision] = []
        for _ in 0..<5 {
            decisions.append(schedule.next(after: .transient(retryAfter: nil), elapsed: .zero, random: 0))
        }
        #expect(decisions.filter { $0 == .giveUp }.count == 1)
        #expect(decisions.last == .giveUp, "the fifth attempt was the last one allowed")
        #expect(schedule.attempts == 5)
    }

    @Test func timeIsBounded() {
        var schedule = RetrySchedule(policy: Self.policy)
        #expect(
            schedule.next(after: .transient(retryAfter: .seconds(2)), elapsed: .seconds(7), random: 0)
                == .retry(after: .seconds(2)))
        #expect(schedule.next(after: .transient(retryAfter: .seconds(4)), elapsed: .seconds(7), random: 0) == .giveUp)
    }

    @Test func permanentFailuresAreNotRetried() {
        var schedule = RetrySchedule(policy: Self.policy)
        #expect(schedule.next(after: .permanent, elapsed: .zero, random: 0) == .giveUp)
        var none = RetrySchedule(policy: .none)
        #expect(none.next(after: .transient(retryAfter: nil), elapsed: .zero, random: 0) == .giveUp)
    }

    @Test func overridesFromMaxJSONApplyOrNameTheKey() throws {
        let overridden = try RetryPolicy.standard.overridden(
            by: ["maxAttempts": 9, "baseDelay": 0.25, "maxElapsed": 60], at: "installations.acme.retry")
        #expect(overridden.maxAttempts == 9)
        #expect(overridden.baseDelay == .milliseconds(250))
        #expect(overridden.maxElapsed == .seconds(60))
        #expect(overridden.maxDelay == RetryPolicy.standard.maxDelay)

        let cases: [(JSONValue, String)] = [
            (["maxAttempts": 0], "installations.acme.retry.maxAttempts"),
            (["maxAttempts": "3"], "installations.acme.retry.maxAttempts"),
            (["baseDelay": -1], "installations.acme.retry.baseDelay"),
            (["retries": 3], "installations.acme.retry.retries"),
            (["baseDelay": 60, "maxDelay": 1], "installations.acme.retry.baseDelay"),
            (3, "installations.acme.retry"),
        ]
        for (json, key) in cases {
            let error = #expect(throws: MaxError.self) {
                try RetryPolicy.standard.overridden(by: json, at: "installations.acme.retry")
            }
            #expect(error?.code == .invalidPolicy)
            #expect(error?.category == .validationError)
            #expect(error?.context["key"] == key, "\(json)")
            #expect(error?.message.hasPrefix("'\(key)'") == true)
        }
    }

    @Test func rateLimitOverridesAreCheckedToo() throws {
        let limit = try RateLimit(rate: 100, burst: 10).overridden(by: ["rate": 5], at: "installations.acme.rateLimit")
        #expect(limit == RateLimit(rate: 5, burst: 10))
        let error = #expect(throws: MaxError.self) {
            try RateLimit(rate: 100, burst: 10).overridden(by: ["rate": 0], at: "installations.acme.rateLimit")
        }
        #expect(error?.context["key"] == "installations.acme.rateLimit.rate")
    }
}

/// The adaptive token bucket, as a value over elapsed time.
struct TokenBucketTests {
    @Test func aBurstGoesAtOnceThenRequestsAreSpacedAtTheRate() {
        var bucket = TokenBucket(rate: 10, burst: 3)
        let waits = (0..<6).map { _ in bucket.acquire(at: .zero) }
        #expect(waits[0..<3].allSatisfy { $0 == .zero })
        #expect(waits[3...] == [.milliseconds(100), .milliseconds(200), .milliseconds(300)])
        // A second later, ten tokens came back, of which three pay for the reservations above.
        #expect(bucket.acquire(at: .seconds(1)) == .zero)
    }

    @Test func aThrottleHalvesWhatWasSentAndHonoursRetryAfter() {
        var bucket = TokenBucket(rate: 1000, burst: 100)
        for index in 0..<40 { _ = bucket.acquire(at: .milliseconds(index * 10)) }
        bucket.throttled(at: .milliseconds(400), retryAfter: .seconds(1))
        #expect(bucket.rate == 20, "40 requests went out in the last second: half of that")
        #expect(bucket.acquire(at: .milliseconds(500)) >= .milliseconds(900), "nothing before Retry-After passed")
    }

    @Test func theRateRecoversGraduallyAndNeverPassesTheDeclaredOne() {
        var bucket = TokenBucket(rate: 50, burst: 5)
        for index in 0..<30 { _ = bucket.acquire(at: .milliseconds(index * 20)) }
        bucket.throttled(at: .milliseconds(600), retryAfter: nil)
        #expect(bucket.rate == 15)
        bucket.succeeded(at: .milliseconds(900))
        #expect(bucket.rate == 15, "no raise within a second of the throttle")
        var rates: [Double] = []
        for second in 2...20 {
            bucket.succeeded(at: .seconds(second))
            rates.append(bucket.rate)
        }
        #expect(rates == rates.sorted())
        #expect(rates[0] == 17.5)
        #expect(rates.last == 50)
    }

    @Test func repeatedThrottlesStopAtTheFloor() {
        var bucket = TokenBucket(rate: 100, burst: 10)
        for second in 0..<20 {
            _ = bucket.acquire(at: .seconds(second))
            bucket.throttled(at: .seconds(second), retryAfter: nil)
        }
        #expect(bucket.rate == bucket.floorRate)
        #expect(bucket.floorRate == 1)
    }
}

/// The limiter waits on its clock, never on the wall clock.
struct RequestLimiterTests {
    @Test func waitersSleepOnTheInjectedClockUntilItMoves() async throws {
        let clock = ManualClock()
        let limiter = RequestLimiter(RateLimit(rate: 2, burst: 1), clock: ElapsedClock(clock))
        #expect(try await limiter.acquire() == .zero)
        async let second = limiter.acquire()
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .milliseconds(500))
        #expect(try await second == .milliseconds(500))
    }
}

/// The limiter's bound on requests in flight.
struct RequestLimiterConcurrencyTests {
    @Test func noMoreThanTheBoundAreInFlight() async throws {
        let limiter = RequestLimiter(RateLimit(rate: 1000, burst: 1000, concurrency: 2))
        await limiter.enter()
        await limiter.enter()
        async let third: Void = limiter.enter()
        while limiter.waiting == 0 { await Task.yield() }
        #expect(limiter.waiting == 1, "the third waits")
        limiter.leave()
        await third
        #expect(limiter.waiting == 0)
        limiter.leave()
        limiter.leave()
        await limiter.enter()  // slots came back
        limiter.leave()
    }

    @Test func withoutABoundNobodyWaits() async {
        let limiter = RequestLimiter(RateLimit(rate: 1000, burst: 1000))
        for _ in 0..<100 { await limiter.enter() }
        #expect(limiter.waiting == 0)
    }
}

/// The manual clock the resilience tests wait on.
struct ManualClockTests {
    @Test func aSleepCancelledBeforeItBeginsEndsAtOnce() async {
        let clock = ManualClock()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }  // cancelled before the sleeper registers
            try await clock.sleep(until: clock.now.advanced(by: .seconds(60)), tolerance: nil)
        }
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(clock.sleeperCount == 0)
    }

    @Test func aSleeperWakesWhenTheClockPassesItsDeadline() async throws {
        let clock = ManualClock()
        async let slept: Void = clock.sleep(until: clock.now.advanced(by: .seconds(5)), tolerance: nil)
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(4))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        try await slept
        #expect(clock.sleeperCount == 0)
    }
}
