import AcmeAPI
import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// Runs the built `max` and `acme-server` binaries as real processes.
enum Binaries {
    /// The folder the test bundle was built into, which holds the executables too.
    static let folder: URL = {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On macOS the runner lives inside the .xctest bundle.
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("max").path), url.path != "/" {
            url.deleteLastPathComponent()
        }
        return url
    }()

    static var max: URL { folder.appendingPathComponent("max") }
    static var acmeServer: URL { folder.appendingPathComponent("acme-server") }
}

/// What a finished process did.
struct Outcome: Sendable {
    let status: Int32
    let stdout: String
    let stderr: String

    var output: String { stdout + stderr }
}

/// Runs `max` with `arguments`, standard input from `input` (not a terminal), and returns what it did.
func runMax(
    _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:], input: String? = nil
) async throws -> Outcome {
    try await MaxProcess(arguments, in: directory, environment: environment, input: input).outcome()
}

/// A running `max` process, for tests that signal or race it.
///
/// Standard output and error go to temporary files rather than pipes, so a process that writes a
/// lot to both never blocks on a full pipe, and waiting for its exit suspends the task instead of
/// blocking a thread of the cooperative pool.
final class MaxProcess: @unchecked Sendable {
    // Unchecked: the process and file handles are set up in init; afterwards only the process's
    // own thread-safe methods are called.
    private let process = Process()
    /// The Max config folder (master key) every process of this test run shares.
    static let configHome: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("max-tests-config-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()
    private let outputs: TemporaryDirectory
    private let exits: AsyncStream<Int32>

    /// Starts `max` (or `executable`) with `arguments`.
    init(
        _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:], input: String? = nil,
        executable: URL? = nil
    ) throws {
        process.executableURL = executable ?? Binaries.max
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        // The master key of these tests lives in a folder of their own, not the user's.
        env["MAX_CONFIG_HOME"] = Self.configHome.path
        env.removeValue(forKey: "MAX_MASTER_KEY")
        env.merge(environment) { _, new in new }
        process.environment = env
        outputs = try TemporaryDirectory(prefix: "outputs")
        try Data().write(to: outputs.file("stdout"))
        try Data().write(to: outputs.file("stderr"))
        let stdout = try FileHandle(forWritingTo: outputs.file("stdout"))
        let stderr = try FileHandle(forWritingTo: outputs.file("stderr"))
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        let (exits, exited) = AsyncStream<Int32>.makeStream()
        self.exits = exits
        process.terminationHandler = { finished in
            // A signal reads as the shell shows it: 128 + the signal (139 for SIGSEGV).
            let signalled = finished.terminationReason == .uncaughtSignal
            exited.yield(signalled ? 128 + finished.terminationStatus : finished.terminationStatus)
            exited.finish()
        }
        try process.run()
        try stdout.close()
        try stderr.close()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
    }

    /// What the process wrote to standard error so far.
    var stderrSoFar: String {
        String(decoding: (try? Data(contentsOf: outputs.file("stderr"))) ?? Data(), as: UTF8.self)
    }

    /// What the process wrote to standard output so far.
    var stdoutSoFar: String {
        String(decoding: (try? Data(contentsOf: outputs.file("stdout"))) ?? Data(), as: UTF8.self)
    }

    /// Whether it still runs.
    var isRunning: Bool { process.isRunning }

    /// Its process id.
    var pid: Int32 { process.processIdentifier }

    /// Sends `signal` (SIGINT, SIGTERM, SIGKILL…).
    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the exit and returns what it did.
    func outcome() async throws -> Outcome {
        var status: Int32 = -1
        for await code in exits { status = code }
        return Outcome(
            status: status, stdout: String(decoding: try Data(contentsOf: outputs.file("stdout")), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: outputs.file("stderr")), as: UTF8.self))
    }
}

/// An `acme-server` process, stopped when the value goes away.
final class AcmeProcess: @unchecked Sendable {
    // Unchecked: the process handle is only touched by init and deinit.
    let url: String
    let apiKey: String
    private let process: Process

    init(arguments: [String] = []) throws {
        process = Process()
        process.executableURL = Binaries.acmeServer
        process.arguments = ["--port", "0"] + arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        let ready = try JSONValue(parsing: try firstLine(of: stdout))
        url = ready["url"]?.stringValue ?? ""
        apiKey = ready["apiKey"]?.stringValue ?? ""
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }
}

/// Changes the top-level keys of the project's `max.json`.
func editProjectFile(in folder: URL, _ change: (inout [String: JSONValue]) -> Void) throws {
    let file = folder.appendingPathComponent("max.json")
    var project = try JSONValue(parsing: String(contentsOf: file, encoding: .utf8)).objectValue ?? [:]
    change(&project)
    try Data(JSONValue.object(project).prettyJSONText.utf8).write(to: file)
}

/// Edits the installations of the `max.json` in `folder` in place, as a person would by hand.
func editInstallations(in folder: URL, _ change: (inout [String: JSONValue]) -> Void) throws {
    let file = folder.appendingPathComponent("max.json")
    var project = try JSONValue(parsing: String(contentsOf: file, encoding: .utf8)).objectValue ?? [:]
    var installations = project["installations"]?.objectValue ?? [:]
    change(&installations)
    project["installations"] = .object(installations)
    try Data(JSONValue.object(project).prettyJSONText.utf8).write(to: file)
}

/// Sets keys of one installation's record in `max.json` (and its `baseURL`, when given).
func setInstallationKeys(
    in folder: URL, of name: String = "acme", baseURL: String? = nil, _ keys: [String: JSONValue]
) throws {
    try editInstallations(in: folder) { installations in
        var record = installations[name]?.objectValue ?? [:]
        for (key, value) in keys { record[key] = value }
        if let baseURL {
            var config = record["config"]?.objectValue ?? [:]
            config["baseURL"] = .string(baseURL)
            record["config"] = .object(config)
        }
        installations[name] = .object(record)
    }
}

/// The first `acme-server` seed under which, at `failRate`, the injected failures fall where
/// `fails` says: it is asked about each authenticated request (numbered from 1) and answers whether
/// that one must fail (`true`), be served (`false`), or either (`nil`).
func acmeSeed(failRate: Double, requests: ClosedRange<UInt64>, _ fails: (UInt64) -> Bool?) -> UInt64? {
    var options = AcmeOptions()
    options.failRate = failRate
    for seed in UInt64(1)...5000 {
        options.seed = seed
        let matches = requests.allSatisfy { request in
            fails(request).map { $0 == (options.injectedFailure(forRequest: request) != nil) } ?? true
        }
        if matches { return seed }
    }
    return nil
}

/// Starts `max serve --port 0` on the project in `folder` and waits (up to 5 s) for its ready line.
///
/// - Returns: The process, and the URL it printed (empty if it printed none).
/// A synced Acme project served by `max serve`, with a read and an operate token.
struct ServedProject {
    let acme: AcmeProcess
    let folder: TemporaryDirectory
    let read: String
    let operate: String
    let server: MaxProcess
    /// The server's URL (`http://127.0.0.1:<port>`).
    let base: String

    init() async throws {
        acme = try AcmeProcess()
        folder = try await ResilienceProcessTests.connectedProject(acme)
        #expect(try await runMax(["-C", folder.url.path, "sync", "acme"]).status == 0)
        read = try await createServeToken(folder.url, scope: "read")
        operate = try await createServeToken(folder.url, scope: "operate")
        (server, base) = try await startServe(folder.url)
        try #require(base.hasPrefix("http://127.0.0.1:"), "\(server.stderrSoFar)")
    }
}

/// A new bearer token of `max serve` with `scope`: the last line of `max serve tokens create`.
func createServeToken(_ folder: URL, scope: String) async throws -> String {
    try await runMax(["-C", folder.path, "serve", "tokens", "create", "--scope", scope])
        .stdout.split(separator: "\n").last.map(String.init) ?? ""
}

func startServe(_ folder: URL) async throws -> (server: MaxProcess, url: String) {
    let server = try MaxProcess(["-C", folder.path, "serve", "--port", "0"])
    var url = ""
    for _ in 0..<200 where url.isEmpty {
        try await Task.sleep(for: .milliseconds(25))
        url = (try? JSONValue(parsing: server.stdoutSoFar))?["url"]?.stringValue ?? ""
    }
    return (server, url)
}

/// The first line a child process writes to `pipe` (without its newline), read a byte at a time so
/// nothing after it is taken from the pipe.
func firstLine(of pipe: Pipe) throws -> String {
    var line = Data()
    while let byte = try pipe.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
        line.append(byte)
    }
    return String(decoding: line, as: UTF8.self)
}
