import Foundation
import GRDB

/// Acme's storage: SQLite through GRDB, in a file or in memory, with the indexes that listing by
/// parent and reading the change log need.
final class AcmeDatabase: Sendable {
    let writer: any DatabaseWriter

    init(path: String?) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        if let path {
            writer = try DatabasePool(path: path, configuration: configuration)
        } else {
            writer = try DatabaseQueue(configuration: configuration)
        }
        try Self.migrator.migrate(writer)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    CREATE TABLE apiKeys (key TEXT PRIMARY KEY NOT NULL, active INTEGER NOT NULL);
                    CREATE TABLE workspaces (
                        id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, createdAt TEXT NOT NULL,
                        updatedAt TEXT NOT NULL, deletedAt TEXT);
                    CREATE TABLE users (
                        id TEXT PRIMARY KEY NOT NULL, workspaceId TEXT NOT NULL, email TEXT NOT NULL,
                        displayName TEXT NOT NULL, role TEXT NOT NULL, active INTEGER NOT NULL,
                        createdAt TEXT NOT NULL, updatedAt TEXT NOT NULL, deletedAt TEXT);
                    CREATE INDEX users_by_workspace ON users (workspaceId, id);
                    CREATE TABLE projects (
                        id TEXT PRIMARY KEY NOT NULL, workspaceId TEXT NOT NULL, name TEXT NOT NULL,
                        description TEXT, status TEXT NOT NULL, ownerId TEXT NOT NULL,
                        createdAt TEXT NOT NULL, updatedAt TEXT NOT NULL, deletedAt TEXT);
                    CREATE INDEX projects_by_workspace ON projects (workspaceId, id);
                    CREATE TABLE tasks (
                        id TEXT PRIMARY KEY NOT NULL, projectId TEXT NOT NULL, title TEXT NOT NULL,
                        description TEXT, status TEXT NOT NULL, priority TEXT NOT NULL, assigneeId TEXT,
                        createdById TEXT NOT NULL, lastModifiedById TEXT NOT NULL, dueDate TEXT,
                        tags TEXT NOT NULL, completedAt TEXT, createdAt TEXT NOT NULL, updatedAt TEXT NOT NULL,
                        deletedAt TEXT);
                    CREATE INDEX tasks_by_project ON tasks (projectId, id);
                    CREATE TABLE files (
                        id TEXT PRIMARY KEY NOT NULL, projectId TEXT NOT NULL, name TEXT NOT NULL,
                        mimeType TEXT NOT NULL, sizeBytes INTEGER NOT NULL, createdById TEXT NOT NULL,
                        lastModifiedById TEXT NOT NULL, createdAt TEXT NOT NULL, updatedAt TEXT NOT NULL,
                        deletedAt TEXT);
                    CREATE INDEX files_by_project ON files (projectId, id);
                    CREATE TABLE changes (
                        sequence INTEGER PRIMARY KEY AUTOINCREMENT, entityType TEXT NOT NULL,
                        entityId TEXT NOT NULL, action TEXT NOT NULL, payload TEXT, timestamp TEXT NOT NULL);
                    CREATE TABLE history (
                        id TEXT PRIMARY KEY NOT NULL, taskId TEXT NOT NULL, changedById TEXT NOT NULL,
                        changedAt TEXT NOT NULL, changes TEXT NOT NULL);
                    CREATE INDEX history_by_task ON history (taskId, changedAt, id);
                    CREATE TABLE webhooks (
                        id TEXT PRIMARY KEY NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL,
                        createdAt TEXT NOT NULL, active INTEGER NOT NULL, deletedAt TEXT);
                    """)
        }
        return migrator
    }

    /// The value stored under `key` in the meta table.
    func meta(_ key: String) throws -> String? {
        try writer.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    /// A live (not deleted) record by id.
    func live<Record: FetchableRecord & TableRecord & Sendable>(_ type: Record.Type, id: String) async throws -> Record?
    {
        try await writer.read { db in
            try Record.fetchOne(
                db, sql: "SELECT * FROM \(Record.databaseTableName) WHERE id = ? AND deletedAt IS NULL", arguments: [id]
            )
        }
    }

    /// Live records, optionally of one parent, ordered by id, optionally one page (`limit` after `after`).
    func list<Record: FetchableRecord & TableRecord & Sendable>(
        _ type: Record.Type, parentColumn: String?, parent: String?, after: String?, limit: Int?
    ) async throws -> [Record] {
        try await writer.read { db in
            var sql = "SELECT * FROM \(Record.databaseTableName) WHERE deletedAt IS NULL"
            var arguments: StatementArguments = []
            if let parentColumn, let parent {
                sql += " AND \(parentColumn) = ?"
                arguments += [parent]
            }
            if let after {
                sql += " AND id > ?"
                arguments += [after]
            }
            sql += " ORDER BY id"
            if let limit {
                sql += " LIMIT ?"
                arguments += [limit]
            }
            return try Record.fetchAll(db, sql: sql, arguments: arguments)
        }
    }

    /// Appends to the change log inside a write.
    static func logChange(
        _ db: Database, entityType: String, entityId: String, action: String, payload: String?, at timestamp: String
    ) throws -> ChangeEvent {
        try db.execute(
            sql: "INSERT INTO changes (entityType, entityId, action, payload, timestamp) VALUES (?, ?, ?, ?, ?)",
            arguments: [entityType, entityId, action, payload, timestamp])
        return ChangeEvent(
            sequence: Int(db.lastInsertedRowID), entityType: entityType, entityId: entityId, action: action,
            payload: payload, timestamp: timestamp)
    }

    /// Counts for `/api/stats`.
    func stats() async throws -> [String: Int] {
        try await writer.read { db in
            var stats: [String: Int] = [:]
            for (key, table) in [
                ("workspaces", "workspaces"), ("users", "users"), ("projects", "projects"), ("tasks", "tasks"),
                ("files", "files"), ("webhooks", "webhooks"),
            ] {
                stats[key] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE deletedAt IS NULL") ?? 0
            }
            stats["changelogSize"] = try Int.fetchOne(db, sql: "SELECT count(*) FROM changes") ?? 0
            return stats
        }
    }
}
