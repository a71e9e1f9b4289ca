import ArgumentParser
import MaxRuntime

struct LLMBootstrapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llm-bootstrap", abstract: "Print a guide for AI agents to this project (Markdown).",
        discussion: """
            Generated from the project as it is now: its installations, their entity types and \
            fields, the filter grammar, output formats and pagination, and the rule to sync or \
            invoke only with the user's consent. Paste it into an agent's context, or let it run \
            the command itself.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions

    func run() async throws {
        Terminal.out(try await global.api().local.agentGuide())
    }
}
