import ArgumentParser
import MaxCore
import MaxRuntime

struct DisconnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disconnect",
        abstract: "Remove an installation, its credentials and (unless --keep-data) its data and logs.")

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The installation.") var installation: String
    @Flag(help: "Keep the synced data and logs in .max/ (to connect again under the same name).") var keepData = false
    @Flag(help: "Do not ask for confirmation.") var yes = false

    func run() async throws {
        let workspace = try global.workspace()
        _ = try workspace.record(installation)
        if !yes {
            guard Terminal.stdinIsTTY else {
                throw MaxError(
                    .onboardingMissingInput, "disconnecting \(installation) needs confirmation",
                    hint: "pass --yes to confirm without a terminal")
            }
            Terminal.errRaw("Disconnect \(installation)\(keepData ? "" : " and delete its data")? [y/N] ")
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                Terminal.err("Nothing was changed.")
                return
            }
        }
        try workspace.disconnect(installation, keepData: keepData)
        Terminal.out("Disconnected \(installation)")
    }
}
