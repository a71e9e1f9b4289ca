import ArgumentParser
import MaxCore
import MaxRuntime

/// `max diff`: what `max apply` would change.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what \"max apply\" would change to make .max/ match max.json.",
        discussion: """
            max.json wins: what it declares and .max/ lacks is created; what .max/ holds for an \
            installation it no longer declares is removed only with --prune; a missing credential \
            is listed with the command that provides it (apply cannot make secrets); a problem in \
            max.json, which stops apply, is listed with "!" and its path; a connector upgrade, \
            a config, "disabled" or version changed in max.json by hand since the last apply, \
            with "~". With -f FILE, first what merging its Connector documents into max.json would \
            change. Changes nothing. Exits 0.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Flag(help: "Show the removals --prune would make.") var prune = false
    @Option(name: .shortAndLong, help: "Output format: text or json.") var output: OutputFormat = .text
    @Option(
        name: .shortAndLong, help: "A file of Connector documents apply -f would merge into max.json (- for stdin).")
    var file: String?

    func validate() throws { try output.require(oneOf: [.text, .json], for: "diff") }

    func run() async throws {
        let plan = try await global.api().diff(ApplyRequest(prune: prune, spec: try file.map(ApplyCommand.documents)))
        ApplyCommand.print(plan, output: output, done: false)
    }
}
