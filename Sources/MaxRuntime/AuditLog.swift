public import Foundation
public import MaxCore
import MaxQuery
import MaxStorage
package import MaxStore

/// The project's audit events (SPEC-hardening §10.1): one per operation call and per sync run,
/// stored as `AuditEvent` entities in `.max/audit.db`, or, on a project that stores in
/// PostgreSQL, in the project's own namespace of that database (so every machine's workers and
/// callers write one log); `max audit` queries them with the search filter language.
///
/// Events hold ids, names, outcomes and numbers only: never an input, an output, or a secret.
public struct AuditLog: Sendable {
    /// One event.
    public struct Event: Sendable {
        /// Unique per call (the request id).
        public var requestID: String
        /// Ties the events of one piece of work together (a job and its attempts).
        public var correlationID: String
        /// Who asked: `cli:<user>`, later `mcp`, `serve`.
        public var caller: String
        /// The installation.
        public var installation: String
        /// The operation, or `sync`.
        public var operation: String
        /// `sync`, `async` (a job attempt) or `sync-run`.
        public var mode: String
        /// `succeeded`, `replayed`, `invalid_input`, `conflict`, `timeout`, `failed`, `enqueued`, `canceled`.
        public var outcome: String
        /// How long it took.
        public var durationMs: Int
        /// The source's HTTP status of the last request, if there was one.
        public var providerStatus: Int?
        /// The retries its requests took.
        public var retryCount: Int
        /// The error code, when it failed.
        public var errorCode: String?
        /// The job, for async calls.
        public var jobID: String?
        /// The idempotency key, if one was given.
        public var idempotencyKey: String?
        /// When it ended.
        public var at: Date
        /// A denial's evaluation context, as JSON text (user, groups, project, installation,
        /// connector type, operation, mode, action, rule); nil for other events.
        public var context: String?

        /// The event of a sync run (`operation` `sync`), however it ended: its error's code, or
        /// `cancelled`.
        static func sync(
            requestID: String, runID: String, caller: String, installation: String, mode: String = "sync-run",
            outcome: String, since started: ContinuousClock.Instant, retries: Int = 0, error: (any Error)? = nil
        ) -> Event {
            Event(
                requestID: requestID, correlationID: runID, caller: caller, installation: installation,
                operation: "sync", mode: mode, outcome: outcome,
                durationMs: Int((ContinuousClock.now - started).milliseconds), retryCount: retries,
                errorCode: (error as? MaxError)?.code.description ?? (error is CancellationError ? "cancelled" : nil))
        }

        /// An event.
        public init(
            requestID: String, correlationID: String, caller: String, installation: String, operation: String,
            mode: String, outcome: String, durationMs: Int, providerStatus: Int? = nil, retryCount: Int = 0,
            errorCode: String? = nil, jobID: String? = nil, idempotencyKey: String? = nil, at: Date = Date()
        ) {
            self.requestID = requestID
            self.correlationID = correlationID
            self.caller = caller
            self.installation = installation
            self.operation = operation
            self.mode = mode
            self.outcome = outcome
            self.durationMs = durationMs
            self.providerStatus = providerStatus
            self.retryCount = retryCount
            self.errorCode = errorCode
            self.jobID = jobID
            self.idempotencyKey = idempotencyKey
            self.at = at
        }
    }

    /// The fields of an event, in the order front ends show them.
    public static let fieldNames = [
        "at", "installation", "operation", "mode", "outcome", "durationMs", "providerStatus", "retryCount",
        "errorCode", "caller", "requestId", "correlationId", "jobId", "idempotencyKey", "context",
    ]

    /// The entity type of audit events.
    public static let eventType: EntityType = "AuditEvent"

    /// The schema of the audit store.
    public static let schema = Schema(
        namespace: "max",
        entities: [
            EntityDef(
                eventType,
                fields: [
                    .date("at", indexed: true), .string("requestId"), .string("correlationId", indexed: true),
                    .string("caller"), .string("installation", indexed: true), .string("operation", indexed: true),
                    .string("mode"), .string("outcome", indexed: true), .int("durationMs"), .int("providerStatus"),
                    .int("retryCount"), .string("errorCode"), .string("jobId"), .string("idempotencyKey"),
                    .string("context"),
                ],
                summary: "One operation call or sync run: who, what, how it ended, how long it took.")
        ])

    /// The project whose log this is.
    public let project: Project

    /// The log of `project`.
    public init(project: Project) {
        self.project = project
    }

    /// Appends `event`; a log that cannot be written is reported on `failure`, never thrown: the
    /// work the event describes is done either way.
    ///
    /// The write is not cancelled with the caller: the work is done, and a shutdown that cancels
    /// the task (SIGTERM to `max serve` in the middle of a purge) must not lose its record.
    public func record(_ event: Event, failure: (MaxError) -> Void = { _ in }) async {
        let log = self
        let error = await Task.detached { await log.write(event) }.value
        if let error { failure(error) }
    }

    /// Writes `event`; the error, if it could not be written.
    private func write(_ event: Event) async -> MaxError? {
        do {
            let store = try await writingStore()
            var fields: [String: FieldValue] = [
                "at": .date(event.at), "requestId": .string(event.requestID),
                "correlationId": .string(event.correlationID), "caller": .string(event.caller),
                "installation": .string(event.installation), "operation": .string(event.operation),
                "mode": .string(event.mode), "outcome": .string(event.outcome), "durationMs": .int(event.durationMs),
                "retryCount": .int(event.retryCount),
            ]
            fields["providerStatus"] = event.providerStatus.map(FieldValue.int) ?? .null
            fields["errorCode"] = event.errorCode.map(FieldValue.string) ?? .null
            fields["jobId"] = event.jobID.map(FieldValue.string) ?? .null
            fields["idempotencyKey"] = event.idempotencyKey.map(FieldValue.string) ?? .null
            fields["context"] = event.context.map(FieldValue.string) ?? .null
            try await store.upsert([EntityInput(Self.eventType, id: event.requestID, fields: fields)], at: Date())
            return nil
        } catch {
            return (error as? MaxError) ?? MaxError(.internalError, "\(error)")
        }
    }

    /// Removes the events recorded before `cutoff` for good (a retention purge), or only counts
    /// them when `dryRun`.
    ///
    /// - Returns: How many events were (or would be) removed.
    /// - Throws: the store's errors.
    public func purge(before cutoff: Date, dryRun: Bool = false) async throws -> Int {
        let query = try Query(Self.eventType, filter: "at < \"\(ISO8601.format(cutoff))\"")
        if dryRun { return try await openForReading().count(query) }
        if try storage() == nil {
            let url = try project.runtimeFileURL("audit.db")
            guard FileManager.default.fileExists(atPath: url.path) else { return 0 }
        }
        return try await writingStore().erase(query)
    }

    /// Where events are written: the project's PostgreSQL namespace, or `.max/audit.db`.
    private func writingStore() async throws -> any EntityStoring {
        if let shared = try storage() { return try await ProjectTables.store(in: shared) }
        let url = try project.runtimeFileURL("audit.db")
        return try await OpenStores.entityStore(at: url) { try EntityStore.open(at: url, schema: Self.schema) }
    }

    /// The project's PostgreSQL database, when it stores there.
    private func storage() throws -> PostgresStorage? {
        try ProjectStorage(json: project.load().otherKeys["storage"], path: "max.json").postgres
    }

    /// The audit store for reading; an empty one in memory when nothing was recorded yet.
    package func openForReading() async throws -> any EntityStoring {
        if let shared = try storage() { return try await ProjectTables.store(in: shared) }
        let url = try project.runtimeFileURL("audit.db")
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        guard let size, size > 0 else { return try EntityStore.inMemory(schema: Self.schema) }
        return try EntityStore.openForReading(at: url)
    }
}
