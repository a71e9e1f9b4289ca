import MaxConnector
import MaxCore
import Testing

/// Every transition of the circuit breaker, as a value over elapsed time.
struct CircuitBreakerTests {
    static let settings = CircuitBreaker.Settings(
        window: 10, minimumRequests: 4, failureRate: 0.5, coolDown: .seconds(5), maximumOpen: .seconds(30))

    static func opened(at time: Duration = .seconds(1)) -> CircuitBreaker {
        var breaker = CircuitBreaker(settings: settings)
        for _ in 0..<4 { breaker.record(failure: true, at: time) }
        return breaker
    }

    @Test func itOpensOnlyWithEnoughOutcomesAndEnoughFailures() {
        var breaker = CircuitBreaker(settings: Self.settings)
        #expect(breaker.record(failure: true, at: .zero) == nil)
        #expect(breaker.record(failure: true, at: .zero) == nil)
        #expect(breaker.record(failure: true, at: .zero) == nil, "three outcomes are fewer than the minimum")
        #expect(breaker.state == .closed)
        var healthy = CircuitBreaker(settings: Self.settings)
        for index in 0..<10 { healthy.record(failure: index % 3 == 2, at: .zero) }
        #expect(healthy.state == .closed, "4 failures in 10 is under half")
        #expect(breaker.record(failure: true, at: .seconds(1)) == .open)
        #expect(breaker.permit(at: .seconds(1)) == .wait(.seconds(5)))
    }

    @Test func onlyTheWindowCounts() {
        var breaker = CircuitBreaker(settings: Self.settings)
        for _ in 0..<4 { breaker.record(failure: false, at: .zero) }
        for _ in 0..<4 { breaker.record(failure: true, at: .zero) }
        #expect(breaker.state == .open, "4 of the last 8 failed")
    }

    @Test func afterTheCoolDownOneProbeGoesOutAndTheOthersWait() {
        var breaker = Self.opened()
        #expect(breaker.permit(at: .seconds(3)) == .wait(.seconds(3)))
        #expect(breaker.permit(at: .seconds(6)) == .proceed)
        #expect(breaker.state == .halfOpen)
        guard case .wait = breaker.permit(at: .seconds(6)) else {
            Issue.record("a second request waits while the probe is out")
            return
        }
    }

    @Test func aGoodProbeClosesItAndClearsTheWindow() {
        var breaker = Self.opened()
        _ = breaker.permit(at: .seconds(6))
        #expect(breaker.record(failure: false, at: .seconds(6)) == .closed)
        #expect(breaker.permit(at: .seconds(6)) == .proceed)
        #expect(breaker.record(failure: true, at: .seconds(7)) == nil, "the old failures are forgotten")
    }

    @Test func aFailedProbeOpensItAgainAndTheBoundStillRunsFromTheFirstOpening() {
        var breaker = Self.opened()
        _ = breaker.permit(at: .seconds(6))
        #expect(breaker.record(failure: true, at: .seconds(6)) == .open)
        #expect(breaker.permit(at: .seconds(8)) == .wait(.seconds(3)))
        #expect(breaker.permit(at: .seconds(31)) == .reject(openFor: .seconds(30)))
    }

    @Test func lateOutcomesWhileOpenChangeNothing() {
        var breaker = Self.opened()
        #expect(breaker.record(failure: false, at: .seconds(2)) == nil)
        #expect(breaker.state == .open)
    }

    @Test func overridesAreChecked() throws {
        let settings = try CircuitBreaker.Settings.standard.overridden(
            by: ["maximumOpen": 3, "coolDown": 0.5], at: "installations.acme.circuitBreaker")
        #expect(settings.maximumOpen == .seconds(3))
        #expect(settings.coolDown == .milliseconds(500))
        let error = #expect(throws: MaxError.self) {
            try CircuitBreaker.Settings.standard.overridden(by: ["failureRate": 2], at: "x.circuitBreaker")
        }
        #expect(error?.context["key"] == "x.circuitBreaker.failureRate")
    }
}
