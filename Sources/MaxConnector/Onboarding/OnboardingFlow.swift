public import MaxCore

/// The values collected so far during onboarding, by field name.
///
/// Never holds secrets: those go straight to the credential store.
public typealias OnboardingState = [String: JSONValue]

/// The platform services a step may use while it runs.
public struct OnboardingContext: Sendable {
    /// The installation's credential store, already holding the secrets entered so far.
    public let credentialStore: any CredentialStore

    /// Creates a context.
    public init(credentialStore: any CredentialStore) {
        self.credentialStore = credentialStore
    }
}

/// How a connector onboards a user: an ordered list of steps, each seeing what the earlier ones collected.
///
/// The result is plain config; secrets are written to the credential store as they are entered and never appear in it.
///
/// ```swift
/// let onboarding = OnboardingFlow([
///     .input(InputStep("API access", fields: [.url("baseURL", label: "Tenant URL")],
///                      credentials: [CredentialInput(apiToken, label: "API token")])),
///     .validation(ValidationStep("Check the token") { state, context in … }),
///     .select(SelectStep("Workspace", field: "workspaceId") { state, context in … }),
/// ])
/// ```
///
/// The platform's onboarding runner interprets the steps through a prompter (a terminal, a script
/// of answers, a web form); the flow itself knows nothing of how values are asked for.
public struct OnboardingFlow: Sendable {
    /// The steps, in order.
    public let steps: [OnboardingStep]

    /// Creates a flow.
    public init(_ steps: [OnboardingStep]) {
        self.steps = steps
    }

    /// The names of every config field the flow can fill, in order.
    public var configFields: [String] {
        steps.flatMap { step -> [String] in
            switch step {
            case .input(let input): input.fields.map(\.name)
            case .select(let select): [select.field]
            default: []
            }
        }
    }

    /// The names of every credential the flow stores, in order.
    public var credentialNames: [String] {
        steps.flatMap { step -> [String] in
            switch step {
            case .input(let input): input.credentials.map(\.name)
            case .oauth2(let oauth): [oauth.credential.name]
            default: []
            }
        }
    }
}

/// One step of an onboarding flow.
public enum OnboardingStep: Sendable {
    /// Ask for config values and secrets.
    case input(InputStep)
    /// Check what was entered (call the API with the token, say).
    case validation(ValidationStep)
    /// Let the user pick from options fetched at run time.
    case select(SelectStep)
    /// Authorise through OAuth 2.0 and store the refresh token.
    case oauth2(OAuth2Step)
    /// Anything else: a function that adds to the state.
    case custom(CustomStep)

    /// The step's label, as the user sees it.
    public var label: String {
        switch self {
        case .input(let step): step.label
        case .validation(let step): step.label
        case .select(let step): step.label
        case .oauth2(let step): step.label
        case .custom(let step): step.label
        }
    }
}
