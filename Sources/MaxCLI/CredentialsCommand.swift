import ArgumentParser
import Foundation
import MaxCore
import MaxRuntime

/// `max credentials`: what an installation has stored, never the values.
struct CredentialsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credentials", abstract: "Inspect installations' stored credentials (names, never values).",
        subcommands: [List.self, RotateKey.self])

    // Parsed here too, so `max -C <project> credentials ls …` works like every other command.
    @OptionGroup(title: "Global Options") var global: GlobalOptions

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls",
            abstract: "List an installation's credential keys, where each comes from, and when it was set.",
            discussion: """
                Reads the sealed credential file without opening it: no master key is needed, and no \
                value is ever shown. SOURCE is "stored" (sealed in .max/) or the environment \
                variable max.json references ("credentials": {"api_token": "env:ACME_TOKEN"}), \
                read each time the credential is used and never stored.
                """)

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The installation.") var installation: String
        @Option(name: .shortAndLong, help: "Output format: text, json or ndjson.") var output: OutputFormat = .text

        func validate() throws {
            guard output != .csv else { throw ValidationError("max credentials ls prints text, json or ndjson") }
        }

        func run() async throws {
            let entries = try await global.api().credentials(InstallationRequest(installation: installation))
                .credentials
            let rows = try entries.map { try APICoding.json($0) }
            switch output {
            case .json: Terminal.out(JSONValue.array(rows).prettyJSONText)
            case .ndjson: rows.forEach { Terminal.out($0.jsonText) }
            case .text, .csv:
                guard !entries.isEmpty else {
                    Terminal.err("\(installation) has no credentials")
                    return
                }
                Table.print(
                    headers: ["KEY", "SOURCE", "SET AT"], rows: entries.map { [$0.key, $0.source, $0.setAt ?? "-"] })
            }
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Seal this project's credentials under a new master key.",
            discussion: """
                Makes a new master key in the key file (~/.config/max/master.key, or $MAX_CONFIG_HOME), \
                keeping the old ones in it so every sealed credential stays readable, then seals each \
                installation of this project under the new key, one file at a time (interrupted, run it \
                again). Other projects that share the key file are sealed under the new key the next \
                time they are used. \
                With MAX_MASTER_KEY set, Max cannot change the key: set MAX_MASTER_KEY to a new key and \
                MAX_MASTER_KEY_PREVIOUS to the old one, and this re-seals under the new one.
                """)

        @OptionGroup(title: "Global Options") var global: GlobalOptions

        func run() async throws {
            let (keyID, resealed) = try await global.workspace().rotateMasterKey(caller: GlobalOptions.caller)
            Terminal.out(
                "Master key now \(keyID); sealed again: \(resealed.isEmpty ? "nothing in this project" : resealed.joined(separator: ", "))"
            )
        }
    }
}
