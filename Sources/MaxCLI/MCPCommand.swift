import ArgumentParser
import MaxMCP
import MaxRuntime

struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp", abstract: "Serve the project to AI agents over the Model Context Protocol (stdio).",
        discussion: """
            Speaks MCP on standard input and output (logs and errors go to standard error only). \
            The project is the working directory, or -C. Tools: max_ls, max_schema, max_search, \
            max_count, max_status, max_runs; max_sync only with --allow-sync; max_ops, max_invoke \
            and max_jobs only with --allow-operations. Each installation's schema is a resource \
            (max://<installation>/schema).

            In an MCP client's configuration:
              {"command": "max", "args": ["mcp", "-C", "/path/to/project"]}
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Flag(help: "Offer max_sync, which calls the sources' APIs.") var allowSync = false
    @Flag(help: "Offer max_ops, max_invoke and max_jobs, which can change the sources.") var allowOperations = false

    func run() async throws {
        let workspace = try global.workspace()
        try await MaxMCPServer(
            facade: MaxFacade(workspace: workspace), allowSync: allowSync, allowOperations: allowOperations
        ).run()
    }
}
