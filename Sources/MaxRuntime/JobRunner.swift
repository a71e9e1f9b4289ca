import Foundation
import MaxConnector
public import MaxCore
import MaxStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Works through a project's async jobs: one runner at a time per project (a lock on
/// `.max/jobs.lock`), each job attempt through the ``OperationInvoker``, failed attempts retried
/// with backoff up to the job's attempts, then the job is failed and in the dead-letter list.
///
/// A job whose runner died (a crash, `kill -9`, a reboot) is taken up again by the next runner.
public struct JobRunner: Sendable {
    /// The invoker the attempts go through.
    public let invoker: OperationInvoker
    /// The wait before the second attempt; each later one doubles it.
    public var backoff: Duration = .milliseconds(500)

    /// A runner.
    public init(invoker: OperationInvoker) {
        self.invoker = invoker
    }

    /// What happened to one job.
    public enum Event: Sendable {
        /// An attempt began.
        case started(JobInfo)
        /// It succeeded.
        case succeeded(JobInfo)
        /// An attempt failed; it will be tried again.
        case willRetry(JobInfo, MaxError)
        /// It failed for good and is in the dead-letter list.
        case dead(JobInfo, MaxError)
        /// It was canceled while running.
        case canceled(JobInfo)
    }

    /// Runs jobs until none is pending or due; returns at once (0) when another runner holds the
    /// project's lock, since that one will run them.
    ///
    /// - Returns: The attempts made.
    /// - Throws: the operation store's errors.
    public func drain(_ report: @Sendable (Event) -> Void = { _ in }) async throws -> Int {
        let lockURL = try invoker.workspace.project.runtimeFileURL("jobs.lock")
        let store = try invoker.operationStore()
        var attempts = 0
        while true {
            guard let lock = Self.tryLock(lockURL) else { return attempts }
            defer { close(lock) }
            while true {
                try Task.checkCancellation()
                if let job = try store.claimNextJob(worker: getpid(), isAlive: OperationInvoker.isAlive) {
                    attempts += 1
                    await attempt(job, store: store, report)
                } else if let due = try store.nextDueJob() {
                    try await Task.sleep(for: .milliseconds(max(10, min(1000, Int(due.timeIntervalSinceNow * 1000)))))
                } else {
                    break
                }
            }
            close(lock)
            // A job enqueued while the lock was being released would wait for the next runner:
            // look once more after letting go.
            guard try store.nextDueJob() != nil else { return attempts }
        }
    }

    private func attempt(_ job: JobRecord, store: OperationStore, _ report: @Sendable (Event) -> Void) async {
        report(.started(LocalNode.info(job)))
        do {
            let envelope = try await withThrowingTaskGroup(of: OperationEnvelope?.self) { group in
                group.addTask { try await invoker.runJobAttempt(job) }
                group.addTask {
                    // Watch for a cancellation asked by another process.
                    while true {
                        try await Task.sleep(for: .milliseconds(200))
                        if try store.job(job.id)?.cancelRequested == true { return nil }
                    }
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            guard let envelope else {
                try store.markCanceled(job.id)
                report(.canceled(LocalNode.info(try store.job(job.id) ?? job)))
                return
            }
            try store.succeed(job.id, result: envelope.json.jsonText)
            report(.succeeded(LocalNode.info(try store.job(job.id) ?? job)))
        } catch {
            let failure = (error as? MaxError) ?? MaxError(.internalError, "\(error)")
            let retryable = failure.category.isRetryable || failure.code == .operationTimeout
            let retryAt =
                retryable && job.attempts < job.maxAttempts
                ? Date().addingTimeInterval(
                    Double((backoff * (1 << min(job.attempts - 1, 10))).milliseconds) / 1000) : nil
            try? store.fail(job.id, error: "\(failure.code): \(failure.message)", retryAt: retryAt)
            let updated = (try? store.job(job.id)) ?? job
            report(
                retryAt == nil ? .dead(LocalNode.info(updated), failure) : .willRetry(LocalNode.info(updated), failure))
        }
    }

    /// An exclusive `flock` on `url`, or `nil` when another process holds it.
    static func tryLock(_ url: URL) -> Int32? {
        let descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { return nil }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return descriptor
    }

    /// Starts a runner for `project` in a process of its own (`max jobs work -C <root>`), which
    /// outlives this one; it exits when the queue is empty.
    public static func startInBackground(for project: Project) {
        guard let executable = Bundle.main.executableURL else { return }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["jobs", "work", "-C", project.root.path, "--quiet"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()  // without a runner the job waits for "max jobs work"; the caller says so
    }
}
