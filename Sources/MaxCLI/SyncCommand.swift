import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import MaxRuntime
import Synchronization
import UnixSignals

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Sync an installation's data into local storage.",
        discussion: """
            The first sync reads everything. After it, when the connector reports changes (Acme \
            does), "max sync" applies only what changed since, deletions included; --full reads \
            everything again. An unfinished full sync (interrupted, killed, or ended with failed \
            tasks) is resumed by the next "max sync", retrying its failed tasks; --restart discards \
            it instead. Only one \
            process syncs an installation at a time; searches and counts work during a sync. \
            Transient failures (timeouts, 5xx, 429) are retried with backoff, honouring Retry-After; \
            the installation's "retry" and "rateLimit" in max.json tune that. \
            Ctrl-C (or SIGTERM) stops claiming tasks, cancels the calls under way (a subprocess \
            connector is terminated, then killed), records the run as cancelled, and exits 130; a \
            second Ctrl-C exits at once. \
            Exits 3 when some tasks failed. \
            With --progress ndjson, stderr gets one JSON object per event, ending with a "finished" \
            event (or "failed" when the sync could not run, "cancelled" when interrupted). \
            In a project that stores in PostgreSQL ("storage" in max.json), this process drives \
            the run while any "max worker" processes help with its tasks, all within the \
            installation's one rate limit; a run already under way is waited for; --detach \
            queues the run for the workers and returns.
            """)

    enum Progress: String, ExpressibleByArgument, CaseIterable {
        case auto, bar, ndjson, none
    }

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The installation.") var installation: String
    @Flag(help: "Continue the last unfinished sync (what a plain sync does; kept for scripts).") var resume = false
    @Flag(help: "Discard an unfinished sync and start a new one.") var restart = false
    @Flag(help: "Read everything in a new run (not only the changes), tombstoning what the source no longer has.")
    var full = false
    @Option(help: "Progress on stderr: auto (a bar on a terminal), bar, ndjson or none.") var progress: Progress = .auto
    @Option(help: "Tasks run at once (1 to \(Self.maximumConcurrency)).") var concurrency = 8
    @Flag(help: "Queue the run for the project's \"max worker\" processes and return (PostgreSQL storage only).")
    var detach = false

    /// More workers than this only queue up behind the source's own limits.
    static let maximumConcurrency = 64

    func validate() throws {
        if resume && (full || restart) { throw ValidationError("--resume cannot be combined with --full or --restart") }
        guard (1...Self.maximumConcurrency).contains(concurrency) else {
            throw ValidationError("--concurrency must be between 1 and \(Self.maximumConcurrency)")
        }
    }

    func run() async throws {
        let api = try global.api()
        let mode = progress == .auto ? (Terminal.stderrIsTTY ? .bar : .none) : progress
        let reporter = ProgressReporter(mode: mode, installation: installation)
        let summary: SyncSummary
        do {
            let request = SyncRequest(
                installation: installation, full: full, restart: restart, concurrency: concurrency, detach: detach)
            try api.workspace.requireEnabled(installation)
            if let warning = try api.workspace.catalog().warning(for: api.workspace.record(installation).connectorName)
            {
                Terminal.err("warning: \(warning)")
            }
            if let remote = try await api.workspace.remote(installation) {
                // The node runs the sync (resuming an unfinished one, as here) and answers when it
                // ends; Ctrl-C here only stops waiting for it.
                Terminal.err("Syncing \(installation) on the Max node at \(remote.url) …")
                summary = try await remote.sync(request)
            } else {
                summary = try await Self.runInterruptibly { [request] in
                    try await api.sync(request, observer: reporter.handle)
                }
            }
        } catch is Interrupted {
            reporter.finish()
            reporter.cancelled()
            Terminal.err(
                "Sync of \(installation) interrupted: what was written is kept and the run is recorded as cancelled; \"max sync \(installation)\" resumes it"
            )
            throw PartialSuccess(code: 130)
        } catch {
            reporter.finish()
            reporter.failed(MaxError.wrapping(error))
            throw error
        }
        reporter.finish()
        if summary.status == "queued" || summary.status == "running" {
            // Detached: the run is the workers' now.
            Terminal.out(
                "Sync of \(installation) \(summary.status) as run \(summary.runID); max runs \(installation) follows it"
            )
            return
        }
        for note in summary.notes { Terminal.err("note: \(note)") }
        let counts = summary.entitiesWritten.sorted { $0.key.name < $1.key.name }
            .map { "\($0.key) \(ProgressReporter.grouped($0.value))" }.joined(separator: ", ")
        let seconds = String(format: "%.1f", summary.duration)
        let entities =
            "\(ProgressReporter.grouped(summary.totalEntities)) entities" + (counts.isEmpty ? "" : " (\(counts))")
        guard summary.tasksFailed == 0 else {
            Terminal.out(
                "Sync of \(installation) incomplete after \(seconds) s: \(summary.tasksFailed) task(s) failed; \(entities) written"
                    + reporter.troubleSummary)
            for error in summary.errors.prefix(5) { ErrorReporter.report(error, json: false) }
            Terminal.err("run \"max sync \(installation) --resume\" to retry the failed tasks")
            throw PartialSuccess(code: 3)
        }
        let rate = Double(summary.totalEntities) / max(summary.duration, 0.001)
        let kind = summary.kind == "incremental" ? " (changes only)" : ""
        Terminal.out(
            "Synced \(installation)\(kind) in \(seconds) s: \(entities), \(ProgressReporter.grouped(Int(rate)))/s"
                + reporter.troubleSummary)
    }
}

extension SyncCommand {
    /// SIGINT or SIGTERM arrived.
    struct Interrupted: Error {}

    /// Runs `body`, cancelling it when SIGINT or SIGTERM arrives.
    ///
    /// The body then finishes what it must (a page commits or rolls back, a connector process is
    /// ended, the run is recorded as cancelled) and ``Interrupted`` is thrown. A second signal
    /// while that runs exits at once with 130.
    static func runInterruptibly<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        // One listener for both signals: with two sequences trapping the same signal, a signal was
        // seen to reach one and not the other.
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let (stopRequests, requestStop) = AsyncStream<Void>.makeStream()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                // The body, stopped (cancelled, then Interrupted) when the listener asks.
                try await withThrowingTaskGroup(of: T?.self) { inner in
                    inner.addTask { try await body() }
                    inner.addTask {
                        for await _ in stopRequests { throw Interrupted() }
                        return nil
                    }
                    defer { inner.cancelAll() }
                    while let result = try await inner.next() {
                        if let result { return result }
                    }
                    throw CancellationError()
                }
            }
            group.addTask {
                // The first signal asks the body to stop; a second one, while it does, exits.
                var count = 0
                for await _ in signals {
                    count += 1
                    if count == 1 {
                        requestStop.yield()
                    } else {
                        Terminal.err("Interrupted again: exiting now; \"max sync\" resumes what was written")
                        Foundation.exit(130)
                    }
                }
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw CancellationError()
        }
    }
}

/// Shows sync progress on stderr: a bar rewritten in place, or one JSON line per event.
final class ProgressReporter: Sendable {
    private struct State {
        var retries = 0
        var rateLimited = 0
        var counts: [EntityType: Int] = [:]
        var lastDraw = ContinuousClock.now - .seconds(1)
        var drewBar = false
    }

    private let mode: SyncCommand.Progress
    private let installation: String
    private let started = ContinuousClock.now
    private let state = Mutex(State())

    init(mode: SyncCommand.Progress, installation: String) {
        self.mode = mode
        self.installation = installation
    }

    func handle(_ event: SyncEvent) {
        switch event {
        case .started(_, resumed: true) where mode != .ndjson:
            Terminal.err("Resuming the unfinished sync of \(installation) (\"--restart\" starts over instead)")
        case .request(.retrying): state.withLock { $0.retries += 1 }
        case .request(.rateLimited): state.withLock { $0.rateLimited += 1 }
        default: break
        }
        switch mode {
        case .ndjson: Terminal.err(Self.json(event).jsonText)
        case .bar: bar(event)
        case .auto, .none: break
        }
    }

    /// `; 12 retries, 3 rate limited (429)`, or nothing when the source never failed.
    var troubleSummary: String {
        let (retries, limited) = state.withLock { ($0.retries, $0.rateLimited) }
        var parts: [String] = []
        if retries > 0 { parts.append("\(Self.grouped(retries)) retr\(retries == 1 ? "y" : "ies")") }
        if limited > 0 { parts.append("\(Self.grouped(limited)) rate limited (429)") }
        return parts.isEmpty ? "" : "; " + parts.joined(separator: ", ")
    }

    /// Reports an interrupted sync (ndjson only).
    func cancelled() {
        guard mode == .ndjson else { return }
        Terminal.err(JSONValue.object(["event": "cancelled"]).jsonText)
    }

    /// Reports a sync that could not run (ndjson only: the error itself is printed by the caller).
    func failed(_ error: MaxError) {
        guard mode == .ndjson else { return }
        Terminal.err(
            JSONValue.object([
                "event": "failed", "code": .string(error.code.description), "message": .string(error.message),
            ]).jsonText)
    }

    func finish() {
        if mode == .bar, state.withLock({ $0.drewBar }) { Terminal.errRaw("\r\u{1B}[K") }
    }

    private func bar(_ event: SyncEvent) {
        let line: String? = state.withLock { state in
            if case .entitiesWritten(let type, let count) = event { state.counts[type, default: 0] += count }
            let now = ContinuousClock.now
            guard now - state.lastDraw > .milliseconds(100) else { return nil }
            state.lastDraw = now
            state.drewBar = true
            let total = state.counts.values.reduce(0, +)
            let elapsed =
                Double((now - started).components.seconds) + Double((now - started).components.attoseconds) / 1e18
            let types = state.counts.sorted { $0.key.name < $1.key.name }.map { "\($0.key) \(Self.grouped($0.value))" }
            return
                "Syncing \(installation): \(types.joined(separator: " · ")) — \(Self.grouped(Int(Double(total) / max(elapsed, 0.001))))/s"
        }
        if let line { Terminal.errRaw("\r\u{1B}[K" + String(line.prefix(Terminal.width - 1))) }
    }

    static func json(_ event: SyncEvent) -> JSONValue {
        switch event {
        case .started(let run, let resumed): ["event": "started", "run": .string(run), "resumed": .bool(resumed)]
        case .stepStarted(let index, let description, let tasks):
            ["event": "step", "index": .int(index), "description": .string(description), "tasks": .int(tasks)]
        case .entitiesWritten(let type, let count):
            ["event": "entities", "type": .string(type.name), "count": .int(count)]
        case .taskFailed(let kind, let entity, let error):
            [
                "event": "task_failed", "kind": .string(kind), "entity": entity.map(JSONValue.string) ?? .null,
                "code": .string(error.code.description), "message": .string(error.message),
            ]
        case .request(.retrying(let request, let attempt, let wait, let code)):
            [
                "event": "retry", "request": .string(request), "attempt": .int(attempt),
                "waitMs": .int(wait.wholeMilliseconds), "code": .string(code.description),
            ]
        case .request(.rateLimited(let request, let wait, let rate)):
            [
                "event": "rate_limited", "request": .string(request),
                "waitMs": wait.map { .int($0.wholeMilliseconds) } ?? .null,
                "rate": rate.map { .double(($0 * 100).rounded() / 100) } ?? .null,
            ]
        case .request(.breaker(let state, let host)):
            ["event": "breaker", "state": .string(state.rawValue), "host": .string(host)]
        case .finished(let summary):
            [
                "event": "finished", "run": .string(summary.runID), "status": .string(summary.status),
                "kind": .string(summary.kind),
                "entities": .int(summary.totalEntities), "tasksCompleted": .int(summary.tasksCompleted),
                "tasksFailed": .int(summary.tasksFailed), "durationMs": .int(Int(summary.duration * 1000)),
                "notes": .array(summary.notes.map(JSONValue.string)),
            ]
        }
    }

    static func grouped(_ number: Int) -> String {
        let digits = String(number)
        var result = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0, index % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return String(result.reversed())
    }
}

extension Duration {
    /// The duration in whole milliseconds.
    var wholeMilliseconds: Int {
        Int(components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000)
    }
}
