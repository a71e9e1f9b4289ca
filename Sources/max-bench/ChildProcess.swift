import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A program run as a child process, so its own CPU time and peak memory can be measured
/// (`wait4` reports them) apart from the benchmark's.
struct ChildProcess {
    /// What one finished run cost.
    struct Outcome {
        /// The exit status (128 + N for a signal).
        let status: Int32
        /// Wall-clock seconds from spawn to exit.
        let wall: Double
        /// User-mode CPU seconds.
        let user: Double
        /// Kernel-mode CPU seconds.
        let system: Double
        /// Peak resident memory, in bytes.
        let peakResidentBytes: Int
        /// What it wrote on stdout.
        let stdout: String
        /// What it wrote on stderr.
        let stderr: String
    }

    let pid: pid_t
    let started: ContinuousClock.Instant
    private let stdoutPath: String
    private let stderrPath: String

    /// Spawns `executable` with `arguments`, its output going to files.
    ///
    /// - Throws: `POSIXError` when it cannot be spawned.
    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("max-bench-\(UUID().uuidString)")
        stdoutPath = scratch.path + ".out"
        stderrPath = scratch.path + ".err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { _, new in new }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        started = .now
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EINVAL) }
        self.pid = pid
    }

    /// Runs a program to its end.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Outcome
    {
        try ChildProcess(executable, arguments, environment: environment).wait()
    }

    /// Waits for the process to exit and reports what it cost.
    func wait() throws -> Outcome {
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECHILD) }
        }
        let wall = Measurements.seconds(since: started)
        defer {
            unlink(stdoutPath)
            unlink(stderrPath)
        }
        let exited = status & 0x7f == 0
        return Outcome(
            status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), wall: wall,
            user: Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
            system: Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6,
            peakResidentBytes: Int(usage.ru_maxrss) * 1024, stdout: contents(stdoutPath), stderr: contents(stderrPath))
    }

    /// What the process has written on stdout so far.
    var stdoutSoFar: String { contents(stdoutPath) }

    /// The CPU seconds (user + system) the running process has used so far, from `/proc` (Linux).
    var cpuSecondsSoFar: Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3, utime 14 and stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Stops the process with SIGTERM and reaps it.
    func terminate() {
        kill(pid, SIGTERM)
        _ = try? wait()
    }

    private func contents(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}
