import ArgumentParser
import MaxConnector
import MaxRuntime

/// `max connector`: working with connectors as programs.
struct ConnectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connector", abstract: "Run connectors as programs of their own.",
        discussion: """
            A connector can run out of process, speaking the connector protocol (JSON-RPC 2.0, one
            message per line, over its standard input and output; see docs/connector-protocol.md).
            An installation with "provider": "subprocess" in max.json runs its built-in connector
            that way, through "max connector host".
            """,
        subcommands: [Host.self])

    /// `max connector host <name>`: a built-in connector as a protocol server (what Max starts for
    /// a subprocess installation; not for people).
    struct Host: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "host", abstract: "Serve a built-in connector over the connector protocol on stdio.",
            shouldDisplay: false)

        @Argument(help: "The built-in connector.") var name: String

        func run() async throws {
            let module = try await BuiltInConnectors.registry().resolve(name)
            try await Self.host(module)
        }

        static func host(_ module: some ConnectorModule) async throws {
            try await ConnectorHost.run(module)
        }
    }
}
