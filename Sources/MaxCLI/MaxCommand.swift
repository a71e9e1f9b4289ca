public import ArgumentParser
import Foundation
import MaxCore
import MaxRuntime

/// `max`: connect sources, sync them into local storage, query them.
public struct MaxCommand: AsyncParsableCommand {
    /// The command tree.
    public static let configuration = CommandConfiguration(
        commandName: "max",
        abstract: "Sync data from your tools into local storage and query it instantly.",
        discussion: """
            Start with:  max init && max connect acme && max sync acme
            Then query:  max search acme AcmeTask --filter 'status = "todo"' -o ndjson
            Or try it all on a sample server:  max demo
            """,
        version: "0.1.0",
        subcommands: [
            InitCommand.self, ValidateCommand.self, DiffCommand.self, ApplyCommand.self, ConnectorsCommand.self,
            ConnectorCommand.self, ConnectCommand.self,
            DisconnectCommand.self, EnableCommand.self, DisableCommand.self, ListCommand.self,
            StatusCommand.self, SchemaCommand.self, SyncCommand.self, RunsCommand.self, SearchCommand.self,
            CountCommand.self, SQLCommand.self, CredentialsCommand.self, InstallCommand.self, OpsCommand.self,
            InvokeCommand.self,
            JobsCommand.self, AuditCommand.self, MCPCommand.self, LLMBootstrapCommand.self,
            ServeCommand.self, WebhooksCommand.self, WorkerCommand.self, StorageCommand.self, PolicyCommand.self,
            RestoreCommand.self, PurgeCommand.self, DemoCommand.self, SandboxExecCommand.self,
        ]
    )

    /// Creates the command (for the argument parser).
    public init() {}

    /// Parses `arguments`, runs the command, prints errors, and exits with the code CLI.md gives;
    /// `max demo` runs `sample`.
    public static func main(arguments: [String], sample: (any SampleServer)?) async -> Never {
        Composition.sample = sample
        // Subprocess connectors are held in by this executable's `max sandbox-exec`.
        ConnectorSandbox.helper = Bundle.main.executableURL?.path
        let arguments = moveDirectoryOption(arguments)
        let wantsJSON = zip(arguments, arguments.dropFirst()).contains {
            ($0 == "-o" || $0 == "--output") && ($1 == "json" || $1 == "ndjson")
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch let error as MaxError {
            ErrorReporter.report(error, json: wantsJSON)
            Foundation.exit(ErrorReporter.exitCode(for: error))
        } catch let partial as PartialSuccess {
            Foundation.exit(partial.code)
        } catch is CancellationError {
            Terminal.err("interrupted")
            Foundation.exit(130)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                Terminal.out(fullMessage(for: error))
                Foundation.exit(0)
            }
            Terminal.err(fullMessage(for: error))
            // Usage errors are exit 2 in Max (argument-parser's own default is 64).
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }

    /// `-C dir` may come before the command words; the parser wants it after all of them (a
    /// nested command such as `jobs ls` is only found when its words come first), so it moves to
    /// the end, or before a `--` that ends the options.
    static func moveDirectoryOption(_ arguments: [String]) -> [String] {
        guard arguments.count >= 3, arguments[0] == "-C" else { return arguments }
        var rest = Array(arguments.dropFirst(2))
        rest.insert(contentsOf: ["-C", arguments[1]], at: rest.firstIndex(of: "--") ?? rest.endIndex)
        return rest
    }
}

/// Thrown by a command that finished but must exit with a non-zero code (a partial sync: 3).
struct PartialSuccess: Error {
    let code: Int32
}
