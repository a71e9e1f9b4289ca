import ArgumentParser
import MaxCore
import MaxRuntime

/// `max enable <installation>`: syncs allowed again, once its config checks out.
struct EnableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable",
        abstract: "Allow an installation to sync again, after checking its config.",
        discussion: """
            Checks that the installation's connector accepts its config in max.json (it stays \
            disabled otherwise, with the reason), then removes "disabled" from its entry.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The installation.") var installation: String

    func run() async throws {
        let changed = try await global.workspace().setEnabled(installation, true)
        Terminal.out(changed ? "Enabled \(installation)" : "\(installation) was already enabled")
    }
}
