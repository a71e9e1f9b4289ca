import Foundation
import Logging
import MaxConnector
import MaxCore
import PostgresNIO
import Synchronization

/// What the PostgreSQL connector's loaders use: the link to the server, the tables found, and the
/// snapshot of the sync in progress.
public struct PostgresContext: Sendable {
    let link: PostgresLink
    /// The root's id: the database's name.
    let root: String
    let pageSize: Int
    private let state = PostgresState()

    init(config: PostgresConfig, credentials: any CredentialStore, logger: Logger) {
        link = PostgresLink(config: config, credentials: credentials, logger: logger)
        root = config.database
        pageSize = max(1, min(config.pageSize ?? 5000, 100_000))
    }

    /// The tables found by the last discovery.
    var model: PostgresModel? { state.value.withLock { $0.model } }

    /// Reads the catalog and models the tables the config asks for.
    func discover() async throws -> PostgresModel {
        let config = link.config
        let catalog = try await link.withConnection { connection in
            try await PostgresCatalog.tables(in: config.schemaNames, link: link, on: connection)
        }
        let model = try PostgresModel(catalog: catalog, config: config)
        state.value.withLock { $0.model = model }
        return model
    }

    /// Opens the sync's snapshot (see ``PostgresSnapshot``).
    func start() async throws {
        let snapshot = try await PostgresSnapshot.open(link, count: 3)
        let previous = state.value.withLock { state in
            defer { state.snapshot = snapshot }
            return state.snapshot
        }
        await previous?.close()
    }

    /// Closes the snapshot.
    func stop() async {
        let snapshot = state.value.withLock { state in
            defer { state.snapshot = nil }
            return state.snapshot
        }
        await snapshot?.close()
    }

    /// The connection `table` reads on within the snapshot.
    func connection(for table: TableModel) throws -> PostgresConnection {
        let found = state.value.withLock { state in
            (state.snapshot, state.model?.tables.firstIndex { $0.type == table.type } ?? 0)
        }
        guard let snapshot = found.0 else {
            throw MaxError(.installationNotStarted, "the PostgreSQL installation was not started before reading")
        }
        return snapshot.connection(for: found.1)
    }

    /// One page of `table`'s rows in key order after the key `after`, among those `condition`
    /// (SQL, with its binds from `$1`) selects.
    func rows(
        of table: TableModel, after: [String]?, limit: Int, condition: (sql: String, binds: [String])? = nil
    ) async throws -> (inputs: [EntityInput], lastKey: [String]?) {
        var clauses: [String] = []
        var binds = PostgresBindings()
        if let condition {
            clauses.append(condition.sql)
            for value in condition.binds { binds.append(value) }
        }
        if let after {
            guard after.count == table.key.count else {
                throw MaxError(
                    .invalidConfig, "the stored position of \(table.type) does not match its key",
                    hint: "run a full sync: max sync <installation> --full")
            }
            clauses.append(table.after(first: binds.count + 1))
            for value in after { binds.append(value) }
        }
        let sql =
            "SELECT \(table.selectList) FROM \(table.from)"
            + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
            + " ORDER BY \(table.orderBy) LIMIT \(limit)"
        let rows = try await link.rows(PostgresQuery(unsafeSQL: sql, binds: binds), on: try connection(for: table))
        var inputs: [EntityInput] = []
        inputs.reserveCapacity(rows.count)
        var lastKey: [String]?
        for row in rows {
            let (input, key) = try Self.input(row, table: table)
            inputs.append(input)
            lastKey = key
        }
        return (inputs, lastKey)
    }

    /// Every id of `table`.
    func ids(of table: TableModel) async throws -> [String] {
        let rows = try await link.rows(
            PostgresQuery(unsafeSQL: "SELECT \(table.idSQL) FROM \(table.from)"), on: try connection(for: table))
        return try rows.map { try $0.decode(String.self) }
    }

    private static func input(_ row: PostgresRow, table: TableModel) throws -> (EntityInput, [String]) {
        let cells = row.makeRandomAccess()
        do {
            let id = try cells[0].decode(String.self)
            var key: [String] = []
            for index in 0..<table.key.count { key.append(try cells[1 + index].decode(String.self)) }
            var values: [(name: String, value: FieldValue)] = []
            values.reserveCapacity(table.columns.count)
            let offset = 1 + table.key.count
            for (index, column) in table.columns.enumerated() {
                let cell = cells[offset + index]
                let value: FieldValue
                switch column.kind {
                case .int: value = try cell.decode(Int64?.self).map { .int(Int($0)) } ?? .null
                case .double: value = try cell.decode(Double?.self).map(FieldValue.double) ?? .null
                case .bool: value = try cell.decode(Bool?.self).map(FieldValue.bool) ?? .null
                case .date:
                    value =
                        try cell.decode(Int64?.self).map { .date(Date(timeIntervalSince1970: Double($0) / 1000)) }
                        ?? .null
                case .string: value = try cell.decode(String?.self).map(FieldValue.string) ?? .null
                case .json: value = try cell.decode(String?.self).map { .json(try JSONValue(parsing: $0)) } ?? .null
                case .ref(let target): value = try cell.decode(String?.self).map { .ref(Ref(target, $0)) } ?? .null
                }
                values.append((column.field, value))
            }
            return (EntityInput(Ref(table.type, id), values: values), key)
        } catch let error as MaxError {
            throw error
        } catch {
            throw MaxError(
                .postgresQueryFailed, "a row of \(table.table.qualifiedName) could not be read: \(error)",
                context: ["table": table.table.qualifiedName])
        }
    }
}

/// The context's mutable part, shared by its copies.
final class PostgresState: Sendable {
    struct Value {
        var model: PostgresModel?
        var snapshot: PostgresSnapshot?
    }

    let value = Mutex(Value())
}
