/// A step that checks what was entered so far, such as calling the API with the token.
///
/// The check throws a `MaxError` saying what is wrong ("the API token was rejected"); the runner
/// shows it and nothing is saved.
public struct ValidationStep: Sendable {
    /// The step's label ("Checking the API token").
    public let label: String
    /// The check.
    public let validate: @Sendable (OnboardingState, OnboardingContext) async throws -> Void

    /// Creates a validation step.
    public init(
        _ label: String, validate: @escaping @Sendable (OnboardingState, OnboardingContext) async throws -> Void
    ) {
        self.label = label
        self.validate = validate
    }
}

/// A step that lets the user choose among options fetched at run time.
public struct SelectStep: Sendable {
    /// The step's label ("Workspace").
    public let label: String
    /// The config key the chosen value is stored under.
    public let field: String
    /// Whether several options may be chosen; the value is then an array.
    public let allowsMultiple: Bool
    /// The value chosen when none is given and nobody can be asked.
    public let defaultValue: String?
    /// Fetches the options.
    public let options: @Sendable (OnboardingState, OnboardingContext) async throws -> [SelectOption]

    /// Creates a select step.
    public init(
        _ label: String, field: String, multiple: Bool = false, default defaultValue: String? = nil,
        options: @escaping @Sendable (OnboardingState, OnboardingContext) async throws -> [SelectOption]
    ) {
        self.label = label
        self.field = field
        self.allowsMultiple = multiple
        self.defaultValue = defaultValue
        self.options = options
    }
}

/// One option of a ``SelectStep``.
public struct SelectOption: Sendable, Hashable {
    /// What the user sees.
    public let label: String
    /// What is stored.
    public let value: String

    /// Creates an option.
    public init(label: String, value: String) {
        self.label = label
        self.value = value
    }
}

/// An escape hatch: a step that computes additions to the state.
public struct CustomStep: Sendable {
    /// The step's label.
    public let label: String
    /// Returns the values to add to the state.
    public let execute: @Sendable (OnboardingState, OnboardingContext) async throws -> OnboardingState

    /// Creates a custom step.
    public init(
        _ label: String,
        execute: @escaping @Sendable (OnboardingState, OnboardingContext) async throws -> OnboardingState
    ) {
        self.label = label
        self.execute = execute
    }
}
