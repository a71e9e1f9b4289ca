import Foundation
import MaxCore
import MaxPostgresStore
import MaxQuery
import MaxStorage
import MaxStore

extension LocalNode {
    /// Runs one read-only statement over installations' local data, through views named after
    /// their entity types (``SQLViews``): in their SQLite files, or in the project's PostgreSQL
    /// database, with the same views and limits.
    ///
    /// - Throws: `api.invalid_request` for limits out of range; `installation.not_found`;
    ///   `remote.unsupported` for an installation another node serves; `sql.*`; `storage.*`.
    public func sql(_ request: SQLRequest) async throws -> SQLResult {
        let maxRows = request.maxRows ?? SQLRequest.defaultMaxRows
        guard (1...SQLRequest.maximumMaxRows).contains(maxRows) else {
            throw MaxError.invalidRequest("maxRows must be between 1 and \(SQLRequest.maximumMaxRows), not \(maxRows)")
        }
        let timeout = request.timeout ?? SQLRequest.defaultTimeout
        guard (1...SQLRequest.maximumTimeout).contains(timeout) else {
            throw MaxError.invalidRequest(
                "timeout must be between 1 and \(SQLRequest.maximumTimeout) seconds, not \(timeout)")
        }
        let limits = SQLLimits(maxRows: maxRows, timeout: .seconds(timeout))
        var names = request.installationNames
        if names.isEmpty {
            names = try workspace.installations().filter { $0.record.remoteURL == nil }.map(\.name)
            guard !names.isEmpty else {
                throw MaxError(
                    .installationNotFound, "the project has no installation to query",
                    hint: "connect a source first: max connect <connector>")
            }
        }
        for name in names { _ = try localRecord(name) }
        if let shared = try workspace.storage().postgres {
            var sources: [SQLViews.Source] = []
            for name in names {
                let store = try await workspace.readingStore(name, keepingOpen: keptReaders)
                sources.append(SQLViews.Source(name: name, schema: await store.storedSchema, databaseSchema: name))
            }
            let settings = try shared.settings(for: names[0], connections: 1)
            let rows = try await PostgresReadOnlySQL.run(
                request.query, over: sources, settings: settings, limits: limits)
            return SQLResult(columns: rows.columns, rows: rows.rows)
        }
        let rows = try await ReadOnlySQLite.run(
            request.query, over: try names.map { ($0, try workspace.project.dataURL($0)) }, limits: limits)
        return SQLResult(columns: rows.columns, rows: rows.rows)
    }
}
