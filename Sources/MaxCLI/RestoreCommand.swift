import ArgumentParser
import Foundation
import MaxCore
import MaxRuntime

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Bring back a disconnected installation within its retention, or list those kept.",
        discussion: """
            Without a name, lists the deleted installations kept in .max/deleted/ and when each is \
            purged. With one, puts back its entry in max.json, its synced data and its logs (the \
            latest deletion of that name). Its credentials were wiped when it was disconnected: \
            enter them again with "max connect <name> --reauth" before syncing.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The installation to restore; none to list.") var installation: String?
    @Option(name: .shortAndLong, help: "Output format of the list: text, json or ndjson.") var output: OutputFormat =
        .text

    func validate() throws {
        guard output != .csv else { throw ValidationError("max restore prints text, json or ndjson") }
    }

    func run() async throws {
        let workspace = try global.workspace()
        guard let installation else {
            let kept = try workspace.deletedInstallations()
            let rows = try kept.map { try APICoding.json($0) }
            switch output {
            case .json: Terminal.out(JSONValue.array(rows).prettyJSONText)
            case .ndjson: rows.forEach { Terminal.out($0.jsonText) }
            case .text, .csv:
                guard !kept.isEmpty else {
                    Terminal.err("No deleted installation is kept.")
                    return
                }
                Table.print(
                    headers: ["NAME", "CONNECTOR", "DELETED AT", "PURGED AFTER", "BY"],
                    rows: kept.map {
                        [
                            $0.name, $0.connector, ISO8601.format($0.deletedAt), ISO8601.format($0.purgeAfter),
                            $0.deletedBy,
                        ]
                    })
            }
            return
        }
        let restored = try await workspace.restore(installation, caller: GlobalOptions.caller)
        Terminal.out("Restored \(installation) (deleted at \(ISO8601.format(restored.deletedAt)))")
        Terminal.err("next: max connect \(installation) --reauth (its credentials were wiped when it was deleted)")
    }
}
