import MaxCertification
import MaxCore
import Testing

/// The fault plan decides, for each request, what the certification proxy does: a pure state
/// machine, driven here without a network or a clock.
struct FaultPlanTests {
    @Test func serverErrorsFaultTheFirstAttemptOfEachOfSomeRequestsOnly() {
        var plan = FaultPlan(.serverErrors, passThrough: 1, keys: 2)
        #expect(plan.decide("GET /a", shown: "GET /a", at: .zero) == .forward)
        #expect(plan.decide("GET /b", shown: "GET /b", at: .zero) == .answer(status: 500, retryAfter: nil))
        #expect(plan.decide("GET /b", shown: "GET /b", at: .seconds(1)) == .forward)
        #expect(plan.decide("GET /c", shown: "GET /c", at: .zero) == .answer(status: 502, retryAfter: nil))
        #expect(plan.decide("GET /d", shown: "GET /d", at: .zero) == .forward)
        #expect(plan.injected == ["500": 1, "502": 1])
        #expect(plan.faulted == ["GET /b", "GET /c"])
    }

    @Test func aStormAnswersTwice429AndRecordsARetryBeforeRetryAfter() {
        var plan = FaultPlan(.rateLimitStorm, passThrough: 0, keys: 1)
        #expect(plan.decide("k", shown: "GET /k", at: .zero) == .answer(status: 429, retryAfter: 1))
        // Too soon: recorded, and still refused (the second attempt).
        #expect(plan.decide("k", shown: "GET /k", at: .milliseconds(300)) == .answer(status: 429, retryAfter: 1))
        #expect(plan.decide("k", shown: "GET /k", at: .milliseconds(1300)) == .forward)
        #expect(plan.earlyRetries.count == 1)
        #expect(plan.earlyRetries.first?.request == "GET /k")
        #expect(abs((plan.earlyRetries.first?.after ?? 0) - 0.3) < 1e-9)
        // Another request is not part of a storm of one key.
        #expect(plan.decide("other", shown: "GET /other", at: .seconds(5)) == .forward)
    }

    @Test func anExhaustedRequestIsRefusedEveryTimeAndOthersPass() {
        var plan = FaultPlan(.rateLimitExhausted, passThrough: 1)
        #expect(plan.decide("first", shown: "", at: .zero) == .forward)
        for second in 1...10 {
            #expect(plan.decide("page2", shown: "", at: .seconds(second * 2)) == .answer(status: 429, retryAfter: 1))
        }
        #expect(plan.decide("page3", shown: "", at: .seconds(30)) == .forward)
        #expect(plan.earlyRetries.isEmpty)
        #expect(plan.injected["429"] == 10)
    }

    @Test func timeoutsStallFirstAttempts() {
        var plan = FaultPlan(.timeouts, passThrough: 0, keys: 1)
        #expect(plan.decide("a", shown: "", at: .zero) == .stall)
        #expect(plan.decide("a", shown: "", at: .seconds(2)) == .forward)
        #expect(plan.decide("b", shown: "", at: .seconds(2)) == .forward)
    }

    @Test func malformedBodiesCutTheFirstSuccessfulAnswersOnly() {
        var plan = FaultPlan(.malformedBodies, passThrough: 0, keys: 1)
        #expect(plan.decide("a", shown: "", at: .zero) == .forward)
        #expect(plan.alter("a", status: 404, isJSON: true) == .keep)
        #expect(plan.alter("a", status: 200, isJSON: true) == .truncate)
        #expect(plan.decide("b", shown: "", at: .zero) == .forward)
        #expect(plan.alter("b", status: 200, isJSON: true) == .keep)
    }

    @Test func fuzzingIsRepeatableForASeed() {
        func alterations(_ seed: UInt64) -> [FaultPlan.Alteration] {
            var plan = FaultPlan(.fuzz, passThrough: 0, seed: seed)
            return (0..<20).map { index in
                _ = plan.decide("k\(index)", shown: "", at: .zero)
                return plan.alter("k\(index)", status: 200, isJSON: true)
            }
        }
        #expect(alterations(7) == alterations(7))
        #expect(alterations(7) != alterations(8))
        #expect(alterations(7).contains(.keep) && alterations(7).contains { $0 != .keep })
    }
}

/// The fuzzer's mutations: deterministic, bounded, and described.
struct ResponseFuzzerTests {
    static let page: JSONValue = [
        "items": [["id": "a", "title": "One", "done": false, "count": 3], ["id": "b", "title": "Two"]],
        "next": "b",
    ]

    @Test(arguments: [UInt64(1), 2, 3, 42, 1000])
    func aSeedMutatesTheSameWayAndSaysWhere(seed: UInt64) {
        let (first, changes) = ResponseFuzzer.mutate(Self.page, seed: seed)
        let (second, again) = ResponseFuzzer.mutate(Self.page, seed: seed)
        #expect(first == second && changes == again)
        #expect(!changes.isEmpty && changes.count <= ResponseFuzzer.mutationsPerDocument)
        #expect(changes.allSatisfy { $0.hasPrefix("/") && $0.contains(": ") }, "\(changes)")
    }

    @Test func mutationsChangeTheDocument() {
        let changed = (UInt64(1)...20).filter { ResponseFuzzer.mutate(Self.page, seed: $0).0 != Self.page }
        #expect(changed.count >= 15, "most seeds change something: \(changed)")
    }

    @Test func aScalarDocumentHasNothingToMutate() {
        let (same, changes) = ResponseFuzzer.mutate("text", seed: 1)
        #expect(same == "text" && changes.isEmpty)
    }
}
