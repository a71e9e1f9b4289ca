public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A throwaway PostgreSQL cluster for tests and benchmarks.
///
/// `initdb` runs in a temporary folder and a server on a free loopback port, as an unprivileged user when the process runs as root (the
/// server refuses root), with password authentication. ``stop()`` (or the end of
/// ``with(_:)``) stops it and deletes the folder.
///
/// The server binaries come from `MAX_TEST_PG_BIN`, Debian's `/usr/lib/postgresql/<version>/bin`,
/// or the `PATH`; without them ``binaries`` is `nil` and the tests that need one are skipped with
/// ``missingMessage``.
public final class PostgresTestServer: Sendable {
    /// The port it listens on, on 127.0.0.1.
    public let port: Int
    /// The superuser tests sign in as.
    public let user = "max"
    /// Its password.
    public let password: String
    /// The folder of binaries (`initdb`, `postgres`, `pg_isready`, `psql`).
    public let bin: URL
    private let folder: URL
    private let server: ServerProcess

    /// The CPU seconds (user + system) the server has used so far, for benchmarks.
    ///
    /// Its main process and every backend, the ended ones included, from Linux's `/proc` (`nil`
    /// elsewhere).
    public var cpuSecondsSoFar: Double? {
        guard
            let pidText = try? String(
                contentsOf: folder.appendingPathComponent("data/postmaster.pid"), encoding: .utf8),
            let pid = pidText.split(separator: "\n").first.map(String.init)
        else { return nil }
        func ticks(_ pid: String, fields: [Int]) -> Double? {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            let parts = stat[stat.index(after: close)...].split(separator: " ")
            return fields.map { parts.count > $0 ? Double(parts[$0]) ?? 0 : 0 }.reduce(0, +)
        }
        // After the command: utime 11, stime 12, cutime 13, cstime 14 (0-based, state first).
        guard var total = ticks(pid, fields: [11, 12, 13, 14]) else { return nil }
        // Backends still running.
        let children = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for child in children where Int(child) != nil {
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let parts = stat[stat.index(after: close)...].split(separator: " ")
            if parts.count > 1, parts[1] == pid { total += ticks(child, fields: [11, 12]) ?? 0 }
        }
        return total / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Why tests that need PostgreSQL were skipped.
    public static let missingMessage =
        "PostgreSQL's server binaries are not installed (Debian's package postgresql; or set MAX_TEST_PG_BIN)"

    /// The folder holding `initdb`, `postgres`, `pg_isready` and `psql`, if this machine has one.
    public static var binaries: URL? {
        let fileManager = FileManager.default
        var candidates: [String] = []
        if let given = ProcessInfo.processInfo.environment["MAX_TEST_PG_BIN"] { candidates.append(given) }
        let debian = "/usr/lib/postgresql"
        let versions = ((try? fileManager.contentsOfDirectory(atPath: debian)) ?? []).compactMap(Int.init).sorted(by: >)
        candidates += versions.map { "\(debian)/\($0)/bin" }
        candidates += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return candidates.first { folder in
            ["initdb", "postgres", "pg_isready", "psql"].allSatisfy {
                fileManager.isExecutableFile(atPath: "\(folder)/\($0)")
            }
        }.map { URL(fileURLWithPath: $0) }
    }

    /// Whether this machine can run one.
    public static var isAvailable: Bool { binaries != nil }

    private init(port: Int, password: String, bin: URL, folder: URL, server: ServerProcess) {
        self.port = port
        self.password = password
        self.bin = bin
        self.folder = folder
        self.server = server
    }

    /// Starts a cluster, runs `body` with it, and stops it however `body` ends.
    ///
    /// - Throws: `PostgresTestServer.Failure` when it cannot start; what `body` throws.
    public static func with<T>(_ body: (PostgresTestServer) async throws -> T) async throws -> T {
        let server = try await start()
        do {
            let value = try await body(server)
            await server.stop()
            return value
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Starts a cluster.
    ///
    /// - Throws: `PostgresTestServer.Failure` naming the command that failed and its output.
    public static func start() async throws -> PostgresTestServer {
        guard let bin = binaries else { throw Failure(message: missingMessage) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "max-pg-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let runAs = getuid() == 0 ? (account("postgres") != nil ? "postgres" : "nobody") : nil
        if let runAs, let entry = account(runAs) {
            chown(folder.path, entry.uid, entry.gid)
        }
        let password = "pg-test-" + UUID().uuidString.prefix(12).lowercased()
        let passwordFile = folder.appendingPathComponent("password")
        try password.write(to: passwordFile, atomically: true, encoding: .utf8)
        if let runAs, let entry = account(runAs) {
            chown(passwordFile.path, entry.uid, entry.gid)
        }
        let data = folder.appendingPathComponent("data").path
        try await run(
            bin.appendingPathComponent("initdb").path,
            [
                "-D", data, "-U", "max", "--auth=scram-sha-256", "--pwfile=\(passwordFile.path)", "-E", "UTF8",
                "--locale=C", "--no-sync",
            ], as: runAs)
        // The server runs as this process's child (pg_ctl would leave a daemon holding descriptors
        // Foundation watches for the child's exit). A port another process holds makes it exit at
        // once: try another.
        var lastError: (any Error)?
        for _ in 0..<8 {
            let port = Int.random(in: 20_000..<60_000)
            let server = try ServerProcess.start(
                bin.appendingPathComponent("postgres").path,
                [
                    "-D", data, "-p", String(port), "-k", folder.path, "-c", "listen_addresses=127.0.0.1", "-c",
                    "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                ], as: runAs, log: folder.appendingPathComponent("server.log"))
            do {
                try await server.waitUntilReady(bin: bin, port: port)
                return PostgresTestServer(
                    port: port, password: password, bin: bin, folder: folder, server: server)
            } catch {
                await server.stop()
                lastError = error
            }
        }
        try? FileManager.default.removeItem(at: folder)
        throw lastError ?? Failure(message: "the server did not start")
    }

    /// Stops the server (a fast shutdown) and deletes its folder.
    public func stop() async {
        await server.stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs SQL with psql as the superuser, in `database`, stopping at the first error; returns
    /// what it printed, unaligned and without headers (`-At`).
    ///
    /// - Throws: `PostgresTestServer.Failure` with psql's output when a statement fails.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") async throws -> String {
        let script = folder.appendingPathComponent("script-\(UUID().uuidString.prefix(8)).sql")
        try sql.write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        return try await Self.run(
            bin.appendingPathComponent("psql").path,
            [
                "-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-q",
                "-f", script.path,
            ],
            environment: ["PGPASSWORD": password])
    }

    /// A command that failed.
    public struct Failure: Error, CustomStringConvertible {
        /// What happened.
        public let message: String
        /// The message.
        public var description: String { message }
    }

    @discardableResult
    static func run(_ path: String, _ arguments: [String], as user: String? = nil, environment: [String: String] = [:])
        async throws -> String
    {
        let process = Process()
        command(process, path, arguments, as: user)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        // A file, not a pipe: a process that leaves a child behind would keep a pipe open.
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent(
            "max-pg-output-\(UUID().uuidString.prefix(8))")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let output = try FileHandle(forWritingTo: outputURL)
        process.standardOutput = output
        process.standardError = output
        // Waiting through the termination handler, not waitUntilExit, which can miss the exit when
        // several tests wait at once.
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try? output.close()
        let text = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw Failure(message: "\((path as NSString).lastPathComponent) failed (\(status)): \(text)")
        }
        return text
    }

    /// The user and group ids of account `name`, if there is one.
    ///
    /// Read with `getpwnam_r` into a buffer of its own: `getpwnam`'s shared one is overwritten by
    /// any thread's lookup, and tests starting servers at once read each other's (a cluster once
    /// came up owned by the account `sync`).
    static func account(_ name: String) -> (uid: uid_t, gid: gid_t)? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return (entry.pw_uid, entry.pw_gid)
    }

    /// Sets `process` to run `path` with `arguments`, as `user` when given: setpriv runs the
    /// command itself as the user (runuser would fork and wait for it).
    static func command(_ process: Process, _ path: String, _ arguments: [String], as user: String?) {
        if let user, let entry = account(user) {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments =
                ["--reuid=\(entry.uid)", "--regid=\(entry.gid)", "--clear-groups", "--", path]
                + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
        }
    }
}

/// The server process, a child of this one.
final class ServerProcess: @unchecked Sendable {
    // Unchecked: the process is set up in start; afterwards only its thread-safe methods are called.
    private let process = Process()
    private let exit: AsyncStream<Int32>

    private init() {
        let (stream, continuation) = AsyncStream<Int32>.makeStream(bufferingPolicy: .bufferingNewest(1))
        exit = stream
        process.terminationHandler = { process in
            continuation.yield(process.terminationStatus)
            continuation.finish()
        }
    }

    static func start(_ path: String, _ arguments: [String], as user: String?, log: URL) throws -> ServerProcess {
        let server = ServerProcess()
        PostgresTestServer.command(server.process, path, arguments, as: user)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        server.process.standardOutput = output
        server.process.standardError = output
        server.process.standardInput = FileHandle.nullDevice
        try server.process.run()
        return server
    }

    /// Waits until the server accepts connections (pg_isready says so), or fails when it exits.
    func waitUntilReady(bin: URL, port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw PostgresTestServer.Failure(message: "the server exited (port \(port) taken?)")
            }
            if (try? await PostgresTestServer.run(
                bin.appendingPathComponent("pg_isready").path, ["-h", "127.0.0.1", "-p", String(port)])) != nil
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))  // polling a real server's start, not timing a test
        }
        throw PostgresTestServer.Failure(message: "the server did not accept connections within 60 s")
    }

    /// Asks for a fast shutdown and waits for the exit.
    func stop() async {
        if process.isRunning { process.interrupt() }
        for await _ in exit { break }
    }
}
