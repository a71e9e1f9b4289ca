public import Foundation
public import MaxConnector
public import MaxCore
import MaxCredentials
import MaxStorage
package import MaxStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs connector operations: the one path for the command line, `max serve` and `max mcp`.
///
/// Each call: the input is validated against the operation's schema (an invalid one never reaches
/// the source); an idempotency key is claimed across processes (a repeat returns the first result,
/// waits for it while it runs, or is a conflict with another input); the operation runs within its
/// `maxTimeout` through the installation's HTTP client (retries, rate limit, breaker); its output
/// is validated, written through to the local store, redacted, capped in size, and returned as an
/// ``OperationEnvelope``. Every call, whatever its outcome, leaves an audit event.
public struct OperationInvoker: Sendable {
    /// The project.
    public let workspace: MaxWorkspace
    /// Who is asking, for the audit log (`cli:<user>`).
    public var caller: String
    /// How long idempotency records live unless the installation says otherwise
    /// (`"idempotency": {"ttlSeconds": N}` in `max.json`).
    public static let defaultIdempotencyTTL: TimeInterval = 24 * 3600
    /// The attempts an async job gets unless its operation's retry policy says otherwise.
    public static let defaultJobAttempts = 3

    /// An invoker over `workspace`.
    public init(workspace: MaxWorkspace, caller: String) {
        self.workspace = workspace
        self.caller = caller
    }

    /// One call.
    public struct Request: Sendable {
        /// The installation.
        public var installation: String
        /// The operation's id.
        public var operation: String
        /// The input.
        public var input: JSONValue
        /// The caller's idempotency key.
        public var idempotencyKey: String?
        /// Run as a job even if the operation is declared sync.
        public var async: Bool
        /// The id of the request that asked (a server's), recorded in the audit event; `nil` for a
        /// new one.
        public var requestID: String?

        /// A call.
        public init(
            installation: String, operation: String, input: JSONValue, idempotencyKey: String? = nil,
            async: Bool = false, requestID: String? = nil
        ) {
            self.installation = installation
            self.operation = operation
            self.input = input
            self.idempotencyKey = idempotencyKey
            self.async = async
            self.requestID = requestID
        }
    }

    /// What a call gave.
    package enum Outcome: Sendable {
        /// It ran (or was replayed): the envelope.
        case completed(OperationEnvelope)
        /// It was queued as a job.
        case enqueued(JobRecord)
    }

    /// The project's operation records (see ``MaxWorkspace/operationRecords()``).
    package func operationRecords() async throws -> any OperationRecords {
        try await workspace.operationRecords()
    }

    /// The operations an installation offers, and its connector's auth and schema version.
    public func operations(of installation: String) async throws -> LiveInstallation {
        try await workspace.live(installation)
    }

    /// Runs `request`: validated, then queued as a job when the operation or the request is async,
    /// else run now.
    ///
    /// - Throws: `operation.not_found`, `operation.invalid_input` (naming each path),
    ///   `operation.conflict`, `operation.timeout`, `operation.invalid_output`, and the source's
    ///   and the store's errors. Each is also an audit event.
    package func invoke(_ request: Request) async throws -> Outcome {
        let started = ContinuousClock.now
        let requestID = request.requestID ?? Self.newID("req")
        var event = AuditLog.Event(
            requestID: requestID, correlationID: requestID, caller: caller, installation: request.installation,
            operation: request.operation, mode: "sync", outcome: "failed", durationMs: 0,
            idempotencyKey: request.idempotencyKey)
        do {
            let live = try await workspace.live(request.installation)
            let info = try live.operation(request.operation)
            try Self.validate(request, info)
            if request.async || info.mode == .async {
                event.mode = "async"
                let job = try await operationRecords().enqueue(
                    installation: request.installation, operation: request.operation, input: request.input.jsonText,
                    idempotencyKey: request.idempotencyKey,
                    maxAttempts: info.retryPolicy?.maxAttempts ?? Self.defaultJobAttempts)
                event.outcome = "enqueued"
                event.jobID = job.id
                event.correlationID = job.id
                event.durationMs = Self.milliseconds(since: started)
                await audit(event)
                return .enqueued(job)
            }
            let envelope = try await run(
                request, info: info, requestID: requestID, correlationID: requestID, event: &event)
            return .completed(envelope)
        } catch {
            event.durationMs = Self.milliseconds(since: started)
            let maxError = (error as? MaxError) ?? MaxError(.internalError, "\(error)")
            event.errorCode = event.errorCode ?? maxError.code.description
            event.outcome = Self.outcome(of: maxError, current: event.outcome)
            await audit(event)
            throw maxError.naming(installation: request.installation)
        }
    }

    /// Runs one attempt of a job (the job runner calls this): the same path as a sync call, audited
    /// with the job's id as correlation id and the runner (`worker:<id>` for a worker) as caller.
    ///
    /// - Returns: The envelope.
    /// - Throws: as ``invoke(_:)``.
    package func runJobAttempt(_ job: JobRecord) async throws -> OperationEnvelope {
        let started = ContinuousClock.now
        let requestID = Self.newID("req")
        var event = AuditLog.Event(
            requestID: requestID, correlationID: job.id, caller: caller, installation: job.installation,
            operation: job.operation, mode: "async", outcome: "failed", durationMs: 0, jobID: job.id,
            idempotencyKey: job.idempotencyKey)
        do {
            let request = Request(
                installation: job.installation, operation: job.operation, input: try JSONValue(parsing: job.input),
                idempotencyKey: job.idempotencyKey)
            let live = try await workspace.live(job.installation)
            let info = try live.operation(job.operation)
            try Self.validate(request, info)
            var envelope = try await run(
                request, info: info, requestID: requestID, correlationID: job.id, jobID: job.id, event: &event)
            envelope.metadata["jobId"] = .string(job.id)
            envelope.metadata["mode"] = "async"
            return envelope
        } catch {
            event.durationMs = Self.milliseconds(since: started)
            let maxError = (error as? MaxError) ?? MaxError(.internalError, "\(error)")
            event.errorCode = event.errorCode ?? maxError.code.description
            event.outcome = Self.outcome(of: maxError, current: event.outcome)
            await audit(event)
            throw maxError.naming(installation: job.installation)
        }
    }

    /// Checks the input against the schema and the key against the operation.
    static func validate(_ request: Request, _ info: OperationInfo) throws {
        let violations = info.input.validate(request.input)
        if !violations.isEmpty {
            throw MaxError(
                .operationInvalidInput,
                "the input of \(info.id) is invalid: " + violations.map(\.description).joined(separator: "; "),
                hint: "\"max ops <installation> -o json\" shows its input schema; nothing was sent",
                context: ["operation": info.id, "path": violations[0].path.isEmpty ? "/" : violations[0].path])
        }
        if request.idempotencyKey != nil && !info.supportsIdempotency {
            throw MaxError(
                .operationInvalidInput, "\(info.id) does not take an idempotency key",
                hint: "drop --idempotency-key", context: ["operation": info.id])
        }
        if let key = request.idempotencyKey, key.isEmpty || key.count > 255 {
            throw MaxError(
                .operationInvalidInput, "an idempotency key is 1 to 255 characters", context: ["operation": info.id])
        }
    }

    /// The sync path: idempotency, timeout, execution, output checks, write-through, envelope.
    private func run(
        _ request: Request, info: OperationInfo, requestID: String, correlationID: String, jobID: String? = nil,
        event: inout AuditLog.Event
    ) async throws -> OperationEnvelope {
        let started = ContinuousClock.now
        let key = request.idempotencyKey.map {
            IdempotencyKey(installation: request.installation, operation: info.id, key: $0)
        }
        let store = key == nil && jobID == nil ? nil : try await operationRecords()
        // A shared store holds this call's key and job under a lease: renewed while the call runs.
        return try await Self.holding(store, MaxWorkspace.recordHolder) {
            try await run(
                request, info: info, requestID: requestID, correlationID: correlationID, jobID: jobID, key: key,
                store: store, started: started, event: &event)
        }
    }

    private func run(
        _ request: Request, info: OperationInfo, requestID: String, correlationID: String, jobID: String?,
        key: IdempotencyKey?, store: (any OperationRecords)?, started: ContinuousClock.Instant,
        event: inout AuditLog.Event
    ) async throws -> OperationEnvelope {
        if let key, let store {
            let ttl = try idempotencyTTL(request.installation)
            let hash = Self.digest(request.input)
            let deadline = ContinuousClock.now + info.maxTimeout + .seconds(5)
            claiming: while true {
                switch try await store.claim(key, inputHash: hash, holder: MaxWorkspace.recordHolder, ttl: ttl) {
                case .run: break claiming
                case .replay(let text):
                    guard var envelope = OperationEnvelope(json: try JSONValue(parsing: text)) else { break claiming }
                    envelope.metadata["replayed"] = true
                    event.outcome = "replayed"
                    event.durationMs = Self.milliseconds(since: started)
                    event.providerStatus = envelope.metadata["providerStatus"]?.intValue
                    await audit(event)
                    return envelope
                case .conflict:
                    event.outcome = "conflict"
                    throw MaxError(
                        .idempotencyConflict,
                        "the idempotency key '\(key.key)' was used with another input for \(info.id) of \(request.installation)",
                        hint: "use a new key for a new request; the first result stays under this key until it expires",
                        context: ["operation": info.id])
                case .unknown(let owner, let sentAt, let expiresAt, let firstSeen):
                    if firstSeen {
                        // The lost attempt left no event of its own: record it now that it is known.
                        var lost = event
                        lost.requestID = Self.newID("req")
                        lost.caller = "unknown (\(owner), which stopped)"
                        lost.outcome = "unknown"
                        lost.errorCode = MaxError.Code.operationOutcomeUnknown.description
                        await audit(lost)
                    }
                    throw MaxError(
                        .operationOutcomeUnknown,
                        "the first call of \(info.id) with idempotency key '\(key.key)' sent its request to "
                            + "\(request.installation) at \(ISO8601.format(sentAt)), and its caller (\(owner)) stopped before "
                            + "the answer came: whether the source acted on it is unknown, so it was not sent again",
                        hint:
                            "check the source (for example \"max sync \(request.installation)\" and a search) for what it "
                            + "would have done; to send it anyway, use a new idempotency key (this one gives this answer "
                            + "until \(ISO8601.format(expiresAt)))",
                        context: ["operation": info.id])
                case .wait:
                    guard ContinuousClock.now < deadline else {
                        throw MaxError(
                            .operationTimeout,
                            "the first call with idempotency key '\(key.key)' is still running after \(info.maxTimeout)",
                            context: ["operation": info.id])
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
        }
        do {
            let statistics = RequestStatistics()
            let live = try await workspace.live(
                request.installation, statistics: statistics, retryPolicy: info.retryPolicy)
            let output: OperationOutput
            let limit = try timeoutCap(request.installation).map { min($0, info.maxTimeout) } ?? info.maxTimeout
            let record = try workspace.record(request.installation)
            let slot = try await InvocationSlots(project: workspace.project).acquire(
                request.installation,
                limits: try InvocationSlots.Limits(record.otherKeys["operations"], installation: request.installation),
                timeout: limit)
            defer { withExtendedLifetime(slot) {} }
            // From here on, a process that dies leaves a call of unknown outcome, not one to repeat.
            if let key, let store { try await store.markSent(key) }
            if let jobID, let store { try await store.markJobSent(jobID, holder: MaxWorkspace.recordHolder) }
            do {
                output = try await Self.withTimeout(limit, operation: info.id) {
                    try await live.execute(
                        info.id,
                        OperationCall(
                            input: request.input, idempotencyKey: request.idempotencyKey, requestID: requestID))
                }
            } catch {
                event.retryCount = statistics.retries
                throw error
            }
            event.retryCount = statistics.retries
            event.providerStatus = output.providerStatus
            let violations = info.output.validate(output.data)
            if !violations.isEmpty {
                throw MaxError(
                    .operationInvalidOutput,
                    "\(request.installation) answered \(info.id) with an output that does not match its schema: "
                        + violations.map(\.description).joined(separator: "; "),
                    hint: "the source or the connector changed; the result was not returned",
                    context: ["operation": info.id])
            }
            if !output.writes.isEmpty || !output.deletes.isEmpty {
                let entities = try await writingStore(request.installation)
                if !output.writes.isEmpty { try await entities.upsert(output.writes, at: Date()) }
                if !output.deletes.isEmpty { try await entities.markDeleted(output.deletes, at: Date()) }
            }
            let (redacted, applied) = OperationEnvelope.redact(output.data, info.redactions)
            let (data, truncated) = OperationEnvelope.truncate(redacted, to: info.maxPayloadBytes)
            var warnings = output.warnings
            if truncated {
                warnings.append("the result was larger than \(info.maxPayloadBytes) bytes and was cut to fit")
            }
            var metadata: [String: JSONValue] = [
                "requestId": .string(requestID), "correlationId": .string(correlationID),
                "installation": .string(request.installation), "operation": .string(info.id), "mode": "sync",
                "durationMs": .int(Self.milliseconds(since: started)), "retryCount": .int(statistics.retries),
                "replayed": false, "connectorVersion": .string(live.info.version),
                "operationSchemaVersion": .string(live.operationSchemaVersion),
                "writtenThrough": .int(output.writes.count + output.deletes.count),
            ]
            if let status = output.providerStatus { metadata["providerStatus"] = .int(status) }
            if let key = request.idempotencyKey { metadata["idempotencyKey"] = .string(key) }
            let envelope = OperationEnvelope(
                metadata: metadata, data: data, warnings: warnings, redactionsApplied: applied, truncated: truncated)
            if let key, let store { try await store.complete(key, result: envelope.json.jsonText) }
            event.outcome = "succeeded"
            event.durationMs = Self.milliseconds(since: started)
            await audit(event)
            return envelope
        } catch {
            if let key, let store { try? await store.release(key) }
            throw error
        }
    }

    /// The store an operation's output is written through to: the installation's SQLite file, or
    /// its schema in the project's PostgreSQL database.
    private func writingStore(_ installation: String) async throws -> any EntityStoring {
        if try workspace.storage().postgres != nil { return try await workspace.readingStore(installation) }
        let url = try workspace.project.dataURL(installation)
        return try await OpenStores.entityStore(at: url) { try await workspace.openStoreForWriting(installation) }
    }

    /// The installation's idempotency TTL (`"idempotency": {"ttlSeconds": N}`, 1 s to 30 days).
    func idempotencyTTL(_ installation: String) throws -> TimeInterval {
        let record = try workspace.record(installation)
        guard let setting = record.otherKeys["idempotency"] else { return Self.defaultIdempotencyTTL }
        guard let seconds = setting["ttlSeconds"]?.doubleValue, (1...2_592_000).contains(seconds) else {
            throw MaxError(
                .invalidProjectFile,
                "installations.\(installation).idempotency.ttlSeconds must be a number of seconds from 1 to 2592000",
                hint: "fix it in max.json", context: ["installation": installation])
        }
        return seconds
    }

    /// The installation's cap on operation time (`"operations": {"timeoutSeconds": N}`, 0.1 s to
    /// 1 h), which lowers an operation's own `maxTimeout`, never raises it.
    func timeoutCap(_ installation: String) throws -> Duration? {
        let record = try workspace.record(installation)
        guard let setting = record.otherKeys["operations"]?["timeoutSeconds"] else { return nil }
        guard let seconds = setting.doubleValue, (0.1...3600).contains(seconds) else {
            throw MaxError(
                .invalidProjectFile,
                "installations.\(installation).operations.timeoutSeconds must be a number of seconds from 0.1 to 3600",
                hint: "fix it in max.json", context: ["installation": installation])
        }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// Runs `body`, or fails with `operation.timeout` after `limit`.
    static func withTimeout<T: Sendable>(
        _ limit: Duration, operation: String, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                throw MaxError(
                    .operationTimeout, "\(operation) did not finish within its limit of \(limit)",
                    hint: "the source may still have done it: check before calling again, or use an idempotency key",
                    context: ["operation": operation])
            }
            return result
        }
    }

    /// The audit outcome for an error.
    static func outcome(of error: MaxError, current: String) -> String {
        if current == "conflict" { return current }
        switch error.code {
        case .operationInvalidInput: return "invalid_input"
        case .idempotencyConflict: return "conflict"
        case .operationTimeout: return "timeout"
        case .operationOutcomeUnknown: return "unknown"
        default: return "failed"
        }
    }

    func audit(_ event: AuditLog.Event) async {
        await AuditLog(project: workspace.project).record(event) { error in
            FileHandle.standardError.write(Data("warning: the audit event was not recorded: \(error.message)\n".utf8))
        }
    }

    /// A SHA-256 of the input's canonical JSON (members sorted).
    static func digest(_ input: JSONValue) -> String {
        ContentDigest.sha256(input.jsonText)
    }

    /// Runs `body` while `holder`'s records stay held: in a shared store, a child task renews
    /// their lease every third of it until `body` ends.
    static func holding<T>(
        _ store: (any OperationRecords)?, _ holder: TaskClaim, _ body: () async throws -> T
    ) async throws -> T {
        guard let store, store.isShared else { return try await body() }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while true {
                    try await Task.sleep(for: holder.lease / 3)
                    // A renewal that fails is tried again at the next third; the lease outlasts two.
                    _ = try? await store.renew(holder)
                }
            }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    static func newID(_ prefix: String) -> String {
        prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        Int((ContinuousClock.now - start).milliseconds)
    }
}
