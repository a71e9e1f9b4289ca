import Foundation
public import MaxConnector
public import MaxCore

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
    /// - Returns: The plain config.
    /// - Throws: `onboarding.missing_input`, `onboarding.invalid_input`, the flow's validation
    ///   errors, `credentials.*` errors for unreadable sources.
    public func run(_ flow: OnboardingFlow, store: any CredentialStore) async throws -> OnboardingState {
        if prompter == nil { try checkNothingMissing(flow) }
        var state: OnboardingState = [:]
        let context = OnboardingContext(credentialStore: store)
        for step in flow.steps {
            switch step {
            case .input(let input):
                await prompter?.show(step: input.label, description: input.description)
                for field in input.fields {
                    state[field.name] = try await value(for: field)
                }
                for credential in input.credentials {
                    try await store.setSecret(try await secret(for: credential), named: credential.name)
                }
            case .validation(let validation):
                await prompter?.report("\(validation.label)…")
                try await validation.validate(state, context)
                await prompter?.report("\(validation.label): ok")
            case .select(let select):
                let chosen = try await choices(for: select, state: state, context: context)
                state[select.field] = select.allowsMultiple ? .array(chosen.map(JSONValue.string)) : .string(chosen[0])
            case .custom(let custom):
                await prompter?.report("\(custom.label)…")
                state.merge(try await custom.execute(state, context)) { _, new in new }
            case .oauth2(let oauth):
                throw MaxError(
                    .onboardingInvalidInput, "the \(oauth.provider) OAuth step is not supported by this version of Max",
                    context: ["step": oauth.label])
            }
        }
        return state
    }

    private func checkNothingMissing(_ flow: OnboardingFlow) throws {
        var missing: [String] = []
        for case .input(let input) in flow.steps {
            for field in input.fields where field.isRequired && field.defaultValue == nil && config[field.name] == nil {
                missing.append("\(field.name) (--config \(field.name)=…)")
            }
            for credential in input.credentials
            where credentialSources[credential.name] == nil && credentialValues[credential.name] == nil {
                missing.append("\(credential.name) (--credential \(credential.name)=env:VAR|file:PATH|-)")
            }
        }
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
                        .onboardingInvalidInput, "'\(item)' is not one of the options for \(select.label)",
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
        let how = select.allowsMultiple ? "one or more of, comma-separated" : "one of"
        throw Self.missing([
            "\(select.field) (--config \(select.field)=…; \(how): " + options.map(\.value).joined(separator: ", ") + ")"
        ])
    }
}
