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
        steps.flatMap(\.configFields)
    }

    /// The names of every credential the flow can store, in order.
    public var credentialNames: [String] {
        steps.flatMap { $0.credentialNames(for: nil) }
    }

    /// The names of the credentials an installation with `config` holds once onboarded: those of
    /// the steps whose conditions `config` meets.
    public func credentialNames(for config: OnboardingState) -> [String] {
        steps.flatMap { $0.credentialNames(for: config) }
    }

    /// The OAuth steps an installation with `config` goes through: those whose conditions it meets.
    public func oauthSteps(for config: OnboardingState) -> [OAuth2Step] {
        func steps(_ step: OnboardingStep) -> [OAuth2Step] {
            switch step {
            case .oauth2(let oauth): [oauth]
            case .when(let condition, let inner): condition.holds(config) ? steps(inner) : []
            default: []
            }
        }
        return self.steps.flatMap(steps)
    }

    /// The credentials an installation with `config` cannot work without: those entered in its
    /// input steps and the refresh tokens of its OAuth steps (an access token is derived from
    /// one), for the steps whose conditions `config` meets.
    public func requiredCredentialNames(for config: OnboardingState) -> [String] {
        func required(_ step: OnboardingStep) -> [String] {
            switch step {
            case .input(let input): input.credentials.map(\.name)
            case .oauth2(let oauth): [oauth.credential.name]
            case .when(let condition, let inner): condition.holds(config) ? required(inner) : []
            default: []
            }
        }
        return steps.flatMap(required)
    }
}

/// When a conditional step runs, decided from the values collected before it.
public struct StepCondition: Sendable {
    /// What the condition checks, for messages ("auth is oauth").
    public let description: String
    /// Whether the step runs.
    public let holds: @Sendable (OnboardingState) -> Bool
    /// The comparison, when the condition is one (`field(_:is:)`): what a connector out of
    /// process can describe.
    public let comparison: Comparison?

    /// A field compared with a value.
    public struct Comparison: Sendable, Hashable {
        /// The config field.
        public let field: String
        /// The text it must hold.
        public let value: String
        /// Whether an absent field counts as holding `value`.
        public let orAbsent: Bool
    }

    /// A condition described by `description`.
    public init(_ description: String, holds: @escaping @Sendable (OnboardingState) -> Bool) {
        self.description = description
        self.holds = holds
        self.comparison = nil
    }

    private init(_ comparison: Comparison) {
        self.description = "\(comparison.field) is \(comparison.value)"
        self.holds = { state in
            (state[comparison.field]?.stringValue ?? (comparison.orAbsent ? comparison.value : nil))
                == comparison.value
        }
        self.comparison = comparison
    }

    /// The field `name` holds the text `value`.
    public static func field(_ name: String, is value: String) -> StepCondition {
        StepCondition(Comparison(field: name, value: value, orAbsent: false))
    }

    /// Holds when the field `name` is `value`, or absent: for a field whose default is `value`
    /// (and installations made before the field existed).
    public static func field(_ name: String, isOrDefaults value: String) -> StepCondition {
        StepCondition(Comparison(field: name, value: value, orAbsent: true))
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
    /// A step that runs only when the condition holds for the values collected before it.
    indirect case when(StepCondition, OnboardingStep)

    /// The step's label, as the user sees it.
    public var label: String {
        switch self {
        case .input(let step): step.label
        case .validation(let step): step.label
        case .select(let step): step.label
        case .oauth2(let step): step.label
        case .custom(let step): step.label
        case .when(_, let step): step.label
        }
    }

    /// Whether the step asks for or stores a secret (what `max connect --reauth` runs again).
    public var bearsCredentials: Bool {
        !credentialNames(for: nil).isEmpty
    }

    var configFields: [String] {
        switch self {
        case .input(let input): input.fields.map(\.name)
        case .select(let select): [select.field]
        case .when(_, let step): step.configFields
        default: []
        }
    }

    /// The credentials the step stores; with `config`, only if its condition holds for it.
    func credentialNames(for config: OnboardingState?) -> [String] {
        switch self {
        case .input(let input): input.credentials.map(\.name)
        case .oauth2(let oauth): [oauth.credential.name, oauth.accessToken.name]
        case .when(let condition, let step):
            config.map { condition.holds($0) } ?? true ? step.credentialNames(for: config) : []
        default: []
        }
    }
}
