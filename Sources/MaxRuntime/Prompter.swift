public import MaxConnector

/// How onboarding asks a person for values: a terminal, a web form, or a script in tests.
///
/// The onboarding runner calls it; it never sees how values are collected.
public protocol Prompter: Sendable {
    /// Shows a step's label and guidance.
    func show(step: String, description: String?) async
    /// Asks for a plain value; returns what was typed (empty for "use the default").
    func ask(_ label: String, default: String?, placeholder: String?) async throws -> String
    /// Asks for a secret without echoing it.
    func askSecret(_ label: String) async throws -> String
    /// Asks to choose one option; returns its index.
    func choose(_ label: String, options: [SelectOption]) async throws -> Int
    /// Asks to choose one or more options; returns their indexes, in the order given, each once.
    func chooseSeveral(_ label: String, options: [SelectOption]) async throws -> [Int]
    /// Reports progress or a problem ("Checking the API token… ok").
    func report(_ message: String) async
}
