import Foundation
import MaxConnector
import MaxCore
import MaxRuntime
import MaxTestSupport
import Synchronization
import Testing

/// The onboarding runner over a flow with every kind of step: a custom step that discovers a
/// value, a select with a default, a step that runs only under a condition, a validation.
struct OnboardingFlowTests {
    /// Counts how often each step body ran.
    final class Calls: Sendable {
        let custom = Atomic<Int>(0)
        let validation = Atomic<Int>(0)
        let seenKeys = Mutex<[String]>([])
    }

    /// A vault-like service: a URL, a sign-in mode (a key, or none for a public vault), the key
    /// when the mode asks for one, a check of it, and a custom step that finds the region.
    static func flow(_ calls: Calls) -> OnboardingFlow {
        OnboardingFlow([
            .input(InputStep("Vault", fields: [.url("baseURL")])),
            .select(
                SelectStep("Sign-in", field: "mode", default: "key") { _, _ in
                    [SelectOption(label: "Key", value: "key"), SelectOption(label: "Public", value: "public")]
                }),
            .when(
                .field("mode", is: "key"),
                .input(InputStep("Key", credentials: [CredentialInput(Credential.key("vault_key"))]))),
            .validation(
                ValidationStep("Checking the key") { state, context in
                    calls.validation.add(1, ordering: .relaxed)
                    guard state["mode"] == "key" else { return }
                    let key = try await context.credentialStore.get(Credential.key("vault_key"))
                    calls.seenKeys.withLock { $0.append(key) }
                    if key == "wrong" { throw MaxError(.onboardingValidationFailed, "the key was rejected") }
                }),
            .custom(
                CustomStep("Finding the region") { state, _ in
                    calls.custom.add(1, ordering: .relaxed)
                    let host = URL(string: state["baseURL"]?.stringValue ?? "")?.host ?? ""
                    return ["region": .string(host.hasPrefix("eu.") ? "eu" : "us")]
                }),
        ])
    }

    @Test func customAndConditionalStepsRunAsTheStateSays() async throws {
        let calls = Calls()
        let store = InMemoryCredentialStore()
        var runner = OnboardingRunner(config: ["baseURL": "https://eu.vault.example"], prompter: nil)
        runner.credentialValues = ["vault_key": Secret("k-1")]
        let state = try await runner.run(Self.flow(calls), store: store)
        #expect(state == ["baseURL": "https://eu.vault.example", "mode": "key", "region": "eu"])
        #expect(try await store.get(Credential.key("vault_key")) == "k-1")
        #expect(calls.custom.load(ordering: .relaxed) == 1)

        // The public mode skips the key: nothing is missing without it.
        let open = InMemoryCredentialStore()
        let publicState = try await OnboardingRunner(
            config: ["baseURL": "https://vault.example", "mode": "public"], prompter: nil
        ).run(Self.flow(calls), store: open)
        #expect(publicState["region"] == "us")
        #expect(try await open.names().isEmpty)
        #expect(Self.flow(calls).requiredCredentialNames(for: publicState).isEmpty)
        #expect(Self.flow(calls).requiredCredentialNames(for: state) == ["vault_key"])

        // Without the key where the mode needs it, the runner names it before any step runs.
        let missing = try await #require(throws: MaxError.self) {
            try await OnboardingRunner(config: ["baseURL": "https://vault.example"], prompter: nil)
                .run(Self.flow(calls), store: InMemoryCredentialStore())
        }
        #expect(missing.code == .onboardingMissingInput)
        #expect(missing.message.contains("vault_key"))
    }

    @Test func reauthenticationRunsOnlyTheCredentialStepsAndTheirCheck() async throws {
        let calls = Calls()
        let config: OnboardingState = ["baseURL": "https://eu.vault.example", "mode": "key", "region": "eu"]
        var runner = OnboardingRunner(prompter: nil)
        runner.credentialValues = ["vault_key": Secret("k-2")]
        let store = InMemoryCredentialStore()
        try await runner.reauthenticate(Self.flow(calls), config: config, store: store)
        #expect(try await store.get(Credential.key("vault_key")) == "k-2")
        #expect(calls.custom.load(ordering: .relaxed) == 0, "the custom step is config, not a credential")
        #expect(calls.validation.load(ordering: .relaxed) == 1)
        #expect(calls.seenKeys.withLock { $0 } == ["k-2"], "the check saw the new key")

        runner.credentialValues = ["vault_key": Secret("wrong")]
        let refused = try await #require(throws: MaxError.self) {
            try await runner.reauthenticate(Self.flow(calls), config: config, store: InMemoryCredentialStore())
        }
        #expect(refused.code == .onboardingValidationFailed)
    }
}
