public import Foundation

/// Starts child processes (connectors, `git`) so that they end with Max, however Max ends.
///
/// On Linux each child is started through `setpriv --pdeathsig KILL` (util-linux), which sets its
/// parent-death signal: the kernel kills the child when Max exits, SIGKILL included, so no
/// connector is left behind with parent 1. That signal follows the *thread* that started the
/// child, not the process, so every child is started from one thread that lives as long as Max
/// (never from a pool thread, which may retire while the child still runs). Where `setpriv` is
/// missing (macOS), children are started as they are, and only Max's own cleanup ends them.
public enum ChildLauncher {
    /// `setpriv` (util-linux), where this system has it.
    public static let setpriv: String? = ["/usr/bin/setpriv", "/bin/setpriv"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Sets `process` to run `executable` with `arguments`, under `setpriv --pdeathsig KILL` where
    /// it can.
    public static func configure(_ process: Process, executable: String, arguments: [String]) {
        if let setpriv {
            process.executableURL = URL(fileURLWithPath: setpriv)
            process.arguments = ["--pdeathsig", "KILL", "--", executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
    }

    /// Starts `process` (already configured) from the launcher's thread.
    ///
    /// - Throws: What `Process.run()` throws when it cannot be started.
    public static func run(_ process: Process) async throws {
        let box = ProcessBox(process: process)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            LauncherThread.shared.submit {
                continuation.resume(with: Result { try box.process.run() })
            }
        }
    }

    /// Hands a process to the launcher's thread.
    private struct ProcessBox: @unchecked Sendable {
        // Unchecked: the process is configured before and only started on the launcher's thread;
        // its caller waits for that before touching it again.
        let process: Process
    }
}

/// The one thread children are started from; it lives as long as the process.
private final class LauncherThread: @unchecked Sendable {
    // Unchecked: `jobs` is only touched under `condition`.
    static let shared = LauncherThread()

    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    private init() {
        let thread = Thread { [self] in loop() }
        thread.name = "max-child-launcher"
        thread.start()
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}
