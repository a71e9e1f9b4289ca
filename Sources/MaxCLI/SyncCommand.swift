import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import MaxQuery
import MaxRuntime
import MaxStorage
import MaxSync
import Synchronization

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Sync an installation's data into local storage.",
        discussion: "Exits 3 when some tasks failed: \"max sync <installation> --resume\" retries them.")

    enum Progress: String, ExpressibleByArgument, CaseIterable {
        case auto, bar, ndjson, none
    }

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The installation.") var installation: String
    @Flag(help: "Continue the last unfinished sync, retrying its failed tasks.") var resume = false
    @Flag(help: "Sync everything (the default; incremental sync comes later).") var full = false
    @Option(help: "Progress on stderr: auto (a bar on a terminal), bar, ndjson or none.") var progress: Progress = .auto
    @Option(help: "Tasks run at once.") var concurrency = 8

    func validate() throws {
        if resume && full { throw ValidationError("--resume and --full cannot be combined") }
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
    }

    func run() async throws {
        let workspace = try global.workspace()
        let mode = progress == .auto ? (Terminal.stderrIsTTY ? .bar : .none) : progress
        let reporter = ProgressReporter(mode: mode, installation: installation)
        let summary = try await workspace.sync(
            installation, resume: resume, engine: SyncEngine(concurrency: concurrency), observer: reporter.handle)
        reporter.finish()
        let counts = summary.entitiesWritten.sorted { $0.key.name < $1.key.name }
            .map { "\($0.key) \(ProgressReporter.grouped($0.value))" }.joined(separator: ", ")
        let rate = Double(summary.totalEntities) / max(summary.duration, 0.001)
        Terminal.out(
            "Synced \(installation) in \(String(format: "%.1f", summary.duration)) s: \(ProgressReporter.grouped(summary.totalEntities)) entities"
                + (counts.isEmpty ? "" : " (\(counts))") + ", \(ProgressReporter.grouped(Int(rate)))/s")
        if summary.tasksFailed > 0 {
            for error in summary.errors.prefix(5) { ErrorReporter.report(error, json: false) }
            Terminal.err(
                "\(summary.tasksFailed) task(s) failed; run \"max sync \(installation) --resume\" to retry them")
            throw PartialSuccess(code: 3)
        }
    }
}

/// Shows sync progress on stderr: a bar rewritten in place, or one JSON line per event.
final class ProgressReporter: Sendable {
    private struct State {
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
        switch mode {
        case .ndjson: Terminal.err(Self.json(event).jsonText)
        case .bar: bar(event)
        case .auto, .none: break
        }
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
