public import Foundation
public import Logging
public import MaxCore
public import MaxQuery
public import MaxStore
import NIOCore
import NIOSSL
import PostgresNIO

/// An installation's entities in PostgreSQL: the tables of its schema in a namespace of their own,
/// written and queried as ``MaxStorage``'s SQLite store does, with the same filters, orderings and
/// cursors giving the same rows (both compile through ``SQLCompiler``).
///
/// It holds ``PostgresStoreSettings/connections`` connections; each call takes one for itself (a
/// transaction keeps its connection until it commits), and waits for one when all are busy. Open
/// with ``open(_:schema:logger:)`` and ``close()`` when done.
public actor PostgresEntityStore: EntityStoring {
    /// The schema the store holds.
    public let schema: Schema
    /// Where it is.
    public let settings: PostgresStoreSettings
    private let connections: [PostgresConnection]
    private var idle: [PostgresConnection]
    private var waiting: [CheckedContinuation<PostgresConnection, Never>] = []
    private let logger: Logger

    /// The connection of the transaction the current task is in, if any.
    @TaskLocal private static var transactionConnection: PostgresConnection?

    private init(schema: Schema, settings: PostgresStoreSettings, connections: [PostgresConnection], logger: Logger) {
        self.schema = schema
        self.settings = settings
        self.connections = connections
        self.idle = connections
        self.logger = logger
    }

    /// Connects, and makes the tables `schema` needs in the settings' namespace (what exists is
    /// kept: a new field is a new column).
    ///
    /// - Throws: `storage.postgres_unreachable` when the server cannot be reached or refuses the
    ///   user; `storage.postgres_failed` when a statement fails.
    public static func open(
        _ settings: PostgresStoreSettings, schema: Schema, logger: Logger = Logger(label: "max.store.postgres")
    ) async throws -> PostgresEntityStore {
        var configuration = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.user, password: settings.password,
            database: settings.database, tls: try tls(settings))
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = [("application_name", "max")]
        var connections: [PostgresConnection] = []
        do {
            for id in 1...max(1, settings.connections) {
                connections.append(
                    try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger))
            }
        } catch {
            for connection in connections { try? await connection.close() }
            throw MaxError(
                .postgresStoreUnreachable,
                "the PostgreSQL store at \(settings.address) cannot be reached as \(settings.user): \(Self.reason(error))",
                hint: "check the host, port, database, user and password given, and that the server runs",
                context: ["host": settings.host, "database": settings.database])
        }
        let store = PostgresEntityStore(schema: schema, settings: settings, connections: connections, logger: logger)
        do {
            try await store.prepare()
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    /// The TLS setting of a connection, as `settings` asks.
    ///
    /// - Throws: `storage.postgres_unreachable` when the authorities' file cannot be read.
    static func tls(_ settings: PostgresStoreSettings) throws -> PostgresConnection.Configuration.TLS {
        switch settings.tls {
        case .disable:
            return .disable
        case .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            return .require(try NIOSSLContext(configuration: configuration))
        case .verifyFull(let roots):
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .fullVerification
            if let roots { configuration.trustRoots = .file(roots) }
            do {
                return .require(try NIOSSLContext(configuration: configuration))
            } catch {
                throw MaxError(
                    .postgresStoreUnreachable,
                    "the certificate authorities in \(roots ?? "the system store") cannot be read for the PostgreSQL store at \(settings.address)",
                    hint: "give sslrootcert the path of a PEM file", context: ["host": settings.host])
            }
        }
    }

    /// The schema the store holds.
    public var storedSchema: Schema { schema }

    /// Makes the tables, each connection working in the namespace.
    private func prepare() async throws {
        // A namespace that has every table and column already is left alone: the DDL would lock
        // every table (ALTER TABLE takes the strongest lock even when the column exists), and
        // deadlock with the workers writing there. A first sync's deferred indexes are its
        // driver's to build (or the driver's that takes the run over).
        let columns = try await rows(
            SQLStatement(
                sql: "SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = $1",
                values: [.text(settings.namespace)]))
        let existing = Set(try columns.map { try $0.decode(String.self) })
        if !PostgresTables.columns(of: schema).isSubset(of: existing) {
            try await createTables()
        }
        for connection in connections {
            try await Self.$transactionConnection.withValue(connection) {
                try await execute("SET search_path TO \(SQLDialect.postgres.quote(settings.namespace))")
            }
        }
    }

    private func createTables() async throws {
        // Two workers opening one namespace at once would race to create it: one at a time.
        try await inTransaction {
            _ = try await rows(
                SQLStatement(sql: "SELECT pg_advisory_xact_lock(hashtext($1))", values: [.text(settings.namespace)]))
            for statement in PostgresTables.statements(for: schema, namespace: settings.namespace) {
                try await execute(statement)
            }
        }
    }

    /// Closes the connections.
    public func close() async {
        for connection in connections { try? await connection.close() }
    }

    // MARK: Writing

    /// Inserts or updates entities in one transaction: the fields each input gives are set, the
    /// others kept; a tombstoned entity comes back to life; a collection field given replaces its
    /// members.
    ///
    /// - Throws: `storage.unknown_field` or `storage.type_mismatch` for an input that does not fit
    ///   the schema (nothing is written); `storage.postgres_failed`.
    public func upsert(_ inputs: [EntityInput], at date: Date = Date()) async throws {
        let now = date.epochMilliseconds
        try await transaction(try Self.upserts(inputs, in: schema, now: now))
    }

    /// Tombstones entities (they stay, with `_deleted_at` set) and takes them out of every
    /// collection that held them.
    ///
    /// - Throws: `storage.unknown_field` for a type the schema lacks; `storage.postgres_failed`.
    public func markDeleted(_ refs: [Ref], at date: Date = Date()) async throws {
        let now = date.epochMilliseconds
        try await transaction(try Self.deletions(refs, in: schema, now: now))
    }

    /// The statements that tombstone `refs` and take them out of their collections.
    static func deletions(_ refs: [Ref], in schema: Schema, now: Int64) throws -> [SQLStatement] {
        var statements: [SQLStatement] = []
        for ref in refs {
            guard let def = schema.definition(of: ref.type) else { throw Self.unknownType(ref.type) }
            statements.append(
                SQLStatement(
                    sql:
                        "UPDATE \(Self.dialect.quote(def.name)) SET \"_deleted_at\" = $1 WHERE \"_id\" = $2 AND \"_deleted_at\" IS NULL",
                    values: [.int(now), .text(ref.id)]))
            for (owner, field) in Self.holders(of: ref.type, in: schema) {
                statements.append(
                    SQLStatement(
                        sql: "DELETE FROM _max_links WHERE owner_type = $1 AND field = $2 AND target_id = $3",
                        values: [.text(owner), .text(field), .text(ref.id)]))
            }
        }
        return statements
    }

    static let dialect = SQLDialect.postgres

    /// The statements that write `inputs`, in order.
    ///
    /// Consecutive inputs of one type giving the same fields share one multi-row
    /// `INSERT … ON CONFLICT` (an id repeated starts another, so the later input wins as it would
    /// written one by one); a collection given replaces its links.
    static func upserts(_ inputs: [EntityInput], in schema: Schema, now: Int64) throws -> [SQLStatement] {
        var statements: [SQLStatement] = []
        var group: [Row] = []
        var ids: Set<String> = []
        func flush() {
            guard let first = group.first else { return }
            let quoted = first.columns.map(dialect.quote)
            let updates = quoted.dropFirst().map { "\($0) = excluded.\($0)" } + ["\"_deleted_at\" = NULL"]
            var values: [SQLValue] = []
            var tuples: [String] = []
            for row in group {
                let start = values.count
                values += row.values
                tuples.append("(" + (start..<values.count).map(dialect.placeholder).joined(separator: ", ") + ")")
            }
            statements.append(
                SQLStatement(
                    sql: """
                        INSERT INTO \(dialect.quote(first.table)) (\(quoted.joined(separator: ", "))) VALUES \(tuples.joined(separator: ", "))
                        ON CONFLICT ("_id") DO UPDATE SET \(updates.joined(separator: ", "))
                        """,
                    values: values))
            for row in group { statements += links(of: row, now: now) }
            group = []
            ids = []
        }
        for input in inputs {
            let row = try Self.row(for: input, in: schema, now: now)
            if let first = group.first,
                first.table != row.table || first.columns != row.columns || ids.contains(row.id)
                    || (group.count + 1) * row.columns.count > 30_000
            {
                flush()
            }
            group.append(row)
            ids.insert(row.id)
        }
        flush()
        return statements
    }

    /// One input as a row of its table: its columns and values, checked against the schema, and
    /// the collections it replaces.
    struct Row {
        var table: String
        var id: String
        var columns: [String]
        var values: [SQLValue]
        var collections: [(field: String, targets: [Ref])]
    }

    private static func row(for input: EntityInput, in schema: Schema, now: Int64) throws -> Row {
        guard let def = schema.definition(of: input.ref.type) else { throw unknownType(input.ref.type) }
        var row = Row(
            table: def.name, id: input.ref.id, columns: ["_id"], values: [.text(input.ref.id)], collections: [])
        for (name, value) in input.values.sorted(by: { $0.name < $1.name }) {
            guard let field = def.field(named: name) else {
                throw MaxError(
                    .storageUnknownField, "\(def.name) has no field '\(name)' (entity \(input.ref.id))",
                    hint: "the connector produced a field its schema does not declare",
                    context: ["entityType": def.name, "field": name])
            }
            guard value.fits(field.type) else {
                throw MaxError(
                    .storageTypeMismatch,
                    "\(def.name).\(name) is a \(field.type.displayName) field, but entity \(input.ref.id) gives it a \(value.kindName)",
                    hint: "the connector produced a value its schema does not declare",
                    context: ["entityType": def.name, "field": name])
            }
            if field.type.isStoredInRow {
                row.columns.append(name)
                row.values.append(SQLValue(value, dialect: dialect))
            } else if case .refs(let refs) = value, field.inverse == nil {
                // A collection read through its members' ref keeps no links: they say.
                row.collections.append((name, refs))
            }
        }
        row.columns.append("_synced_at")
        row.values.append(.int(now))
        return row
    }

    private static func links(of row: Row, now: Int64) -> [SQLStatement] {
        var statements: [SQLStatement] = []
        for (field, targets) in row.collections {
            statements.append(
                SQLStatement(
                    sql: "DELETE FROM _max_links WHERE owner_type = $1 AND field = $2 AND owner_id = $3",
                    values: [.text(row.table), .text(field), .text(row.id)]))
            statements += linkRows(
                ownerType: row.table, field: field, ownerID: row.id, targets: targets.map(\.id), now: now)
        }
        return statements
    }

    /// The collections kept as links that hold `type`'s entities: owner type and field.
    static func holders(of type: EntityType, in schema: Schema) -> [(String, String)] {
        schema.entities.flatMap { def in
            def.collectionFields.compactMap { field -> (String, String)? in
                guard case .collection(let target) = field.type, target == type, field.inverse == nil else {
                    return nil
                }
                return (def.name, field.name)
            }
        }
    }

    static func unknownType(_ type: EntityType) -> MaxError {
        MaxError(
            .storageUnknownField, "the store has no entity type \(type)", context: ["entityType": type.name])
    }

    // MARK: Reading

    /// Which of `ids` are stored as live entities of `type`.
    ///
    /// - Throws: `storage.unknown_field` for a type the schema lacks; `storage.postgres_failed`.
    public func existingIDs(of type: EntityType, among ids: [String]) async throws -> Set<String> {
        guard let def = schema.definition(of: type) else { throw Self.unknownType(type) }
        var found: Set<String> = []
        let unique = Array(Set(ids))
        for start in stride(from: 0, to: unique.count, by: 1000) {
            let chunk = unique[start..<min(start + 1000, unique.count)]
            let rows = try await rows(
                SQLStatement(
                    sql: """
                        SELECT "_id" FROM \(Self.dialect.quote(def.name)) WHERE "_deleted_at" IS NULL AND "_id" IN (\(
                            chunk.indices.map { Self.dialect.placeholder($0 - start) }.joined(separator: ", ")))
                        """,
                    values: chunk.map(SQLValue.text)))
            for row in rows { found.insert(try row.decode(String.self)) }
        }
        return found
    }

    /// One page of `query`'s results, with a cursor when more follow.
    ///
    /// - Throws: the errors of ``Query/checked(against:)``; `storage.postgres_failed`.
    public func page(_ query: Query) async throws -> Page<EntityRecord> {
        let checked = try query.checked(against: schema)
        let rows = try await self.rows(SQLCompiler(checked, dialect: Self.dialect).selectPage())
        let hasMore = rows.count > checked.limit
        let kept = hasMore ? Array(rows.prefix(checked.limit)) : rows
        let reader = PostgresRecordReader(query: checked)
        let records = try kept.map(reader.record(from:))
        let cursor = try hasMore ? kept.last.map(reader.cursor(after:))?.encoded : nil
        return Page(items: records, hasMore: hasMore, cursor: cursor)
    }

    /// Removes the entities `query` matches for good, with the collection members they own.
    ///
    /// - Returns: How many entities were removed.
    public func erase(_ query: Query) async throws -> Int {
        let compiler = SQLCompiler(try query.checked(against: schema), dialect: Self.dialect)
        return try await inTransaction {
            let removed = try await Int(rows(compiler.count()).first?.decode(Int64.self) ?? 0)
            for statement in compiler.erase() { _ = try await rows(statement) }
            return removed
        }
    }

    /// How many entities `query` matches, ignoring its cursor and limit.
    ///
    /// - Throws: the errors of ``Query/checked(against:)``; `storage.postgres_failed`.
    public func count(_ query: Query) async throws -> Int {
        let checked = try query.checked(against: schema)
        let rows = try await self.rows(SQLCompiler(checked, dialect: Self.dialect).count())
        return try Int(rows.first?.decode(Int64.self) ?? 0)
    }

    /// How many entities `query` matches for each combination of its fields' values, most first.
    ///
    /// - Throws: the errors of ``Query/checked(against:)``; `storage.postgres_failed`.
    public func countGroups(_ query: Query) async throws -> [GroupCount] {
        let checked = try query.checked(against: schema)
        let rows = try await self.rows(SQLCompiler(checked, dialect: Self.dialect).countGroups())
        return try rows.map { row in
            let cells = Array(row)
            return GroupCount(
                values: try checked.fields.enumerated().map { index, field in
                    try PostgresRecordReader.value(cells[index], as: field.type)
                },
                count: Int(try cells[checked.fields.count].decode(Int64.self)))
        }
    }

    // MARK: Running statements

    func execute(_ sql: String) async throws {
        _ = try await rows(SQLStatement(sql: sql, values: []))
    }

    func rows(_ statement: SQLStatement) async throws -> [PostgresRow] {
        if let connection = Self.transactionConnection { return try await rows(statement, on: connection) }
        let connection = await acquire()
        defer { release(connection) }
        return try await rows(statement, on: connection)
    }

    private func rows(_ statement: SQLStatement, on connection: PostgresConnection) async throws -> [PostgresRow] {
        do {
            var rows: [PostgresRow] = []
            for try await row in try await connection.query(Self.query(statement), logger: logger) {
                rows.append(row)
            }
            return rows
        } catch {
            throw failure(error, statement)
        }
    }

    /// An idle connection, waiting for one when all are busy.
    ///
    /// A waiter is not given up on when its task is cancelled: a cancelled sync still records
    /// that it was cancelled.
    private func acquire() async -> PostgresConnection {
        if let connection = idle.popLast() { return connection }
        return await withCheckedContinuation { waiting.append($0) }
    }

    private func release(_ connection: PostgresConnection) {
        if waiting.isEmpty {
            idle.append(connection)
        } else {
            waiting.removeFirst().resume(returning: connection)
        }
    }

    /// Runs `statements` in one transaction: all or none.
    func transaction(_ statements: [SQLStatement]) async throws {
        guard !statements.isEmpty else { return }
        try await inTransaction {
            for statement in statements { _ = try await rows(statement) }
        }
    }

    /// Runs `body` in one transaction on one connection, which its statements use: committed when
    /// it returns, rolled back when it throws.
    ///
    /// Workers writing the same rows at once (the users that pages of tasks both carry) can
    /// deadlock; PostgreSQL then aborts one transaction, which runs again, up to five times.
    func inTransaction<T>(_ body: () async throws -> T) async throws -> T {
        if Self.transactionConnection != nil { return try await body() }
        let connection = await acquire()
        defer { release(connection) }
        return try await Self.$transactionConnection.withValue(connection) {
            var attempt = 1
            while true {
                try await execute("BEGIN")
                do {
                    let value = try await body()
                    try await execute("COMMIT")
                    return value
                } catch let error as MaxError
                    where attempt < 5 && Self.retriable.contains(error.context["sqlstate"] ?? "")
                {
                    try? await execute("ROLLBACK")
                    attempt += 1
                } catch {
                    try? await execute("ROLLBACK")
                    throw error
                }
            }
        }
    }

    /// The SQLSTATEs of a transaction PostgreSQL aborted for colliding with another: deadlock
    /// detected, serialization failure.
    private static let retriable: Set<String> = ["40P01", "40001"]

    static func query(_ statement: SQLStatement) -> PostgresQuery {
        var binds = PostgresBindings(capacity: statement.values.count)
        for value in statement.values {
            switch value {
            case .null: binds.appendNull()
            case .int(let number): binds.append(number)
            case .double(let number): binds.append(number)
            case .text(let text): binds.append(text)
            case .bool(let flag): binds.append(flag)
            }
        }
        return PostgresQuery(unsafeSQL: statement.sql, binds: binds)
    }

    private func failure(_ error: any Error, _ statement: SQLStatement) -> MaxError {
        if let error = error as? MaxError { return error }
        var message = Self.reason(error)
        var context = ["host": settings.host, "statement": String(statement.sql.prefix(200))]
        if let error = error as? PSQLError {
            if let server = error.serverInfo?[.message] { message = server }
            context["sqlstate"] = error.serverInfo?[.sqlState]
        }
        return MaxError(
            .postgresStoreFailed, "the PostgreSQL store at \(settings.address) failed: \(message)", context: context)
    }

    static func reason(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let server = error.serverInfo?[.message] { return server }
            if error.code == .sslUnsupported { return "the server does not accept TLS, which sslmode asks for" }
            return error.underlying.map { "\($0)" } ?? String(describing: error.code)
        }
        return "\(error)"
    }
}

extension MaxError.Code {
    /// The PostgreSQL server of a store cannot be reached, or refuses the user.
    public static let postgresStoreUnreachable = Self(
        domain: "storage", name: "postgres_unreachable", category: .transient)
    /// A statement of a PostgreSQL store failed.
    public static let postgresStoreFailed = Self(domain: "storage", name: "postgres_failed", category: .internal)
}
