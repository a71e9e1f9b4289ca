import ArgumentParser
import MaxCore
import MaxRuntime

/// `max disable <installation>`: no syncs until it is enabled again.
struct DisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: "Stop syncing an installation (by hand, by webhook or on a schedule) until it is enabled.",
        discussion: """
            Writes "disabled": true in its entry of max.json. Its synced data stays and still \
            answers search, count and the other reads; "max sync" refuses it with \
            installation.disabled (exit 1) until "max enable".
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The installation.") var installation: String

    func run() async throws {
        let changed = try await global.workspace().setEnabled(installation, false)
        Terminal.out(
            changed
                ? "Disabled \(installation): it is not synced until \"max enable \(installation)\"; its data still answers queries"
                : "\(installation) was already disabled")
    }
}
