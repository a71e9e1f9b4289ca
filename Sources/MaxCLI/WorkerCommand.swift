import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import MaxRuntime
import UnixSignals

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run the sync work of a project that stores in PostgreSQL, beside other workers.",
        discussion: """
            Needs "storage": {"postgres": {…}} in max.json. Runs until stopped: it runs the due \
            jobs (async operation calls, as "max jobs work" does), drives the runs no one drives \
            (queued by "max sync --detach", or left by a worker that died) and runs the tasks of \
            running runs, for every enabled installation of the project or the ones named. Any number of workers, on any number of machines with the project and its \
            credentials, share the work: a task is claimed by one worker under a lease renewed \
            while it runs, and a worker that dies (killed, its machine lost) has its run and tasks \
            taken over by the others when the lease runs out; no task's work is committed twice. \
            All the workers' requests to a source draw on one budget, the installation's rate \
            limit. Ctrl-C or SIGTERM hands the worker's run and tasks back to the others at once \
            (what it committed stays) and exits 0.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The installations to work for (every enabled one when none is named).")
    var installations: [String] = []
    @Option(help: "Tasks run at once (1 to 64).") var concurrency = 4
    @Option(help: "Seconds a claim holds without being renewed (5 to 3600); renewed every third of it.")
    var lease = 30

    func validate() throws {
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 64") }
        guard (5...3600).contains(lease) else { throw ValidationError("--lease must be between 5 and 3600 seconds") }
    }

    func run() async throws {
        let worker = try SyncWorker(
            workspace: try global.workspace(), installations: installations, concurrency: concurrency,
            lease: .seconds(lease))
        Terminal.err(
            "Worker \(worker.id) working for \(worker.installations.joined(separator: ", ")) with \(concurrency) task(s) at once; Ctrl-C stops it"
        )
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await worker.run { event in
                    switch event {
                    case .drivingRun(let installation, let runID, let kind):
                        Terminal.err("\(installation): driving \(kind) run \(runID)")
                    case .finishedRun(let installation, let summary):
                        Terminal.err("\(installation): run \(summary.runID) \(summary.status)")
                    case .failed(let installation, let error):
                        Terminal.err("\(installation): \(error.code): \(error.message)")
                    case .job(let event):
                        JobsCommand.report(event)
                    }
                }
            }
            group.addTask {
                for await _ in signals { return }
            }
            // The first to end (a signal, or the worker failing to start) stops the other.
            try await group.next()
            group.cancelAll()
            try await group.waitForAll()
        }
        Terminal.err("Worker \(worker.id) stopped; its work in progress is handed back to the other workers")
    }
}
