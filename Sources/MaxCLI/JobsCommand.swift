import ArgumentParser
import Foundation
import MaxCore
import MaxRuntime

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "List, inspect, cancel and retry async operation jobs.",
        discussion: """
            A job is an operation call run in the background ("max invoke … --async", or an \
            operation declared async): pending → running → succeeded | failed | canceled. Jobs are \
            kept in .max/operations.db and survive restarts: a job whose runner died is run again by \
            the next runner. A failed attempt is retried with backoff up to the job's attempts; \
            then the job fails and joins the dead-letter list ("max jobs dead"), from which \
            "max jobs retry <id>" puts it back.
            """,
        subcommands: [List.self, Show.self, Cancel.self, Retry.self, Dead.self, Work.self],
        defaultSubcommand: List.self)

    static func print(_ jobs: [JobInfo], _ output: OutputFormat) throws {
        switch output {
        case .json: try JSONOutput.pretty(jobs)
        case .ndjson: try JSONOutput.lines(jobs)
        default:
            Table.print(
                headers: ["ID", "INSTALLATION", "OPERATION", "STATE", "ATTEMPTS", "UPDATED", "ERROR"],
                rows: jobs.map {
                    [
                        $0.id, $0.installation, $0.operation, $0.state + ($0.dead ? " (dead)" : ""),
                        "\($0.attempts)/\($0.maxAttempts)", ISO8601.format($0.updatedAt), $0.error ?? "",
                    ]
                })
            if jobs.isEmpty { Terminal.err("No jobs.") }
        }
    }

    /// The job states, for help and errors.
    static let states = ["pending", "running", "succeeded", "failed", "canceled"]

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List jobs, newest first.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "Only this installation's.") var installation: String?
        @Option(help: "Only jobs in this state: pending, running, succeeded, failed, canceled.") var state: String?
        @Option(name: .shortAndLong, help: "Output format: text, json or ndjson.") var output: OutputFormat = .text

        func validate() throws {
            try output.require(oneOf: [.text, .json, .ndjson], for: "jobs")
            if let state, !JobsCommand.states.contains(state) {
                throw ValidationError("--state must be one of " + JobsCommand.states.joined(separator: ", "))
            }
        }

        func run() async throws {
            try JobsCommand.print(
                try await global.api().jobs(JobsRequest(installation: installation, state: state)).jobs, output)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show one job, with its result once it succeeded.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The job's id.") var id: String

        func run() async throws {
            try JSONOutput.pretty(try await global.api().job(JobRequest(id: id)))
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cancel", abstract: "Cancel a job: a pending one at once, a running one at its next check.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The job's id.") var id: String

        func run() async throws {
            let job = try await global.api().cancelJob(JobRequest(id: id))
            if job.state == "canceled" {
                Terminal.out("Canceled \(id)")
            } else {
                Terminal.out("Asked the runner of \(id) to cancel it (the source may have done part of it)")
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry", abstract: "Queue a failed or canceled job again, with fresh attempts.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The job's id.") var id: String
        @Flag(help: "Run it in this process and wait for the outcome.") var wait = false

        func run() async throws {
            let node = try global.api().local
            _ = try await node.retryJob(JobRequest(id: id), startRunner: !wait)
            if wait {
                _ = try await node.workJobs()
                let done = try await node.job(JobRequest(id: id))
                try JSONOutput.pretty(done)
                if done.state != "succeeded" { throw PartialSuccess(code: 1) }
            } else {
                Terminal.out("Queued \(id) again")
            }
        }
    }

    struct Dead: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dead", abstract: "The dead-letter list: jobs that failed all their attempts.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(name: .shortAndLong, help: "Output format: text, json or ndjson.") var output: OutputFormat = .text

        func validate() throws { try output.require(oneOf: [.text, .json, .ndjson], for: "jobs dead") }

        func run() async throws {
            try JobsCommand.print(try await global.api().jobs(JobsRequest(dead: true)).jobs, output)
        }
    }

    struct Work: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "work",
            abstract: "Run the project's pending jobs in this process until none is left.",
            discussion: """
                "max invoke --async" starts one in the background; run it yourself after a restart \
                to pick up jobs whose runner died. On a SQLite project one runner works at a \
                time: a second exits at once. On a PostgreSQL project any number share the queue \
                (and "max worker" runs jobs too).
                """)
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Flag(help: "Print nothing.") var quiet = false

        func run() async throws {
            let quiet = quiet
            let attempts = try await global.api().local.workJobs { event in
                if !quiet { JobsCommand.report(event) }
            }
            if !quiet { Terminal.err(attempts == 0 ? "No job to run (or another runner has them)." : "Queue empty.") }
        }
    }

    /// Prints what a job runner did, one line on standard error.
    static func report(_ event: JobRunner.Event) {
        switch event {
        case .started(let job): Terminal.err("\(job.id) \(job.operation): attempt \(job.attempts)")
        case .succeeded(let job): Terminal.err("\(job.id): succeeded")
        case .willRetry(let job, let error): Terminal.err("\(job.id): \(error.code), will retry")
        case .dead(let job, let error):
            Terminal.err("\(job.id): failed for good (\(error.code)); see max jobs dead")
        case .canceled(let job): Terminal.err("\(job.id): canceled")
        }
    }
}
