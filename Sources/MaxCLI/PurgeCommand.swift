import ArgumentParser
import Foundation
import MaxCore
import MaxRuntime

struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Remove for good what is past its retention: deleted installations and old audit events.",
        discussion: """
            max.json's "retention": {"deletedInstallations": "7d", "audit": "365d"} says how long \
            each is kept (deleted installations 7 days by default; audit events for ever unless \
            "audit" is set). A purge also runs after every "max disconnect" and "max restore", and \
            every hour in "max serve". Each installation purged, and each purge of audit events, is \
            an audit event.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Flag(help: "Purge every deleted installation now, whatever its retention.") var all = false
    @Flag(help: "Say what would be removed, and remove nothing.") var dryRun = false
    @Option(name: .shortAndLong, help: "Output format: text or json.") var output: OutputFormat = .text

    func validate() throws {
        guard [.text, .json].contains(output) else { throw ValidationError("max purge prints text or json") }
    }

    func run() async throws {
        let report = try await global.workspace().purge(
            everything: all, dryRun: dryRun, caller: GlobalOptions.caller)
        if output == .json {
            Terminal.out(try APICoding.json(report).prettyJSONText)
            return
        }
        let verb = dryRun ? "Would purge" : "Purged"
        let names = report.installations.map(\.name)
        Terminal.out(
            "\(verb) \(names.count) deleted installation\(names.count == 1 ? "" : "s")"
                + (names.isEmpty ? "" : " (\(names.joined(separator: ", ")))")
                + " and \(report.auditEvents) audit event\(report.auditEvents == 1 ? "" : "s")")
    }
}
