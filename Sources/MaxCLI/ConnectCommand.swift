import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import MaxQuery
import MaxRuntime
import MaxStorage

struct ConnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Connect a connector: run its onboarding, store its secrets, and record the installation.",
        discussion: """
            On a terminal, Max asks for each value (secrets without echo). Otherwise (or with
            --no-input) every value comes from flags:
              max connect acme --config baseURL=https://acme.example.com \\
                --credential api_token=env:ACME_TOKEN --config workspaceId=ws_…
            A secret is never accepted as a literal: use env:VAR, file:PATH, or - (standard input).
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The connector, such as acme (see \"max connectors\").") var connector: String
    @Option(help: "The installation's name (default: the connector's, then -2, -3…).") var name: String?
    @Option(help: "A config value, as key=value. Repeatable.") var config: [String] = []
    @Option(help: "A secret's source, as key=env:VAR, key=file:PATH or key=-. Repeatable.") var credential: [String] =
        []
    @Flag(help: "Never prompt, even on a terminal.") var noInput = false

    func run() async throws {
        let workspace = try global.workspace()
        var values: [String: String] = [:]
        for pair in config {
            let (key, value) = try Self.split(pair, flag: "--config")
            values[key] = value
        }
        var sources: [String: CredentialSource] = [:]
        for pair in credential {
            let (key, value) = try Self.split(pair, flag: "--credential")
            sources[key] = try CredentialSource(parsing: value, key: key)
        }
        let interactive = !noInput && Terminal.stdinIsTTY
        let runner = OnboardingRunner(
            config: values, credentialSources: sources, prompter: interactive ? TerminalPrompter() : nil)
        let (name, record) = try await workspace.connect(connector, name: name, runner: runner)
        Terminal.out("Connected \(record.connectorName) as \(name) (\(record.id))")
        Terminal.err("next: max sync \(name)")
    }

    static func split(_ pair: String, flag: String) throws -> (String, String) {
        guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
            throw MaxError(
                .onboardingInvalidInput, "\(flag) takes key=value, not '\(flag == "--credential" ? "…" : pair)'",
                hint:
                    "for example \(flag) \(flag == "--credential" ? "api_token=env:ACME_TOKEN" : "baseURL=https://acme.example.com")"
            )
        }
        return (String(pair[..<equals]), String(pair[pair.index(after: equals)...]))
    }
}
