import ArgumentParser
import MaxCore
import MaxRuntime

/// `max apply`: make `.max/` match `max.json`.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract:
            "Make .max/ match max.json: create what is missing, and with --prune remove what it no longer declares.",
        discussion: """
            Creates .max/ (private to you), its .gitignore entry and each installation's folder; \
            with --prune removes the folders (credentials and data) of installations max.json no \
            longer declares. Each change is an audit event; a second apply changes nothing. \
            Missing credentials are listed with what provides them, and make it exit 3.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Flag(help: "Remove the folders of installations max.json no longer declares.") var prune = false
    @Option(name: .shortAndLong, help: "Output format: text or json.") var output: OutputFormat = .text

    func validate() throws { try output.require(oneOf: [.text, .json], for: "apply") }

    func run() async throws {
        let plan = try await global.workspace().apply(prune: prune)
        Self.print(plan, output: output, done: true)
        if plan.changes.contains(where: { $0.action == "missing-credential" }) { throw PartialSuccess(code: 3) }
    }

    static func print(_ plan: ApplyPlan, output: OutputFormat, done: Bool) {
        if output == .json {
            Terminal.out(
                JSONValue.array(
                    plan.changes.map { change in
                        [
                            "action": .string(change.action),
                            "installation": change.installation.map(JSONValue.string) ?? .null,
                            "description": .string(change.description),
                            "hint": change.hint.map(JSONValue.string) ?? .null,
                        ]
                    }
                ).prettyJSONText)
            return
        }
        if plan.changes.isEmpty {
            Terminal.out(done ? "Nothing to change: .max/ matches max.json" : "No changes: .max/ matches max.json")
            return
        }
        for change in plan.changes {
            let mark =
                switch change.action {
                case "prune": change.description.hasPrefix("keep") ? "=" : "-"
                case "missing-credential": "!"
                default: "+"
                }
            Terminal.out("\(mark) \(change.description)")
            if let hint = change.hint { Terminal.out("  hint: \(hint)") }
        }
    }
}
