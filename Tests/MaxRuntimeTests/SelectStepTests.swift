import MaxConnector
import MaxCore
import MaxRuntime
import Testing

/// A select that allows several options keeps every one chosen, from flags or at the prompt.
struct SelectStepTests {
    private static let options = [
        SelectOption(label: "Alpha", value: "a"), SelectOption(label: "Beta", value: "b"),
        SelectOption(label: "Gamma", value: "c"),
    ]

    private func flow(multiple: Bool) -> OnboardingFlow {
        OnboardingFlow([.select(SelectStep("Teams", field: "teams", multiple: multiple) { _, _ in Self.options })])
    }

    private func run(multiple: Bool, config: [String: String] = [:], prompter: (any Prompter)? = nil) async throws
        -> OnboardingState
    {
        try await OnboardingRunner(config: config, prompter: prompter).run(
            flow(multiple: multiple), store: InMemoryCredentialStore())
    }

    @Test func severalValuesFromTheFlagEachOnceInOrder() async throws {
        let state = try await run(multiple: true, config: ["teams": "b, Alpha ,b"])
        #expect(state["teams"] == ["b", "a"])
        let single = try await run(multiple: false, config: ["teams": "Gamma"])
        #expect(single["teams"] == "c")
    }

    @Test func anUnknownOrEmptyChoiceIsAClearError() async throws {
        let unknown = try await #require(throws: MaxError.self) {
            try await run(multiple: true, config: ["teams": "a,nope"])
        }
        #expect(unknown.code == .onboardingInvalidInput)
        #expect(unknown.message == "the value given for teams is not one of the options for Teams")
        #expect(!unknown.message.contains("nope"), "an answer is never repeated: it may be a secret")
        let empty = try await #require(throws: MaxError.self) {
            try await run(multiple: true, config: ["teams": " , "])
        }
        #expect(empty.message == "choose at least one option for Teams")
        let missing = try await #require(throws: MaxError.self) { try await run(multiple: true) }
        #expect(missing.code == .onboardingMissingInput)
        #expect(missing.message.contains("teams (--config teams=…; one or more of, comma-separated: a, b, c)"))
    }

    @Test func thePromptReturnsEveryChoice() async throws {
        let state = try await run(multiple: true, prompter: Picker(several: [2, 0]))
        #expect(state["teams"] == ["c", "a"])
    }

    /// Answers every question the same way.
    private struct Picker: Prompter {
        let several: [Int]
        func show(step: String, description: String?) async {}
        func ask(_ label: String, default: String?, placeholder: String?) async throws -> String { "" }
        func askSecret(_ label: String) async throws -> String { "" }
        func choose(_ label: String, options: [SelectOption]) async throws -> Int { 0 }
        func chooseSeveral(_ label: String, options: [SelectOption]) async throws -> [Int] { several }
        func report(_ message: String) async {}
    }
}
