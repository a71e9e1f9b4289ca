import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import MaxCredentials
import MaxRuntime

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The guided end-to-end run: a sample Acme server, a project, a sync, and some queries.",
        discussion: """
            Starts Acme (the sample SaaS) on a free loopback port, creates a project (in a temporary \
            folder, or --dir), connects it without prompts, syncs with progress, runs example \
            searches and a count, then stops the server. The project is kept so you can query it.
            """)

    @Option(help: "Where to create the demo project (default: a new temporary folder).") var dir: String?
    @Option(help: "Projects in the sample workspace (1 to 100).") var projects = 4
    @Option(help: "Tasks per project (1 to 10000).") var tasksPerProject = 750

    func validate() throws {
        guard (1...100).contains(projects) else { throw ValidationError("--projects must be between 1 and 100") }
        guard (1...10_000).contains(tasksPerProject) else {
            throw ValidationError("--tasks-per-project must be between 1 and 10000")
        }
    }

    func run() async throws {
        let root = URL(
            fileURLWithPath: dir ?? NSTemporaryDirectory() + "max-demo-\(UUID().uuidString.prefix(8).lowercased())",
            isDirectory: true)
        guard let sample = Composition.sample else {
            throw MaxError(
                .internalError, "this build of max has no sample server for the demo",
                hint: "run the max executable built from this repository: swift run max demo")
        }
        let (projects, tasksPerProject) = (projects, tasksPerProject)
        let bold: @Sendable (String) -> String = { Terminal.style($0, "1", on: Terminal.colorOnStdout) }

        Terminal.out(bold("1. Starting Acme, the sample SaaS…"))
        try await sample.withRunning(projects: projects, tasksPerProject: tasksPerProject) { url, apiKey in
            Terminal.out("   Acme is serving \(projects * tasksPerProject) tasks at \(url)")

            Terminal.out(bold("2. max init \(root.path)"))
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            let project = try Project.initialise(at: root, force: true).project
            let workspace = MaxWorkspace(project: project, registry: BuiltInConnectors.registry())

            Terminal.out(
                bold("3. max connect acme --config baseURL=\(url) --credential api_token=env:ACME_TOKEN"))
            var runner = OnboardingRunner(prompter: nil)
            runner.config = ["baseURL": url]
            runner.credentialSources = ["api_token": .environment("ACME_TOKEN")]
            let environment = ["ACME_TOKEN": apiKey]
            let name = try await connect(workspace, runner: runner, environment: environment)
            Terminal.out("   Connected acme as \(name); the token is in .max/, never in max.json")

            Terminal.out(bold("4. max sync \(name)"))
            let reporter = ProgressReporter(mode: Terminal.stderrIsTTY ? .bar : .none, installation: name)
            let api = MaxNodes(workspace: workspace, caller: GlobalOptions.caller)
            let summary = try await api.sync(SyncRequest(installation: name), observer: reporter.handle)
            reporter.finish()
            Terminal.out(
                "   Synced \(ProgressReporter.grouped(summary.totalEntities)) entities in \(String(format: "%.1f", summary.duration)) s"
            )

            let examples: [(String, String?, String, String)] = [
                (
                    "AcmeTask", #"status = "todo" AND priority IN ("critical", "high")"#, "title,status,priority",
                    "updatedAt:desc"
                ),
                ("AcmeTask", #"title ~= "billing" AND dueDate IS NOT NULL"#, "title,assignee,dueDate", "dueDate"),
                ("AcmeUser", "active = true", "displayName,email,role", "displayName"),
            ]
            for (index, (type, filter, fields, order)) in examples.enumerated() {
                let command =
                    "max search \(name) \(type)" + (filter.map { " --filter '\($0)'" } ?? "")
                    + " --fields \(fields) --order-by \(order) --limit 5"
                Terminal.out(bold("\(5 + index). \(command)"))
                let page = try await api.search(
                    SearchRequest(
                        installation: name, entityType: type, filter: filter, fields: fields, orderBy: order, limit: 5))
                let names = page.fields
                for line in Table.render(
                    headers: names, rows: page.records.map { record in names.map { RecordPrinter.cell(record[$0]) } },
                    width: Terminal.width - 3)
                {
                    Terminal.out("   " + line)
                }
            }
            let countFilter = #"status = "done""#
            let done = try await api.count(
                CountRequest(installation: name, entityType: "AcmeTask", filter: countFilter)
            ).count
            Terminal.out(bold("8. max count \(name) AcmeTask --filter '\(countFilter)'"))
            Terminal.out("   \(done)")
            Terminal.out("")
            Terminal.out("The demo project is in \(root.path). Try, there:")
            let binary = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
            if !binary.hasSuffix("/bin/max") {
                Terminal.out("   alias max=\(binary)        # if max is not on your PATH")
            }
            Terminal.out("   cd \(root.path)")
            Terminal.out("   max schema \(name)")
            Terminal.out("   max search \(name) AcmeTask --filter 'priority = \"critical\"' -o ndjson")
            Terminal.out("   max count \(name) AcmeFile --filter 'mimeType ~= \"pdf\"'")
            Terminal.out("(The sample server stops with the demo, so \"max sync\" there will report it unreachable.)")
        }
        Terminal.out(bold("Stopped Acme. Done."))
    }

    private func connect(_ workspace: MaxWorkspace, runner: OnboardingRunner, environment: [String: String])
        async throws
        -> String
    {
        // The demo hands the token over in-process, the way `env:` would from the environment.
        var runner = runner
        runner.credentialSources = [:]
        runner.credentialValues = ["api_token": Secret(environment["ACME_TOKEN"] ?? "")]
        return try await workspace.connect("acme", runner: runner).name
    }
}
