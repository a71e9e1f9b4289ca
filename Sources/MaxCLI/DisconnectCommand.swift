import ArgumentParser
import Foundation
import MaxCore
import MaxRuntime

struct DisconnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disconnect",
        abstract: "Remove an installation: its credentials at once, its data after the project's retention.",
        discussion: """
            Revokes the installation's OAuth tokens at the provider where its connector declares a \
            revocation endpoint, wipes its credentials, and removes it from max.json. Its synced \
            data and logs are kept in .max/deleted/ for max.json's "retention": \
            {"deletedInstallations": "7d"} (the default), restorable with "max restore <name>", then \
            purged ("max purge"); --purge removes them at once, --keep-data leaves them in place to \
            connect again under the same name.

            A folder under .max/installations/ with no entry in max.json (left by a connect that \
            did not finish) is removed whole.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The installation.") var installation: String
    @Flag(help: "Keep the synced data and logs in .max/ (to connect again under the same name).") var keepData = false
    @Flag(help: "Remove the data and logs at once instead of keeping them for the retention.") var purge = false
    @Flag(help: "Do not ask for confirmation.") var yes = false

    func validate() throws {
        if keepData, purge { throw ValidationError("--keep-data and --purge contradict each other: pick one") }
    }

    func run() async throws {
        let workspace = try global.workspace()
        let leftover = try workspace.isLeftover(installation)
        if !leftover { _ = try workspace.record(installation) }
        let retention = try workspace.retention().deletedInstallations
        let kept = !keepData && !purge && retention > .zero
        if !yes {
            guard Terminal.stdinIsTTY else {
                throw MaxError(
                    .onboardingMissingInput, "disconnecting \(installation) needs confirmation",
                    hint: "pass --yes to confirm without a terminal")
            }
            let fate =
                keepData
                ? "" : kept ? " (its data is kept for \(Self.describe(retention)), restorable)" : " and delete its data"
            Terminal.errRaw(
                leftover
                    ? "Delete the leftover folder of \(installation) (it has no entry in max.json)? [y/N] "
                    : "Disconnect \(installation)\(fate)? [y/N] ")
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                Terminal.err("Nothing was changed.")
                return
            }
        }
        let deletion = try await workspace.delete(
            installation, mode: keepData ? .keepData : purge ? .purge : .retain, caller: GlobalOptions.caller)
        guard !leftover else {
            Terminal.out("Removed the leftover folder of \(installation) (it had no entry in max.json)")
            return
        }
        ConnectCommand.report(revoked: deletion.revoked, at: deletion.provider, error: deletion.revocationError)
        if let deleted = deletion.kept {
            Terminal.out(
                "Disconnected \(installation): credentials wiped; data kept until \(ISO8601.format(deleted.purgeAfter))"
            )
            Terminal.err(
                "restore it with \"max restore \(installation)\" (then \"max connect \(installation) --reauth\"); "
                    + "\"max purge --all\" removes it now")
        } else {
            Terminal.out("Disconnected \(installation)")
        }
    }

    /// `7 days`, `12 hours`, `90 minutes`.
    static func describe(_ duration: Duration) -> String {
        let seconds = Int(duration.components.seconds)
        for (size, unit) in [(86_400, "day"), (3600, "hour"), (60, "minute")] where seconds % size == 0 {
            return "\(seconds / size) \(unit)\(seconds / size == 1 ? "" : "s")"
        }
        return "\(seconds) seconds"
    }
}
