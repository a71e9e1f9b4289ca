import Foundation
public import Logging
public import MaxConnector
public import MaxCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A connector running as a child process, spoken to over the connector protocol
/// (`docs/connector-protocol.md`), and kept alive across calls.
///
/// Isolation: every call has a time limit, after which the process is killed and the call fails
/// with `connector.timeout`; a process that exits while calls wait fails them with
/// `connector.crashed`; one that writes something that is not the protocol (or a line over the
/// limit) is killed and fails them with `connector.protocol`. The next call starts a new process
/// (and initialises it again). The process gets a data-size limit (`ulimit -d`), so a runaway
/// connector fails its own allocations instead of the machine's.
///
/// Lifetime: a call whose task is cancelled stops waiting at once and the process is ended
/// (SIGTERM, then SIGKILL a second later); ``stop()`` closes its input and does the same to one
/// that has not exited two seconds later; and the process is started through ``ChildLauncher``,
/// so it dies with Max even when Max is killed.
///
/// The process gets no secret in its arguments or environment: only `PATH`, `HOME`, `LANG`,
/// `TMPDIR` and `MAX_CONNECTOR_PROTOCOL` are passed. Secrets reach it as answers to its
/// `credentials/get` requests, from the installation's credential store.
public actor ConnectorProcess {
    /// How a connector process is run.
    public struct Settings: Sendable, Hashable {
        /// The executable and its arguments.
        public var command: [String]
        /// The longest a call may take.
        public var callTimeout: Duration
        /// The longest the first call of a new process (`describe` or `initialise`) may take, which
        /// includes starting it (an interpreter on a busy machine): never less than `callTimeout`.
        public var startTimeout: Duration = .seconds(30)
        /// The process's data-size limit in bytes, or `nil` for none.
        public var memoryLimit: Int?
        /// The longest message line accepted from it.
        public var maximumLineLength: Int
        /// The sandbox it runs in (``ConnectorSandbox``), or `nil` for none (a connector hosted by
        /// a test process, or one `max.json` trusts with `"sandbox": false`).
        public var sandbox: ConnectorSandbox?

        /// Settings for `command`: 60 s per call, 2 GiB of data, 16 MiB lines.
        public init(
            command: [String], callTimeout: Duration = .seconds(60), memoryLimit: Int? = 2 << 30,
            maximumLineLength: Int = 16 << 20
        ) {
            self.command = command
            self.callTimeout = callTimeout
            self.memoryLimit = memoryLimit
            self.maximumLineLength = maximumLineLength
        }
    }

    /// How it is run.
    public let settings: Settings
    /// The name used in errors and logs (the connector's).
    public let name: String
    private let credentials: any CredentialStore
    /// The installation's HTTP client, which `http/request` goes through; `nil` for a process
    /// that only describes itself or runs an onboarding callback.
    private let http: ConnectorHTTPClient?
    private let logger: Logger?
    private var running: Running?
    private let config: JSONValue?
    /// The generation of the process that answered `initialise`.
    private var initialised = 0
    /// The readers of processes given up on, joined by ``stop()``.
    private var retired: [Task<Void, Never>] = []
    /// Calls waiting for a process being started.
    private var starting: [CheckedContinuation<Void, Never>] = []
    /// Whether a process is being started (the actor is free meanwhile).
    private var spawning = false
    /// How many processes have been started, for errors and tests.
    public private(set) var starts = 0

    /// A process that has not started yet; once it does, it is initialised with `config`, if any
    /// (a process only asked to describe itself or to run an onboarding callback has none).
    public init(
        name: String, settings: Settings, credentials: any CredentialStore, config: JSONValue? = nil,
        http: ConnectorHTTPClient? = nil, logger: Logger? = nil
    ) {
        self.name = name
        self.settings = settings
        self.credentials = credentials
        self.http = http
        self.config = config
        self.logger = logger
    }

    /// One started process.
    private struct Running {
        let process: Process
        let connection: RPCConnection
        /// Reads the process's messages until it ends; owned here, awaited by ``stop()``.
        let reader: Task<Void, Never>
        let log: ConnectorLog
        let generation: Int
    }

    /// Starts the process (if it is not running) and initialises it; a call does the same when
    /// it finds none running.
    ///
    /// - Throws: `connector.*` when it cannot be started or refuses the config.
    public func start() async throws {
        _ = try await current()
    }

    /// Calls `method` on the connector, starting it first if it is not running.
    ///
    /// - Parameters:
    ///   - method: The protocol method.
    ///   - params: Its params.
    ///   - starting: Whether this is the process's first call (`describe`), which gets the start
    ///     timeout rather than the call timeout.
    /// - Returns: The connector's result.
    /// - Throws: the connector's error; `connector.timeout`, `connector.crashed`, `connector.protocol`.
    public func call(_ method: ConnectorMethod, _ params: JSONValue = [:], starting: Bool = false) async throws
        -> JSONValue
    {
        try await call(
            method, params, on: try await current(),
            timeout: starting ? max(settings.startTimeout, settings.callTimeout) : nil)
    }

    /// Forgets a process that is done for (the next call starts another); its reader is joined
    /// by ``stop()``.
    private func retire(_ process: Running) {
        guard running?.generation == process.generation else { return }
        running = nil
        retired.append(process.reader)
    }

    /// Asks the connector to stop, then makes sure it has.
    public func stop() async {
        let leftovers = retired
        retired = []
        for reader in leftovers { await Self.join(reader, within: .seconds(1)) }
        guard let running else { return }
        self.running = nil
        _ = try? await call(.shutdown, [:], on: running, timeout: .seconds(5))
        await running.connection.finish()
        // The end of its input asks it to exit; one that does not is terminated, then killed.
        await Self.waitForExit(running.process, upTo: .seconds(2))
        await Self.end(running.process, within: .seconds(1))
        await Self.join(running.reader, within: .seconds(1))
    }

    private func call(_ method: ConnectorMethod, _ params: JSONValue, on running: Running, timeout: Duration? = nil)
        async throws -> JSONValue
    {
        let limit = timeout ?? settings.callTimeout
        let connection = running.connection
        do {
            return try await withThrowingTaskGroup(of: JSONValue?.self) { group in
                group.addTask { try await connection.call(method, params) }
                group.addTask {
                    try await Task.sleep(for: limit)
                    return nil
                }
                let first = try await group.next() ?? nil
                if let first {
                    group.cancelAll()
                    return first
                }
                // Out of time: the process goes, which ends the call still waiting in the group.
                running.process.kill()
                group.cancelAll()
                throw MaxError(
                    .connectorTimeout,
                    "the \(name) connector did not answer \(method.rawValue) within \(limit.components.seconds) s; it was stopped",
                    hint:
                        "it is started again on the next call; raise installations.<name>.limits.callTimeoutSeconds in max.json if it is just slow",
                    context: ["connector": name, "method": method.rawValue])
            }
        } catch let error as MaxError
            where [.connectorCrashed, .connectorProtocol, .connectorTimeout].contains(error.code)
        {
            // This process is done for: the next call starts another.
            retire(running)
            running.process.kill()
            throw error.code == .connectorTimeout ? error : describe(error, running: running, method: method.rawValue)
        } catch  where error is CancellationError || Task.isCancelled {
            // The caller gave up (Ctrl-C, a sync stopping, a health check out of time) while the
            // connector may still be working on the call: it is ended (SIGTERM, then SIGKILL).
            retire(running)
            await Self.end(running.process, within: .seconds(1))
            throw CancellationError()
        }
    }

    /// The error for a process that ended or broke the protocol, with its exit status and last log line.
    private func describe(_ error: MaxError, running: Running, method: String) -> MaxError {
        var message = error.message
        if error.code == .connectorCrashed {
            let status = running.log.exitDescription ?? "it closed its output"
            message = "the \(name) connector stopped while Max waited for \(method) (\(status)): \(error.message)"
        }
        if let last = running.log.lastLine { message += "; its last log line: \(last.prefix(200))" }
        return MaxError(
            error.code, message,
            hint: error.hint ?? "Max starts it again on the next call; its whole log is in the installation's log",
            context: ["connector": name, "method": method])
    }

    /// The running process, started and initialised if need be.
    ///
    /// Calls that arrive while one is starting wait for it rather than start their own, or reach
    /// it before `initialise`.
    private func current() async throws -> Running {
        while true {
            if let running, running.process.isRunning {
                if config == nil || initialised == running.generation { return running }
                await withCheckedContinuation { starting.append($0) }
                continue
            }
            if let running {
                // It died between calls: let its reader finish before starting another.
                self.running = nil
                await Self.join(running.reader, within: .seconds(1))
                continue
            }
            if spawning {
                await withCheckedContinuation { starting.append($0) }
                continue
            }
            spawning = true
            let started: Running
            do {
                started = try await spawn()
                spawning = false
            } catch {
                spawning = false
                let waiting = starting
                starting = []
                for continuation in waiting { continuation.resume() }
                throw error
            }
            running = started
            defer {
                let waiting = starting
                starting = []
                for continuation in waiting { continuation.resume() }
            }
            if let config {
                do {
                    _ = try await call(
                        .initialise, ["config": config], on: started,
                        timeout: max(settings.startTimeout, settings.callTimeout))
                    initialised = started.generation
                } catch {
                    retire(started)
                    started.process.kill()
                    throw error
                }
            }
            return started
        }
    }

    private func spawn() async throws -> Running {
        guard let executable = settings.command.first else {
            throw MaxError(.connectorCrashed, "the \(name) connector has no command to run")
        }
        let process = Process()
        var temporary: URL?
        if let sandbox = settings.sandbox {
            // Its own temporary folder, removed when it exits (or, when Max was killed first, by the
            // next Max that starts a connector).
            ConnectorSandbox.removeLeftTemporaryFolders()
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "max-connector-\(getpid())-" + UUID().uuidString.lowercased(), isDirectory: true)
            try FileManager.default.createDirectory(
                at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            temporary = folder
            let (program, arguments) = try sandbox.wrapping(
                settings.command, connector: name, memoryLimit: settings.memoryLimit, temporary: folder.path)
            ChildLauncher.configure(process, executable: program, arguments: arguments)
        } else if let limit = settings.memoryLimit {
            // The shell sets the data-size limit, then becomes the connector.
            ChildLauncher.configure(
                process, executable: "/bin/sh",
                arguments: ["-c", "ulimit -d \(max(1, limit / 1024)) && exec \"$0\" \"$@\""] + settings.command)
        } else {
            ChildLauncher.configure(process, executable: executable, arguments: Array(settings.command.dropFirst()))
        }
        process.environment = Self.environment()
        let toChild = Pipe()
        let fromChild = Pipe()
        let errors = Pipe()
        process.standardInput = toChild
        process.standardOutput = fromChild
        process.standardError = errors
        let log = ConnectorLog(connector: name, logger: logger)
        let made = temporary
        process.terminationHandler = {
            log.exited($0.terminationStatus, reason: $0.terminationReason)
            if let made { try? FileManager.default.removeItem(at: made) }
        }
        do {
            try await ChildLauncher.run(process)
        } catch {
            throw MaxError(
                .connectorCrashed, "the \(name) connector could not be started: \(error.localizedDescription)",
                hint: "check that \(executable) exists and is executable", context: ["connector": name])
        }
        starts += 1
        // The protocol's own copies of our ends of the pipes (NIO owns and closes them).
        let input = dup(fromChild.fileHandleForReading.fileDescriptor)
        let output = dup(toChild.fileHandleForWriting.fileDescriptor)
        let logInput = dup(errors.fileHandleForReading.fileDescriptor)
        try? fromChild.fileHandleForReading.close()
        try? toChild.fileHandleForWriting.close()
        try? errors.fileHandleForReading.close()
        let connection = RPCConnection(maximumLineLength: settings.maximumLineLength)
        let credentials = credentials
        let http = http
        let sandbox = settings.sandbox
        let connector = name
        let logger = logger
        let reader = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        try await connection.run(input: input, output: output) { method, params in
                            do {
                                if let sandbox, method == ConnectorMethod.httpRequest.rawValue {
                                    try sandbox.check(params["url"]?.stringValue ?? "", connector: connector)
                                }
                            } catch let refused as MaxError {
                                logger?.warning(
                                    "egress refused",
                                    metadata: [
                                        "connector": "\(connector)", "host": "\(refused.context["host"] ?? "")",
                                    ])
                                throw refused
                            }
                            return try await Self.answer(method, params, credentials: credentials, http: http)
                        }
                    } catch {
                        // A protocol error has failed the calls waiting; the process is of no more use.
                        process.kill()
                    }
                }
                group.addTask { await log.read(from: logInput) }
            }
        }
        return Running(process: process, connection: connection, reader: reader, log: log, generation: starts)
    }

    /// Answers the connector's own requests: its credentials, from the installation's store, and
    /// HTTP requests, through the installation's client (its retries, rate limit and breaker).
    static func answer(
        _ method: String, _ params: JSONValue, credentials: any CredentialStore, http: ConnectorHTTPClient?
    ) async throws -> JSONValue {
        let name = params["name"]?.stringValue ?? ""
        guard let known = ConnectorMethod(rawValue: method) else {
            throw MaxError(.rpcMethodNotFound, "Max has no method \(method)")
        }
        switch known {
        case .httpRequest:
            guard let http else {
                throw MaxError(
                    .rpcMethodNotFound, "http/request is only available to an installation's calls",
                    hint: "describe and onboarding callbacks make no requests through Max")
            }
            return try await request(params, through: http)
        case .credentialsGet:
            return ["value": try await credentials.secret(named: name).map { .string($0.revealed) } ?? .null]
        case .credentialsSet:
            guard let value = params["value"]?.stringValue else {
                throw MaxError(.credentialInvalid, "credentials/set needs a string value")
            }
            try await credentials.setSecret(Secret(value), named: name)
            return [:]
        case .credentialsRemove:
            try await credentials.removeSecret(named: name)
            return [:]
        case .credentialsNames:
            return ["names": .array(try await credentials.names().map(JSONValue.string))]
        case .describe, .onboardingValidate, .onboardingOptions, .onboardingCustom, .initialise, .health, .syncSeed,
            .loadEntities, .loadCollection, .changesPosition, .changesPage, .operationExecute, .shutdown:
            throw MaxError(.rpcMethodNotFound, "\(method) is a method of the connector, not of Max")
        }
    }

    /// One `http/request`: `{"method", "url", "headers": {name: value}, "body"?}` (a text body) to
    /// `{"status", "headers": {name: value}, "body"}`.
    static func request(_ params: JSONValue, through http: ConnectorHTTPClient) async throws -> JSONValue {
        guard let url = params["url"]?.stringValue,
            let method = ConnectorHTTPClient.Method(rawValue: (params["method"]?.stringValue ?? "GET").uppercased())
        else {
            throw WireFormat.protocolError(
                "http/request needs a \"url\" and a method of GET, POST, PUT, PATCH or DELETE")
        }
        let headers = (params["headers"]?.objectValue ?? [:]).compactMap { name, value in
            value.stringValue.map { (name, $0) }
        }
        let body =
            params["bodyBase64"]?.stringValue.flatMap { Data(base64Encoded: $0) }
            ?? params["body"]?.stringValue.map { Data($0.utf8) }
        let response = try await http.send(ConnectorHTTPClient.Request(method, url, headers: headers, body: body))
        var answerHeaders: [String: JSONValue] = [:]
        for (name, value) in response.headers { answerHeaders[name.lowercased()] = .string(value) }
        var answer: [String: JSONValue] = ["status": .int(response.status), "headers": .object(answerHeaders)]
        if let text = String(data: response.body, encoding: .utf8) {
            answer["body"] = .string(text)
        } else {
            answer["bodyBase64"] = .string(response.body.base64EncodedString())
        }
        return .object(answer)
    }

    /// What the process inherits: enough to run, nothing secret.
    static func environment() -> [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        var environment = ["MAX_CONNECTOR_PROTOCOL": String(ConnectorDescription.protocolVersion)]
        for key in ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"] { environment[key] = inherited[key] }
        return environment
    }

    /// Waits up to `grace` for the reader to see both pipes end (a grandchild may keep the log
    /// open), then cancels it.
    static func join(_ reader: Task<Void, Never>, within grace: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await reader.value }
            group.addTask {
                try? await Task.sleep(for: grace)
                reader.cancel()
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Ends `process`: SIGTERM, then SIGKILL if it has not exited within `grace`.
    ///
    /// The wait holds even in a cancelled task, so it is bounded but never skipped.
    static func end(_ process: Process, within grace: Duration) async {
        guard process.isRunning else { return }
        process.terminate()
        await waitForExit(process, upTo: grace)
        process.kill()
    }

    /// Waits up to `limit` for `process` to exit, whether or not the task is cancelled.
    static func waitForExit(_ process: Process, upTo limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while process.isRunning, ContinuousClock.now < deadline {
            await Self.pause(.milliseconds(10))
        }
    }

    /// A pause that cancellation does not cut short (`Task.sleep` returns at once in a cancelled
    /// task, which would turn a bounded wait into a busy loop).
    private static func pause(_ duration: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (seconds, attoseconds) = duration.components
            let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { continuation.resume() }
        }
    }
}

extension Process {
    /// Sends SIGKILL if it is still running.
    func kill() {
        guard isRunning else { return }
        #if canImport(Glibc)
            _ = Glibc.kill(processIdentifier, SIGKILL)
        #elseif canImport(Darwin)
            _ = Darwin.kill(processIdentifier, SIGKILL)
        #endif
    }
}

/// A connector process's standard error: each line goes to the installation's log, and the last
/// one and the exit status are kept for errors.
final class ConnectorLog: Sendable {
    private struct State {
        var partial = Data()
        var lastLine: String?
        var exit: String?
    }

    private let state = Mutex(State())
    private let connector: String
    private let logger: Logger?

    init(connector: String, logger: Logger?) {
        self.connector = connector
        self.logger = logger
    }

    var lastLine: String? { state.withLock { $0.lastLine } }
    var exitDescription: String? { state.withLock { $0.exit } }

    /// Reads the process's standard error from `descriptor` (which it then closes) until it ends.
    func read(from descriptor: CInt) async {
        do {
            try await PipeReader.read(descriptor) { self.append($0) }
        } catch {
            // The log is best effort: a process whose stderr cannot be read still runs.
        }
    }

    func append(_ data: Data) {
        let lines: [String] = state.withLock { state in
            state.partial.append(data)
            var lines: [String] = []
            while let newline = state.partial.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: state.partial[state.partial.startIndex..<newline], as: UTF8.self)
                state.partial.removeSubrange(state.partial.startIndex...newline)
                if !line.isEmpty { lines.append(line) }
            }
            // A line that never ends is still kept, cut, so a flood cannot grow without bound.
            if state.partial.count > 64 << 10 {
                lines.append(String(decoding: state.partial.prefix(64 << 10), as: UTF8.self))
                state.partial.removeAll()
            }
            if let last = lines.last { state.lastLine = last }
            return lines
        }
        for line in lines {
            logger?.info("connector log", metadata: ["connector": "\(connector)", "line": "\(line.prefix(4096))"])
        }
    }

    func exited(_ status: Int32, reason: Process.TerminationReason) {
        state.withLock {
            $0.exit = reason == .uncaughtSignal ? "killed by signal \(status)" : "exit status \(status)"
        }
    }
}
