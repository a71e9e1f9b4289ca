import Foundation
import GRDB
import MaxStore

extension SyncRun {
    /// The columns of `_max_sync_runs`, and `tasks_failed` where a query adds it.
    enum Columns {
        static let id = Column("id")
        static let kind = Column("kind")
        static let status = Column("status")
        static let startedAt = Column("started_at")
        static let finishedAt = Column("finished_at")
        static let entitiesWritten = Column("entities_written")
        static let error = Column("error")
        static let requests = Column("requests")
        static let retries = Column("retries")
        static let rateLimited = Column("rate_limited")
        static let tasksFailed = Column("tasks_failed")
    }

    static let table = "_max_sync_runs"

    /// Reads a stored run.
    ///
    /// - Throws: `storage.database_error` for a value of the wrong type or a status this Max does not know.
    init(row: Row) throws {
        let table = Self.table
        self.init(
            id: try row.value(Columns.id, in: table),
            kind: try row.value(Columns.kind, in: table),
            status: try row.state(Columns.status, as: Status.self, in: table),
            startedAt: Date(storedMilliseconds: try row.value(Columns.startedAt, in: table)),
            finishedAt: try row.value(Columns.finishedAt, as: Int64?.self, in: table).map(
                Date.init(storedMilliseconds:)),
            entities: try row.value(Columns.entitiesWritten, in: table),
            error: try row.value(Columns.error, in: table),
            requests: try row.value(Columns.requests, as: Int?.self, in: table) ?? 0,
            retries: try row.value(Columns.retries, as: Int?.self, in: table) ?? 0,
            rateLimited: try row.value(Columns.rateLimited, as: Int?.self, in: table) ?? 0,
            tasksFailed: try row.value(Columns.tasksFailed, as: Int?.self, in: table) ?? 0)
    }
}

extension SyncTask {
    /// The columns of `_max_sync_tasks`.
    enum Columns {
        static let id = Column("id")
        static let runID = Column("run_id")
        static let parentID = Column("parent_id")
        static let kind = Column("kind")
        static let entityType = Column("entity_type")
        static let entityID = Column("entity_id")
        static let field = Column("field")
        static let payload = Column("payload")
        static let state = Column("state")
        static let attempts = Column("attempts")
        static let notBefore = Column("not_before")
        static let pageCursor = Column("page_cursor")
        static let entitiesWritten = Column("entities_written")
        static let errorCode = Column("error_code")
        static let errorMessage = Column("error_message")
    }

    static let table = "_max_sync_tasks"

    /// Reads a stored task.
    ///
    /// - Throws: `storage.database_error` for a value of the wrong type or a state this Max does not know.
    init(row: Row) throws {
        let table = Self.table
        self.init(
            id: try row.value(Columns.id, in: table),
            runID: try row.value(Columns.runID, in: table),
            parentID: try row.value(Columns.parentID, in: table),
            kind: try row.value(Columns.kind, in: table),
            entityType: try row.value(Columns.entityType, in: table),
            entityID: try row.value(Columns.entityID, in: table),
            field: try row.value(Columns.field, in: table),
            payload: try row.value(Columns.payload, in: table),
            state: try row.state(Columns.state, as: State.self, in: table),
            attempts: try row.value(Columns.attempts, in: table),
            notBefore: try row.value(Columns.notBefore, as: Int64?.self, in: table).map(Date.init(storedMilliseconds:)),
            pageCursor: try row.value(Columns.pageCursor, in: table),
            entitiesWritten: try row.value(Columns.entitiesWritten, in: table),
            errorCode: try row.value(Columns.errorCode, in: table),
            errorMessage: try row.value(Columns.errorMessage, in: table))
    }
}
