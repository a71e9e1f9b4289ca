import ArgumentParser
import MaxCore
import MaxRuntime

struct DisconnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disconnect",
        abstract: "Remove an installation, its credentials and (unless --keep-data) its data and logs.",
        discussion: """
            A folder under .max/installations/ with no entry in max.json (left by a connect that \
            did not finish) is removed whole.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The installation.") var installation: String
    @Flag(help: "Keep the synced data and logs in .max/ (to connect again under the same name).") var keepData = false
    @Flag(help: "Do not ask for confirmation.") var yes = false

    func run() async throws {
        let workspace = try global.workspace()
        let leftover = try workspace.isLeftover(installation)
        if !leftover { _ = try workspace.record(installation) }
        if !yes {
            guard Terminal.stdinIsTTY else {
                throw MaxError(
                    .onboardingMissingInput, "disconnecting \(installation) needs confirmation",
                    hint: "pass --yes to confirm without a terminal")
            }
            Terminal.errRaw(
                leftover
                    ? "Delete the leftover folder of \(installation) (it has no entry in max.json)? [y/N] "
                    : "Disconnect \(installation)\(keepData ? "" : " and delete its data")? [y/N] ")
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                Terminal.err("Nothing was changed.")
                return
            }
        }
        try await workspace.disconnect(installation, keepData: keepData)
        Terminal.out(
            leftover
                ? "Removed the leftover folder of \(installation) (it had no entry in max.json)"
                : "Disconnected \(installation)")
    }
}
