import Foundation
import MaxConnector
public import MaxCore
import MaxStorage
package import MaxStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Works through a project's async jobs.
///
/// Each job attempt goes through the ``OperationInvoker``; failed attempts are retried with
/// backoff up to the job's attempts, then the job is failed and in the dead-letter list. On a
/// SQLite project one runner works at a time (a lock on `.max/jobs.lock`);
/// on a PostgreSQL project, any number, on any machine (`max worker` runs jobs too).
///
/// A job whose runner died (a crash, `kill -9`, a reboot, a lost machine) is taken up again by the
/// next runner; one whose request had left for the source fails as of unknown outcome instead.
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

    /// Runs jobs until none is pending or due.
    ///
    /// On a SQLite project one runner works at a time (a lock on `.max/jobs.lock`): this returns
    /// at once (0) when another holds it, since that one will run them. On a PostgreSQL project any
    /// number run at once, each job claimed by one.
    ///
    /// - Returns: The attempts made.
    /// - Throws: the operation store's errors.
    public func drain(_ report: @Sendable (Event) -> Void = { _ in }) async throws -> Int {
        let store = try await invoker.operationRecords()
        var attempts = 0
        if store.isShared {
            while try await runNext(store, report) { attempts += 1 }
            while let due = try await store.timeUntilNextJob() {
                try await Task.sleep(for: min(max(due, .milliseconds(10)), .seconds(1)))
                while try await runNext(store, report) { attempts += 1 }
            }
            return attempts
        }
        let lockURL = try invoker.workspace.project.runtimeFileURL("jobs.lock")
        while true {
            guard let lock = Self.tryLock(lockURL) else { return attempts }
            defer { close(lock) }
            while true {
                try Task.checkCancellation()
                if try await runNext(store, report) {
                    attempts += 1
                } else if let due = try await store.timeUntilNextJob() {
                    try await Task.sleep(for: min(max(due, .milliseconds(10)), .seconds(1)))
                } else {
                    break
                }
            }
            close(lock)
            // A job enqueued while the lock was being released would wait for the next runner:
            // look once more after letting go.
            guard try await store.timeUntilNextJob() != nil else { return attempts }
        }
    }

    /// Claims the oldest due job (of `installations`, when given) and runs one attempt of it.
    ///
    /// - Returns: Whether there was one.
    /// - Throws: the operation store's errors.
    package func runNext(
        _ store: any OperationRecords, installations: [String]? = nil, _ report: @Sendable (Event) -> Void = { _ in }
    ) async throws -> Bool {
        guard let job = try await store.claimNextJob(holder, installations: installations) else { return false }
        await attempt(job, store: store, report)
        return true
    }

    /// Who holds the jobs this runner runs: this process.
    private var holder: TaskClaim { MaxWorkspace.recordHolder }

    private func attempt(_ job: JobRecord, store: any OperationRecords, _ report: @Sendable (Event) -> Void) async {
        report(.started(LocalNode.info(job)))
        let holder = holder
        do {
            let envelope = try await withThrowingTaskGroup(of: OperationEnvelope?.self) { group in
                group.addTask { try await invoker.runJobAttempt(job) }
                group.addTask {
                    // Renew the hold, and watch for a cancellation asked by another process: often
                    // enough on one machine's file, every third of the lease on a shared database.
                    let interval = store.isShared ? holder.lease / 3 : .milliseconds(200)
                    while true {
                        try await Task.sleep(for: interval)
                        if (try? await store.renew(holder))?.contains(job.id) == true { return nil }
                    }
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            guard let envelope else {
                try await store.markCanceled(job.id, holder: holder)
                report(.canceled(LocalNode.info(try await store.job(job.id) ?? job)))
                return
            }
            try await store.succeed(job.id, result: envelope.json.jsonText, holder: holder)
            report(.succeeded(LocalNode.info(try await store.job(job.id) ?? job)))
        } catch {
            if Task.isCancelled {
                // This runner is stopping: the job goes back (or, sent, is of unknown outcome) at once.
                try? await store.handBack(job.id, holder: holder)
                return
            }
            let failure = (error as? MaxError) ?? MaxError(.internalError, "\(error)")
            let retryable = failure.category.isRetryable || failure.code == .operationTimeout
            let retryIn =
                retryable && job.attempts < job.maxAttempts ? backoff * (1 << min(job.attempts - 1, 10)) : nil
            _ = try? await store.fail(
                job.id, error: "\(failure.code): \(failure.message)", retryIn: retryIn, holder: holder)
            let updated = (try? await store.job(job.id)) ?? job
            report(
                retryIn == nil ? .dead(LocalNode.info(updated), failure) : .willRetry(LocalNode.info(updated), failure))
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
