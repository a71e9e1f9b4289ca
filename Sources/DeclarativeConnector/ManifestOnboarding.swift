import Foundation
import MaxConnector
import MaxCore

/// A manifest's onboarding: its config inputs, its secrets (asked only when their auth applies),
/// an OAuth 2.0 authorization, the validation request and the select steps.
enum ManifestOnboarding {
    /// The flow.
    static func flow(_ compiled: CompiledManifest) -> OnboardingFlow {
        let manifest = compiled.manifest
        var steps: [OnboardingStep] = []
        let fields = (manifest.config ?? []).map { input -> InputField in
            let kind: InputField.Kind =
                switch input.type {
                case "url": .url
                case "number": .number
                case "bool": .bool
                default: .string
                }
            return InputField(
                input.key, label: input.label, kind: kind, required: input.required ?? (input.default == nil),
                default: input.default, placeholder: input.placeholder)
        }
        if !fields.isEmpty {
            let described = (manifest.config ?? []).compactMap { input in
                input.description.map { "\(input.label ?? input.key): \($0)" }
            }
            steps.append(
                .input(
                    InputStep(
                        manifest.displayName, description: described.isEmpty ? nil : described.joined(separator: "\n"),
                        fields: fields)))
        }
        // Fixed choices (how to sign in) come before the secrets they decide.
        for select in manifest.select ?? [] {
            guard let choices = select.choices else { continue }
            steps.append(
                .select(
                    SelectStep(
                        select.label, field: select.key, multiple: select.multiple ?? false, default: select.default
                    ) {
                        _, _ in choices.map { SelectOption(label: $0.label ?? $0.value, value: $0.value) }
                    }))
        }
        for credential in manifest.credentials ?? [] {
            let step = OnboardingStep.input(
                InputStep(
                    credential.label ?? credential.key, description: credential.description,
                    credentials: [CredentialInput(Credential.key(credential.key), label: credential.label)]))
            if let when = credential.when {
                steps.append(.when(condition(when), step))
            } else {
                steps.append(step)
            }
        }
        if let auth = manifest.auth {
            for candidate in [auth] + (auth.alternatives ?? []) where candidate.type == "oauth2" {
                guard let step = oauthStep(candidate, manifest: manifest) else { continue }
                steps.append(candidate.when.map { .when(condition($0), .oauth2(step)) } ?? .oauth2(step))
            }
        }
        if let validation = manifest.validation {
            steps.append(
                .validation(
                    ValidationStep("Checking access to \(manifest.displayName)") { state, context in
                        _ = try await answer(validation, compiled, state, context)
                    }))
        }
        for select in manifest.select ?? [] {
            guard let request = select.request, let valuePath = select.value else { continue }
            steps.append(
                .select(
                    SelectStep(select.label, field: select.key, multiple: select.multiple ?? false) { state, context in
                        let body = try await answer(request, compiled, state, context)
                        guard let found = body.at(dotted: select.records), !found.isNull else {
                            throw MaxError(
                                .manifestNoRecords,
                                "the options of '\(select.key)' are not at '\(select.records ?? "")' in the answer",
                                context: ["manifest": compiled.source])
                        }
                        return (found.arrayValue ?? [found]).compactMap { record in
                            let value = Template.text(of: record.at(dotted: valuePath))
                            guard !value.isEmpty else { return nil }
                            let label = select.display.map { Template.text(of: record.at(dotted: $0)) } ?? value
                            return SelectOption(label: label.isEmpty ? value : label, value: value)
                        }
                    }))
        }
        return OnboardingFlow(steps)
    }

    /// Sends an onboarding request with what was entered so far; failures become messages about
    /// what to fix.
    private static func answer(
        _ request: RequestSpec, _ compiled: CompiledManifest, _ state: OnboardingState, _ context: OnboardingContext
    ) async throws -> JSONValue {
        let config = ManifestConnector.withDefaults(.object(state), compiled.manifest)
        let requester = ManifestRequester(
            compiled: compiled, config: config, credentials: context.credentialStore, http: .shared)
        let base = compiled.template(compiled.manifest.base).render(["config": config])
        do {
            let built = try requester.build(request, scope: ["config": config])
            return try requester.requireSuccess(try await requester.send(built)).body
        } catch let error as MaxError where error.code == .httpUnauthorized {
            throw MaxError(
                .onboardingValidationFailed, "\(compiled.manifest.displayName) at \(base) refused the credentials",
                hint:
                    "check the \(compiled.manifest.credentials?.map(\.key).joined(separator: ", ") ?? "credentials") and try again",
                cause: error)
        } catch let error as MaxError where error.code == .httpUnreachable || error.code == .httpTimeout {
            throw MaxError(
                .onboardingValidationFailed, "\(base) is unreachable",
                hint: "check the URL and that \(compiled.manifest.displayName) is reachable", cause: error)
        } catch let error as MaxError where error.code == .httpNotFound || error.code == .httpInvalidResponse {
            throw MaxError(
                .onboardingValidationFailed,
                "\(base) did not answer as \(compiled.manifest.displayName) does: \(error.message)",
                hint: "check the config values (a URL, an owner or a workspace name)", cause: error)
        }
    }

    /// The OAuth 2.0 step of an `oauth2` auth, its URLs' `{{config.x}}` written as the SDK's `{x}`.
    static func oauthStep(_ auth: AuthSpec, manifest: Manifest) -> OAuth2Step? {
        guard let spec = auth.oauth2, let credential = auth.credential else { return nil }
        func braces(_ text: String) -> String {
            text.replacingOccurrences(of: "{{config.", with: "{").replacingOccurrences(of: "}}", with: "}")
        }
        return OAuth2Step(
            "Authorize Max in \(manifest.displayName)", provider: manifest.displayName, scopes: spec.scopes ?? [],
            credential: Credential.key(credential), authorizationURL: braces(spec.authorizationURL),
            tokenURL: braces(spec.tokenURL), clientID: spec.clientID,
            accessToken: Credential.key("access_token", as: OAuth2AccessToken.self),
            revocationURL: spec.revocationURL.map(braces))
    }

    /// The auth strategies, for catalogs and agents.
    static func auth(_ manifest: Manifest) -> ConnectorAuth {
        guard let auth = manifest.auth else { return .none }
        let strategies = ([auth] + (auth.alternatives ?? [])).map {
            $0.type == "oauth2" ? ConnectorAuth.Strategy.oauth2 : .apiKey
        }
        var unique: [ConnectorAuth.Strategy] = []
        for strategy in strategies where !unique.contains(strategy) { unique.append(strategy) }
        return ConnectorAuth(unique)
    }

    /// A config condition as an onboarding condition.
    static func condition(_ when: ConditionSpec) -> StepCondition {
        when.orAbsent == true ? .field(when.key, isOrDefaults: when.equals) : .field(when.key, is: when.equals)
    }

    /// Whether a config condition holds for `state`.
    static func holds(_ when: ConditionSpec, _ state: OnboardingState) -> Bool {
        condition(when).holds(state)
    }
}
