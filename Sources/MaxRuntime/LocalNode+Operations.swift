import Foundation
public import MaxConnector
import MaxCore
import MaxStore
import MaxSync

/// Syncs, operations and jobs: the calls that reach the source or change the project.
extension LocalNode {
    // MARK: Sync

    /// Syncs an installation (see ``MaxWorkspace/sync(_:restart:full:detach:caller:concurrency:observer:)``).
    ///
    /// - Throws: `sync.already_running`, the engine's errors.
    public func sync(_ request: SyncRequest, observer: @escaping @Sendable (SyncEvent) -> Void) async throws
        -> SyncSummary
    {
        _ = try localRecord(request.installation)
        let concurrency = request.concurrency ?? 8
        guard (1...64).contains(concurrency) else {
            throw MaxError.invalidRequest("concurrency must be between 1 and 64, not \(concurrency)")
        }
        return try await workspace.sync(
            request.installation, restart: request.restart ?? false, full: request.full ?? false,
            detach: request.detach ?? false, caller: caller, concurrency: concurrency, observer: observer)
    }

    // MARK: Operations

    /// The operations an installation offers, with its connector's identity and auth.
    ///
    /// - Throws: `installation.not_found` and what building it throws.
    public func operations(_ request: InstallationRequest) async throws -> OperationList {
        _ = try localRecord(request.installation)
        let live = try await workspace.live(request.installation)
        return OperationList(
            installation: request.installation, connector: live.info.name, connectorVersion: live.info.version,
            operationSchemaVersion: live.operationSchemaVersion, auth: live.auth.json, inputSchema: live.inputSchema,
            operations: live.operations.map(\.json))
    }

    /// Runs an operation through the ``OperationInvoker``: validated, idempotent, audited.
    ///
    /// A call queued as a job starts a runner (`max jobs work`) in the background, unless a live
    /// `max worker` works for its installation (on a PostgreSQL project), which runs it.
    ///
    /// - Throws: as ``OperationInvoker/invoke(_:)``.
    public func invoke(_ request: InvokeRequest) async throws -> InvokeResult {
        _ = try localRecord(request.installation)
        let outcome = try await OperationInvoker(workspace: workspace, caller: caller).invoke(
            .init(
                installation: request.installation, operation: request.operation, input: request.input,
                idempotencyKey: request.idempotencyKey, async: request.async ?? false, requestID: requestID))
        switch outcome {
        case .completed(let envelope): return .completed(envelope: envelope.json)
        case .enqueued(let job):
            if await workspace.jobsNeedARunner(job.installation) { JobRunner.startInBackground(for: workspace.project) }
            return .enqueued(Self.info(job))
        }
    }

    // MARK: Jobs

    /// Async jobs, newest first.
    ///
    /// - Throws: `installation.not_found`, `api.invalid_request` for an unknown state, `storage.*`.
    public func jobs(_ request: JobsRequest) async throws -> JobList {
        if let installation = request.installation { _ = try workspace.record(installation) }
        var state: JobRecord.State?
        if let given = request.state {
            guard let parsed = JobRecord.State(rawValue: given) else {
                throw MaxError.invalidRequest(
                    "there is no job state \"\(given)\"; use one of "
                        + JobRecord.State.allCases.map(\.rawValue).joined(separator: ", "))
            }
            state = parsed
        }
        let store = try await recoveredOperationRecords()
        let jobs =
            request.dead == true
            ? try await store.jobs(installation: nil, state: nil, deadOnly: true, limit: 1000)
            : try await store.jobs(installation: request.installation, state: state, deadOnly: false, limit: 1000)
        return JobList(jobs: jobs.map(Self.info))
    }

    /// One job.
    ///
    /// - Throws: `job.not_found`; `storage.*`.
    public func job(_ request: JobRequest) async throws -> JobInfo {
        guard let job = try await recoveredOperationRecords().job(request.id) else {
            throw Self.jobNotFound(request.id)
        }
        return Self.info(job)
    }

    /// Cancels a job: a pending one at once, a running one at its runner's next check.
    ///
    /// - Throws: `job.not_found`; `job.not_cancelable` for one that has ended.
    public func cancelJob(_ request: JobRequest) async throws -> JobInfo {
        let id = request.id
        let store = try await recoveredOperationRecords()
        guard let before = try await store.job(id) else { throw Self.jobNotFound(id) }
        guard [.pending, .running].contains(before.state) else {
            throw MaxError(
                .jobNotCancelable, "\(id) is \(before.state.rawValue) already and cannot be canceled",
                context: ["job": id])
        }
        guard let job = try await store.cancel(id) else { throw Self.jobNotFound(id) }
        guard [.canceled, .running].contains(job.state) else {
            throw MaxError(
                .jobNotCancelable, "\(id) is \(job.state.rawValue) and cannot be canceled", context: ["job": id])
        }
        return Self.info(job)
    }

    /// Queues a failed or canceled job again with fresh attempts, and starts a runner.
    ///
    /// - Throws: `job.not_found`; `job.not_cancelable` for a job that is not failed or canceled.
    public func retryJob(_ request: JobRequest) async throws -> JobInfo {
        try await retryJob(request, startRunner: true)
    }

    /// Queues a failed or canceled job again with fresh attempts; with `startRunner`, a runner
    /// starts in the background (without, the caller runs ``workJobs(_:)`` itself).
    ///
    /// - Throws: as ``retryJob(_:)``.
    public func retryJob(_ request: JobRequest, startRunner: Bool) async throws -> JobInfo {
        let id = request.id
        let store = try await recoveredOperationRecords()
        guard let job = try await store.retry(id) else { throw Self.jobNotFound(id) }
        guard job.state == .pending else {
            throw MaxError(
                .jobNotCancelable, "\(id) is \(job.state.rawValue); only failed or canceled jobs are retried",
                context: ["job": id])
        }
        if startRunner, await workspace.jobsNeedARunner(job.installation) {
            JobRunner.startInBackground(for: workspace.project)
        }
        return Self.info(job)
    }

    /// Runs the project's pending jobs in this process until none is left (`max jobs work`).
    ///
    /// - Returns: The attempts made (0 when another runner holds the project's jobs).
    /// - Throws: the operation store's errors.
    public func workJobs(_ report: @Sendable (JobRunner.Event) -> Void = { _ in }) async throws -> Int {
        try await JobRunner(invoker: OperationInvoker(workspace: workspace, caller: caller)).drain(report)
    }

    /// The operation records, after settling the jobs of runners that died (so none shows
    /// `running` forever) and starting a runner if that left jobs to run.
    private func recoveredOperationRecords() async throws -> any OperationRecords {
        let store = try await workspace.operationRecords()
        if try await store.recoverOrphans() > 0, try await store.timeUntilNextJob() != nil {
            JobRunner.startInBackground(for: workspace.project)
        }
        return store
    }

    /// The error for a job id that names none.
    static func jobNotFound(_ id: String) -> MaxError {
        MaxError(.jobNotFound, "there is no job \(id)", hint: "\"max jobs\" lists them", context: ["job": id])
    }

    /// A stored job as the API shows it.
    static func info(_ job: JobRecord) -> JobInfo {
        JobInfo(
            id: job.id, installation: job.installation, operation: job.operation, state: job.state.rawValue,
            attempts: job.attempts, maxAttempts: job.maxAttempts, dead: job.dead, createdAt: job.createdAt,
            updatedAt: job.updatedAt, idempotencyKey: job.idempotencyKey, error: job.error,
            cancelRequested: job.cancelRequested, result: job.result.flatMap { try? JSONValue(parsing: $0) })
    }
}
