import ArgumentParser
import MaxMCP
import MaxRuntime

struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp", abstract: "Serve the project to AI agents over the Model Context Protocol (stdio).",
        discussion: """
            Speaks MCP on standard input and output (logs and errors go to standard error only). \
            The project is the working directory, or -C. Tools: max_ls, max_schema, max_status, \
            max_search, max_count, max_runs, max_ops, max_jobs, max_job, max_audit; max_sync only \
            with --allow-sync; max_invoke, max_job_cancel and max_job_retry only with \
            --allow-operations. Each installation's schema is a resource (max://<installation>/schema).

            In an MCP client's configuration:
              {"command": "max", "args": ["mcp", "-C", "/path/to/project"]}
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Flag(help: "Offer max_sync, which calls the sources' APIs.") var allowSync = false
    @Flag(help: "Offer max_invoke, max_job_cancel and max_job_retry, which can change the sources.")
    var allowOperations = false

    func run() async throws {
        let api = MaxNodes(local: try global.api().local.calling(as: "mcp").longLived())
        try await MaxMCPServer(api: api, allowSync: allowSync, allowOperations: allowOperations).run()
    }
}
