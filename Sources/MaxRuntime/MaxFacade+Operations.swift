import Foundation
public import MaxConnector
public import MaxCore
public import MaxStorage
public import MaxSync

/// Syncs, operations and jobs: the façade's calls that reach the source or change the project,
/// each with the one JSON shape every front end prints.
extension MaxFacade {
    // MARK: Sync

    /// Syncs an installation (see ``MaxWorkspace/sync(_:restart:full:caller:engine:observer:)``).
    ///
    /// A remote installation is synced by its node (`POST …/sync`, which needs a token of scope
    /// `operate`); `observer` then hears nothing until it ends, and `concurrency` is the node's.
    ///
    /// - Parameters:
    ///   - name: The installation.
    ///   - restart: Discard an unfinished run instead of resuming it.
    ///   - full: Read everything again instead of only the changes.
    ///   - concurrency: Tasks run at once.
    ///   - caller: Who asked, for the audit log (`cli:<user>`, `serve:<token id>`, `mcp`).
    ///   - observer: Told of the sync's events (progress, retries, rate limits, breaker changes).
    /// - Returns: How it ended.
    /// - Throws: `sync.already_running`, the engine's errors, and a remote node's (`serve.forbidden`
    ///   for a token that may only read).
    public func sync(
        _ name: String, restart: Bool = false, full: Bool = false, concurrency: Int = 8, caller: String,
        observer: @escaping @Sendable (SyncEvent) -> Void = { _ in }
    ) async throws -> SyncSummary {
        if let remote = try await workspace.remote(name) {
            let answer = try await remote.post(
                "/sync", query: [("full", full ? "true" : nil), ("restart", restart ? "true" : nil)],
                timeout: Self.remoteSyncTimeout)
            return Self.summary(fromRemote: answer)
        }
        return try await workspace.sync(
            name, restart: restart, full: full, caller: caller, engine: SyncEngine(concurrency: concurrency),
            observer: observer)
    }

    /// How long a remote node may take to answer a sync.
    static let remoteSyncTimeout = Duration.seconds(3600)

    /// A sync's outcome: `run`, `status`, `kind`, `entities`, `entitiesByType`, `tasksCompleted`,
    /// `tasksFailed`, `durationMs`, and the first `errors` of failed tasks.
    public static func json(_ summary: SyncSummary) -> JSONValue {
        var byType: [String: JSONValue] = [:]
        for (type, count) in summary.entitiesWritten { byType[type.name] = .int(count) }
        var object: [String: JSONValue] = [
            "run": .string(summary.runID), "status": .string(summary.status), "kind": .string(summary.kind),
            "entities": .int(summary.totalEntities), "entitiesByType": .object(byType),
            "tasksCompleted": .int(summary.tasksCompleted), "tasksFailed": .int(summary.tasksFailed),
            "durationMs": .int(Int(summary.duration * 1000)),
        ]
        if !summary.errors.isEmpty {
            object["errors"] = .array(
                summary.errors.map { error in
                    ["code": .string(error.code.description), "message": .string(error.message)]
                })
        }
        return .object(object)
    }

    /// A summary from a node's answer to `POST …/sync` (``json(_:)-swift.type.method`` there).
    static func summary(fromRemote answer: JSONValue) -> SyncSummary {
        var counts: [EntityType: Int] = [:]
        for (type, count) in answer["entitiesByType"]?.objectValue ?? [:] {
            counts[EntityType(type)] = count.intValue ?? 0
        }
        let errors = (answer["errors"]?.arrayValue ?? []).map { error in
            MaxError(
                RemoteInstallation.code(error["code"]?.stringValue, category: .permanent),
                error["message"]?.stringValue ?? "")
        }
        return SyncSummary(
            runID: answer["run"]?.stringValue ?? "", status: answer["status"]?.stringValue ?? "completed",
            kind: answer["kind"]?.stringValue ?? "full", entitiesWritten: counts,
            tasksCompleted: answer["tasksCompleted"]?.intValue ?? 0, tasksFailed: answer["tasksFailed"]?.intValue ?? 0,
            errors: errors, duration: Double(answer["durationMs"]?.intValue ?? 0) / 1000)
    }

    // MARK: Operations

    /// The operations an installation offers, with its connector's identity and auth.
    ///
    /// - Throws: `installation.not_found`, `remote.unsupported`, and what building it throws.
    public func operations(of name: String) async throws -> LiveInstallation {
        try await workspace.live(name)
    }

    /// An installation's operations as ``json(operationsOf:installation:)`` prints them, from this
    /// node or, for a remote installation, from its own (`GET …/operations`).
    ///
    /// - Throws: `installation.not_found`, what building it throws, and a remote node's errors.
    public func operationsJSON(of name: String) async throws -> JSONValue {
        if let remote = try await workspace.remote(name) {
            var answer = try await remote.get("/operations")
            if case .object(var object) = answer {
                object["installation"] = .string(name)
                answer = .object(object)
            }
            return answer
        }
        return Self.json(operationsOf: try await operations(of: name), installation: name)
    }

    /// Runs an operation of a remote installation on its node (`POST …/operations/<operation>`,
    /// once, which needs a token of scope `operate`).
    ///
    /// - Returns: The node's answer: an envelope, or the job it queued there.
    /// - Throws: the node's errors with their codes (`operation.invalid_input`, `serve.forbidden`…).
    public static func invoke(
        _ request: OperationInvoker.Request, on remote: RemoteInstallation, timeout: Duration = .seconds(600)
    ) async throws -> JSONValue {
        try await remote.post(
            "/operations/" + (request.operation.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
            query: [("async", request.async ? "true" : nil)], body: request.input,
            headers: request.idempotencyKey.map { [("Idempotency-Key", $0)] } ?? [], timeout: timeout)
    }

    /// An installation's operations as JSON: `installation`, `connector`, `connectorVersion`,
    /// `operationSchemaVersion`, `auth`, `inputSchema` and `operations` (each declaration with its
    /// input and output JSON Schemas).
    public static func json(operationsOf live: LiveInstallation, installation: String) -> JSONValue {
        [
            "installation": .string(installation), "connector": .string(live.info.name),
            "connectorVersion": .string(live.info.version),
            "operationSchemaVersion": .string(live.operationSchemaVersion), "auth": live.auth.json,
            "inputSchema": live.inputSchema, "operations": .array(live.operations.map(\.json)),
        ]
    }

    /// Runs an operation through the ``OperationInvoker``: validated, idempotent, audited.
    ///
    /// - Parameters:
    ///   - request: The call.
    ///   - caller: Who asked, for the audit log.
    /// - Returns: The envelope, or the job it was queued as.
    /// - Throws: as ``OperationInvoker/invoke(_:)``.
    public func invoke(_ request: OperationInvoker.Request, caller: String) async throws -> OperationInvoker.Outcome {
        try await OperationInvoker(workspace: workspace, caller: caller).invoke(request)
    }

    /// What a call gave: the envelope of a completed call, the job of a queued one.
    public static func json(_ outcome: OperationInvoker.Outcome) -> JSONValue {
        switch outcome {
        case .completed(let envelope): envelope.json
        case .enqueued(let job): json(job)
        }
    }

    // MARK: Jobs

    /// Async jobs, newest first.
    ///
    /// - Parameters:
    ///   - installation: Only this installation's.
    ///   - state: Only jobs in this state.
    ///   - deadOnly: Only the dead-letter list (failed with no attempt left).
    /// - Returns: The jobs.
    /// - Throws: `storage.*` when the operation store cannot be read.
    public func jobs(installation: String? = nil, state: JobRecord.State? = nil, deadOnly: Bool = false) throws
        -> [JobRecord]
    {
        let store = try recoveredOperationStore()
        return deadOnly ? try store.jobs(deadOnly: true) : try store.jobs(installation: installation, state: state)
    }

    /// The operation store, after settling the jobs of runners that died (so none shows `running`
    /// forever) and starting a runner if that left jobs to run.
    private func recoveredOperationStore() throws -> OperationStore {
        let store = try OperationInvoker(workspace: workspace, caller: "").operationStore()
        if try store.recoverOrphans(isAlive: OperationInvoker.isAlive) > 0, try store.nextDueJob() != nil {
            JobRunner.startInBackground(for: workspace.project)
        }
        return store
    }

    /// One job.
    ///
    /// - Throws: `job.not_found`; `storage.*`.
    public func job(_ id: String) throws -> JobRecord {
        let store = try recoveredOperationStore()
        guard let job = try store.job(id) else { throw Self.jobNotFound(id) }
        return job
    }

    /// The error for a job id that names none.
    public static func jobNotFound(_ id: String) -> MaxError {
        MaxError(.jobNotFound, "there is no job \(id)", hint: "\"max jobs\" lists them", context: ["job": id])
    }

    /// A job as JSON: `id`, `installation`, `operation`, `state`, `attempts`, `maxAttempts`,
    /// `dead`, `createdAt`, `updatedAt`, and when known `idempotencyKey`, `error`,
    /// `cancelRequested` and `result` (the envelope).
    public static func json(_ job: JobRecord) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(job.id), "installation": .string(job.installation), "operation": .string(job.operation),
            "state": .string(job.state.rawValue), "attempts": .int(job.attempts), "maxAttempts": .int(job.maxAttempts),
            "dead": .bool(job.dead), "createdAt": .string(ISO8601.format(job.createdAt)),
            "updatedAt": .string(ISO8601.format(job.updatedAt)),
        ]
        if let key = job.idempotencyKey { object["idempotencyKey"] = .string(key) }
        if let error = job.error { object["error"] = .string(error) }
        if job.cancelRequested { object["cancelRequested"] = true }
        if let result = job.result, let envelope = try? JSONValue(parsing: result) { object["result"] = envelope }
        return .object(object)
    }
}
