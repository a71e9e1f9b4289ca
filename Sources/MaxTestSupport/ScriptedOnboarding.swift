public import MaxConnector
import MaxCore

/// Runs an onboarding flow with fixed answers, the way a script or a test would: each input field reads its answer,
/// each credential its secret, each select picks with `choose` (the first option by default).
///
/// Enough to exercise a connector's flow; the platform's runner adds prompting, non-interactive sources and error
/// reporting.
public struct ScriptedOnboarding: Sendable {
    /// Answers for input fields, by field name.
    public var answers: [String: String]
    /// Secrets for credential inputs, by credential name.
    public var secrets: [String: String]
    /// Picks a value among a select step's options, by field name.
    public var choices: [String: String]

    /// Creates a script.
    public init(answers: [String: String] = [:], secrets: [String: String] = [:], choices: [String: String] = [:]) {
        self.answers = answers
        self.secrets = secrets
        self.choices = choices
    }

    /// Runs `flow`, writing secrets to `store`, and returns the config it produced.
    ///
    /// - Throws: whatever a step throws; `onboarding.invalid_input` when a choice is not among the
    ///   options.
    public func run(_ flow: OnboardingFlow, store: any CredentialStore) async throws -> OnboardingState {
        var state: OnboardingState = [:]
        let context = OnboardingContext(credentialStore: store)
        for step in flow.steps {
            try await perform(step, state: &state, context: context, store: store)
        }
        return state
    }

    private func perform(
        _ step: OnboardingStep, state: inout OnboardingState, context: OnboardingContext, store: any CredentialStore
    ) async throws {
        switch step {
        case .input(let input):
            for field in input.fields {
                state[field.name] = try field.parse(answers[field.name] ?? "")
            }
            for credential in input.credentials {
                try await store.setSecret(Secret(secrets[credential.name] ?? ""), named: credential.name)
            }
        case .validation(let validation):
            try await validation.validate(state, context)
        case .select(let select):
            let options = try await select.options(state, context)
            guard let chosen = choices[select.field] ?? select.defaultValue ?? options.first?.value,
                options.contains(where: { $0.value == chosen })
            else {
                throw MaxError(
                    .onboardingInvalidInput, "no option '\(choices[select.field] ?? "")' for \(select.label)",
                    context: ["field": select.field])
            }
            state[select.field] = .string(chosen)
        case .custom(let custom):
            state.merge(try await custom.execute(state, context)) { _, new in new }
        case .oauth2(let step):
            throw MaxError(.onboardingInvalidInput, "a script cannot run the OAuth step '\(step.label)'")
        case .when(let condition, let inner):
            if condition.holds(state) { try await perform(inner, state: &state, context: context, store: store) }
        }
    }
}
