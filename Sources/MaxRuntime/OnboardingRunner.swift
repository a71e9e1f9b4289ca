public import Foundation
public import MaxConnector
public import MaxCore
public import MaxCredentials

/// Runs a connector's onboarding flow, interactively through a ``Prompter`` or from given values.
///
/// Secrets go to `credentials` as they are collected; the result holds only plain config.
/// Non-interactively, every input comes from `config` (or its default), every secret from
/// `credentials`, every select from `config` (or the only option); anything missing fails with
/// `onboarding.missing_input`, naming each key and the flag that gives it.
public struct OnboardingRunner: Sendable {
    /// Values given up front (`--config key=value`).
    public var config: [String: String]
    /// Secret sources given up front (`--credential key=SOURCE`).
    public var credentialSources: [String: CredentialSource]
    /// Secrets handed over in-process by a program (never from the command line).
    public var credentialValues: [String: Secret] = [:]
    /// The person to ask, or `nil` to run non-interactively.
    public var prompter: (any Prompter)?
    /// Shown an OAuth 2.0 authorization URL to open; by default it is printed on standard error
    /// as one line, `authorize: <URL>`.
    public var authorize: @Sendable (URL) async -> Void = { url in
        FileHandle.standardError.write(Data("authorize: \(url.absoluteString)\n".utf8))
    }
    /// How long an OAuth 2.0 step waits for the redirect.
    public var authorizationTimeout: Duration = .seconds(300)

    /// Creates a runner.
    public init(
        config: [String: String] = [:], credentialSources: [String: CredentialSource] = [:], prompter: (any Prompter)?
    ) {
        self.config = config
        self.credentialSources = credentialSources
        self.prompter = prompter
    }

    /// Runs `flow`, storing secrets in `store`.
    ///
    /// Conditional steps run when their condition holds for what the steps before them collected.
    ///
    /// - Returns: The plain config.
    /// - Throws: `onboarding.missing_input`, `onboarding.invalid_input`, `onboarding.oauth_failed`,
    ///   the flow's validation errors, `credentials.*` errors for unreadable sources.
    public func run(_ flow: OnboardingFlow, store: any CredentialStore) async throws -> OnboardingState {
        if prompter == nil { try checkNothingMissing(flow.steps) }
        var state: OnboardingState = [:]
        let context = OnboardingContext(credentialStore: store)
        for step in flow.steps {
            try await perform(step, state: &state, context: context, credentialsOnly: false)
        }
        return state
    }

    /// Runs again the steps of `flow` that ask for or store secrets (and the validation steps, which
    /// check them) for an installation whose config is `config`, storing the secrets in `store`.
    ///
    /// The config is not asked for and does not change; conditional steps follow it.
    ///
    /// - Throws: as ``run(_:store:)``.
    public func reauthenticate(_ flow: OnboardingFlow, config: OnboardingState, store: any CredentialStore)
        async throws
    {
        if prompter == nil { try checkNothingMissing(flow.steps, state: config, credentialsOnly: true) }
        var state = config
        let context = OnboardingContext(credentialStore: store)
        for step in flow.steps {
            try await perform(step, state: &state, context: context, credentialsOnly: true)
        }
    }

    private func perform(
        _ step: OnboardingStep, state: inout OnboardingState, context: OnboardingContext, credentialsOnly: Bool
    ) async throws {
        let store = context.credentialStore
        switch step {
        case .input(let input):
            if credentialsOnly && input.credentials.isEmpty { return }
            await prompter?.show(step: input.label, description: input.description)
            if !credentialsOnly {
                for field in input.fields {
                    state[field.name] = try await value(for: field)
                }
            }
            for credential in input.credentials {
                try await store.setSecret(try await secret(for: credential), named: credential.name)
            }
        case .validation(let validation):
            await prompter?.report("\(validation.label)…")
            try await validation.validate(state, context)
            await prompter?.report("\(validation.label): ok")
        case .select(let select):
            if credentialsOnly { return }
            let chosen = try await choices(for: select, state: state, context: context)
            state[select.field] = select.allowsMultiple ? .array(chosen.map(JSONValue.string)) : .string(chosen[0])
        case .custom(let custom):
            if credentialsOnly { return }
            await prompter?.report("\(custom.label)…")
            state.merge(try await custom.execute(state, context)) { _, new in new }
        case .oauth2(let oauth):
            await prompter?.show(
                step: oauth.label,
                description:
                    "Max opens \(oauth.provider) in your browser (or open the authorize: URL below) and waits for the approval."
            )
            try await OAuth2Authorization(
                step: oauth, state: state, authorize: authorize, timeout: authorizationTimeout
            ).run(store: store)
            await prompter?.report("\(oauth.label): authorized")
        case .when(let condition, let inner):
            if condition.holds(state) {
                try await perform(inner, state: &state, context: context, credentialsOnly: credentialsOnly)
            }
        }
    }

    /// Fails at once, before any step runs, when values that only flags can give are missing.
    ///
    /// Conditions are decided on the values given (or defaulted), as the steps would.
    private func checkNothingMissing(
        _ steps: [OnboardingStep], state initial: OnboardingState = [:], credentialsOnly: Bool = false
    ) throws {
        var missing: [String] = []
        var state = initial
        func visit(_ step: OnboardingStep) {
            switch step {
            case .input(let input):
                for field in input.fields where !credentialsOnly {
                    if let given = config[field.name] {
                        state[field.name] = (try? field.parse(given)) ?? .string(given)
                    } else if let value = field.defaultValue {
                        state[field.name] = value
                    } else if field.isRequired {
                        missing.append("\(field.name) (--config \(field.name)=…)")
                    }
                }
                for credential in input.credentials
                where credentialSources[credential.name] == nil && credentialValues[credential.name] == nil {
                    missing.append("\(credential.name) (--credential \(credential.name)=env:VAR|file:PATH|-)")
                }
            case .select(let select) where !credentialsOnly:
                if let value = config[select.field] ?? select.defaultValue { state[select.field] = .string(value) }
            case .when(let condition, let inner):
                if condition.holds(state) { visit(inner) }
            default:
                break
            }
        }
        steps.forEach(visit)
        guard missing.isEmpty else { throw Self.missing(missing) }
    }

    static func missing(_ items: [String]) -> MaxError {
        MaxError(
            .onboardingMissingInput, "onboarding needs values that were not given: " + items.joined(separator: ", "),
            hint: "standard input is not a terminal, so Max cannot ask; pass the flags named above",
            context: ["missing": items.joined(separator: ", ")])
    }

    private func value(for field: InputField) async throws -> JSONValue? {
        if let given = config[field.name] { return try field.parse(given) }
        guard let prompter else { return try field.parse("") }
        while true {
            let answer = try await prompter.ask(
                field.label, default: field.defaultValue.flatMap(\.stringValue), placeholder: field.placeholder)
            do {
                return try field.parse(answer)
            } catch let error as MaxError {
                await prompter.report("\(error.message). Try again.")
            }
        }
    }

    private func secret(for credential: CredentialInput) async throws -> Secret {
        if let value = credentialValues[credential.name] { return value }
        if let source = credentialSources[credential.name] { return try source.read(key: credential.name) }
        guard let prompter else { throw Self.missing(["\(credential.name) (--credential \(credential.name)=…)"]) }
        if let description = credential.description { await prompter.report(description) }
        while true {
            let answer = try await prompter.askSecret(credential.label).trimmingCharacters(in: .whitespacesAndNewlines)
            if !answer.isEmpty { return Secret(answer) }
            await prompter.report("\(credential.label) is required. Try again.")
        }
    }

    /// The values chosen for `select`: one, or with ``SelectStep/allowsMultiple`` one or more
    /// (given as `--config field=a,b`, or picked at the prompt), each once, in the order given.
    private func choices(for select: SelectStep, state: OnboardingState, context: OnboardingContext) async throws
        -> [String]
    {
        let options = try await select.options(state, context)
        guard !options.isEmpty else {
            throw MaxError(
                .onboardingInvalidInput, "there is nothing to choose for \(select.label)",
                context: ["field": select.field])
        }
        if let given = config[select.field] {
            let items =
                select.allowsMultiple
                ? given.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                : [given]
            guard !items.isEmpty else {
                throw MaxError(
                    .onboardingInvalidInput, "choose at least one option for \(select.label)",
                    hint: "options: " + options.map { "\($0.value) (\($0.label))" }.joined(separator: ", "),
                    context: ["field": select.field])
            }
            var chosen: [String] = []
            for item in items {
                guard let option = options.first(where: { $0.value == item || $0.label == item }) else {
                    throw MaxError(
                        // The value is not repeated: it may be a secret given as the wrong key.
                        .onboardingInvalidInput,
                        "the value given for \(select.field) is not one of the options for \(select.label)",
                        hint: "options: " + options.map { "\($0.value) (\($0.label))" }.joined(separator: ", "),
                        context: ["field": select.field])
                }
                if !chosen.contains(option.value) { chosen.append(option.value) }
            }
            return chosen
        }
        if let prompter {
            let picked =
                select.allowsMultiple
                ? try await prompter.chooseSeveral(select.label, options: options)
                : [try await prompter.choose(select.label, options: options)]
            return picked.map { options[$0].value }
        }
        if options.count == 1 { return [options[0].value] }
        if let value = select.defaultValue, options.contains(where: { $0.value == value }) { return [value] }
        let how = select.allowsMultiple ? "one or more of, comma-separated" : "one of"
        throw Self.missing([
            "\(select.field) (--config \(select.field)=…; \(how): " + options.map(\.value).joined(separator: ", ") + ")"
        ])
    }
}
