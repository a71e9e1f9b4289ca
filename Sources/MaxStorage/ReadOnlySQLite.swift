public import Foundation
import MaxCore
import MaxQuery
public import MaxStore
import Synchronization

#if canImport(GRDBSQLite)
    import GRDBSQLite
#else
    import SQLite3
#endif

/// `max sql` over installations' SQLite stores: one statement, read through views named after the
/// entity types (``SQLViews``), on a connection that cannot write.
///
/// Its own connection, through SQLite's C API (GRDB keeps the authorizer of the connections it
/// opens for itself):
/// - the stores are attached read-only (`mode=ro`), under names of Max's (`_max_src_1`…), and the
///   views made in the connection's temporary schema; then `PRAGMA query_only` is set;
/// - an authorizer allows only what a `SELECT` does (reads, functions, recursive CTEs, and the
///   `PRAGMA`s that describe a table), so a write, `ATTACH`, `DETACH`, another `PRAGMA` or
///   `load_extension` is `sql.read_only` before anything runs;
/// - a progress handler stops the statement at its time limit (`sql.timeout`) or when the
///   calling task is cancelled; past the row limit it is `sql.too_many_rows`.
///
/// The statement runs on a thread of its own, so a slow one never holds a thread of Swift's
/// concurrency pool.
public enum ReadOnlySQLite {
    /// The `PRAGMA`s a statement may use: they describe tables and change nothing.
    static let allowedPragmas: Set<String> = ["table_info", "table_xinfo", "table_list", "index_list", "index_info"]
    /// The prefix of the names the stores are attached under.
    static let sourcePrefix = "_max_src_"
    /// The words a statement may start with: the rest write or change the connection.
    static let readingWords: Set<String> = ["SELECT", "WITH", "VALUES", "PRAGMA", "EXPLAIN", "("]
    /// The functions a statement may not call.
    static let refusedFunctions: Set<String> = ["load_extension", "fts3_tokenizer", "readfile", "writefile", "edit"]

    /// Runs `sql` over the stores of `installations` (each a name and its database file).
    ///
    /// - Parameters:
    ///   - sql: One statement: a `SELECT`, or `WITH … SELECT`.
    ///   - installations: The installations' names (the views' qualifiers) and their stores' files.
    ///   - limits: The row limit and the time limit.
    /// - Returns: The columns and every row.
    /// - Throws: `sql.read_only`, `sql.timeout`, `sql.too_many_rows`, `sql.invalid` with the
    ///   position; `storage.not_found` for a missing file, `storage.database_error` for one that is
    ///   not a Max database; `CancellationError` when the task is cancelled.
    public static func run(_ sql: String, over installations: [(name: String, url: URL)], limits: SQLLimits)
        async throws -> SQLRows
    {
        for installation in installations where !FileManager.default.fileExists(atPath: installation.url.path) {
            throw MaxError(
                .storeNotFound, "\(installation.name) has no data yet (there is no \(installation.url.path))",
                hint: "run \"max sync \(installation.name)\" first", context: ["installation": installation.name])
        }
        let watch = Watch(deadline: ContinuousClock.now + limits.timeout)
        return try await withTaskCancellationHandler {
            try await onThread {
                let connection = try Connection(watch: watch)
                return try connection.run(sql, over: installations, limits: limits)
            }
        } onCancel: {
            watch.cancel()
        }
    }

    /// Runs `body` on a new thread and waits for it without holding a thread of the pool.
    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.name = "max-sql"
            thread.start()
        }
    }

    /// What stops a statement: its deadline or its task's cancellation; and what the authorizer
    /// refused.
    final class Watch: Sendable {
        let deadline: ContinuousClock.Instant
        private let cancelled = Atomic<Bool>(false)
        private let refusal = Mutex<String?>(nil)
        private let tableRead = Mutex<String?>(nil)

        init(deadline: ContinuousClock.Instant) {
            self.deadline = deadline
        }

        func cancel() { cancelled.store(true, ordering: .relaxed) }
        var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
        var isPastDeadline: Bool { ContinuousClock.now >= deadline }

        /// The first thing the authorizer refused.
        var refused: String? { refusal.withLock { $0 } }

        func refuse(_ what: String) {
            refusal.withLock { if $0 == nil { $0 = what } }
        }

        /// The first name a statement read that is not a view's (``refuseTable(_:)``).
        var table: String? { tableRead.withLock { $0 } }

        /// Records the first name a statement read that is not a view's.
        func refuseTable(_ name: String) {
            tableRead.withLock { if $0 == nil { $0 = name } }
        }
    }

    /// One connection, closed when it goes.
    final class Connection {
        private var db: OpaquePointer?
        private let watch: Watch
        private var views: SQLViews?

        init(watch: Watch) throws {
            self.watch = watch
            let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX
            guard sqlite3_open_v2(":memory:", &db, flags, nil) == SQLITE_OK else {
                let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
                throw MaxError(.databaseError, "cannot open a connection for max sql: \(message)")
            }
            sqlite3_busy_timeout(db, 10_000)
            // No text or blob past 64 MiB: a runaway `group_concat` fails instead of taking the memory.
            sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 64 << 20)
        }

        deinit {
            sqlite3_close_v2(db)
        }

        func run(_ sql: String, over installations: [(name: String, url: URL)], limits: SQLLimits) throws -> SQLRows {
            var sources: [SQLViews.Source] = []
            for (index, installation) in installations.enumerated() {
                let schemaName = "\(ReadOnlySQLite.sourcePrefix)\(index + 1)"
                try attach(installation.url, as: schemaName, installation: installation.name)
                sources.append(
                    SQLViews.Source(
                        name: installation.name, schema: try storedSchema(in: schemaName, of: installation.name),
                        databaseSchema: schemaName))
            }
            let names = SQLViews(sources, dialect: .sqlite, includeDeleted: false).qualifiedNames
            let text = SQLText(sql, qualifiedViews: names, dialect: .sqlite)
            if let store = text.identifiers.first(where: { $0.lowercased().hasPrefix(ReadOnlySQLite.sourcePrefix) }) {
                // The stores' tables are read through the views only: their dates are numbers and
                // their tombstones are not hidden.
                throw MaxError(
                    .sqlInvalid, "\(store) is a store attached by Max, which max sql reads through its views only",
                    hint: "read the views named after the entity types, as installation.Type (acme.AcmeTask)",
                    context: ["table": store])
            }
            let views = SQLViews(sources, dialect: .sqlite, includeDeleted: text.mentionsDeleted)
            self.views = views
            for view in views.views { try execute(view.create(in: .sqlite), while: "making the view \(view.name)") }
            try shadowTablesThatAreNotViews(views, sources: sources)
            try execute("PRAGMA query_only = 1", while: "making the connection read-only")
            installGuards()
            return try query(text, limits: limits)
        }

        /// Attaches the store at `url` read-only; immutable when its folder cannot take the WAL's
        /// shared-memory file (a read-only mount).
        private func attach(_ url: URL, as schemaName: String, installation: String) throws {
            for query in ["mode=ro", "immutable=1"] {
                let uri = EntityStore.uri(for: url, query: query).replacing("'", with: "''")
                if sqlite3_exec(db, "ATTACH DATABASE '\(uri)' AS \(schemaName)", nil, nil, nil) == SQLITE_OK { return }
                if sqlite3_errcode(db) != SQLITE_CANTOPEN || query != "mode=ro" {
                    throw MaxError(
                        .databaseError, "cannot read \(installation)'s store at \(url.path): \(message)",
                        hint: "the data can be rebuilt: remove the installation's data.db and sync again",
                        context: ["installation": installation])
                }
            }
        }

        /// The entity types stored in the attached `schemaName`.
        private func storedSchema(in schemaName: String, of installation: String) throws -> Schema {
            let statement: OpaquePointer?
            do {
                statement = try prepare("SELECT definition FROM \(schemaName)._max_entity_types ORDER BY name")
            } catch {
                throw MaxError(
                    .databaseError, "\(installation)'s store is not a Max database (it has no entity types)",
                    hint: "the data can be rebuilt: remove the installation's data.db and sync again",
                    context: ["installation": installation])
            }
            defer { sqlite3_finalize(statement) }
            var entities: [EntityDef] = []
            while sqlite3_step(statement) == SQLITE_ROW {
                let text = sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? ""
                do {
                    entities.append(try JSONDecoder().decode(EntityDef.self, from: Data(text.utf8)))
                } catch {
                    throw MaxError(
                        .databaseError, "a stored definition of \(installation)'s store is damaged",
                        hint: "the data can be rebuilt: remove the installation's data.db and sync again",
                        context: ["installation": installation])
                }
            }
            return Schema(namespace: "", entities: entities)
        }

        private var message: String { db.map { String(cString: sqlite3_errmsg($0)) } ?? "no connection" }

        private func prepare(_ sql: String) throws -> OpaquePointer? {
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
                sqlite3_finalize(statement)
                throw MaxError(.databaseError, "max sql could not prepare its connection: \(message)")
            }
            return statement
        }

        private func execute(_ sql: String, while action: String) throws {
            guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
                throw MaxError(.databaseError, "max sql failed \(action): \(message)")
            }
        }

        /// Makes a view that fails when read of each name SQLite would otherwise find in an
        /// attached store: an entity type several installations have (SQLite would read the
        /// first store's table, whose dates are numbers and whose tombstones are not hidden), and
        /// Max's own tables (`_max_links`).
        ///
        /// The view's condition calls `max_not_a_view`, a deterministic function of no column,
        /// which SQLite evaluates once before reading any row (a function that is not declared
        /// deterministic is evaluated per row, so never over an empty table): a `count(*)`, an
        /// empty table, and a statement that reads no column all fail alike.
        private func shadowTablesThatAreNotViews(_ views: SQLViews, sources: [SQLViews.Source]) throws {
            let context = Unmanaged.passUnretained(watch).toOpaque()
            sqlite3_create_function_v2(
                db, "max_not_a_view", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, context,
                { function, _, arguments in
                    guard let function, let context = sqlite3_user_data(function) else { return }
                    let watch = Unmanaged<Watch>.fromOpaque(context).takeUnretainedValue()
                    let name = arguments?[0].flatMap { sqlite3_value_text($0) }.map { String(cString: $0) } ?? ""
                    watch.refuseTable(name)
                    sqlite3_result_error(function, "\(name) is not a view max sql reads", -1)
                }, nil, nil, nil)
            let viewNames = Set(views.views.map { $0.name.lowercased() })
            var shadowed: [String: (String, String)] = [:]
            for source in sources {
                let statement = try prepare(
                    "SELECT name FROM \(source.databaseSchema).sqlite_master WHERE type IN ('table', 'view')")
                defer { sqlite3_finalize(statement) }
                while sqlite3_step(statement) == SQLITE_ROW {
                    let table = sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? ""
                    guard !viewNames.contains(table.lowercased()), shadowed[table.lowercased()] == nil,
                        !table.hasPrefix("sqlite_")
                    else { continue }
                    shadowed[table.lowercased()] = (
                        table, "\(SQLDialect.sqlite.quote(source.databaseSchema)).\(SQLDialect.sqlite.quote(table))"
                    )
                }
            }
            for (name, table) in shadowed.values.sorted(by: { $0.0 < $1.0 }) {
                let literal = "'" + name.replacing("'", with: "''") + "'"
                try execute(
                    "CREATE TEMP VIEW \(SQLDialect.sqlite.quote(name)) AS SELECT * FROM \(table) WHERE max_not_a_view(\(literal))",
                    while: "naming \(name)")
            }
        }

        /// The authorizer, the progress handler: from here on only reads run, and not for long.
        private func installGuards() {
            let context = Unmanaged.passUnretained(watch).toOpaque()
            sqlite3_set_authorizer(
                db,
                { context, action, first, second, _, _ in
                    guard let context else { return SQLITE_DENY }
                    let watch = Unmanaged<Watch>.fromOpaque(context).takeUnretainedValue()
                    let name = { (text: UnsafePointer<CChar>?) in text.map { String(cString: $0) } ?? "" }
                    switch action {
                    case SQLITE_SELECT, SQLITE_READ, SQLITE_RECURSIVE:
                        return SQLITE_OK
                    case SQLITE_UPDATE where ["sqlite_master", "sqlite_temp_master"].contains(name(first)):
                        // SQLite's own step when a statement first uses a table-valued function
                        // (json_each): a user's update of the schema table is refused by SQLite
                        // itself, and query_only refuses every write.
                        return SQLITE_OK
                    case SQLITE_FUNCTION:
                        let function = name(second).lowercased()
                        guard !ReadOnlySQLite.refusedFunctions.contains(function) else {
                            watch.refuse("the function \(function)()")
                            return SQLITE_DENY
                        }
                        return SQLITE_OK
                    case SQLITE_PRAGMA:
                        let pragma = name(first).lowercased()
                        guard ReadOnlySQLite.allowedPragmas.contains(pragma) else {
                            watch.refuse("PRAGMA \(pragma)")
                            return SQLITE_DENY
                        }
                        return SQLITE_OK
                    default:
                        watch.refuse(ReadOnlySQLite.describe(action, name(first)))
                        return SQLITE_DENY
                    }
                }, context)
            sqlite3_progress_handler(
                db, 2000,
                { context in
                    guard let context else { return 1 }
                    let watch = Unmanaged<Watch>.fromOpaque(context).takeUnretainedValue()
                    return watch.isCancelled || watch.isPastDeadline ? 1 : 0
                }, context)
        }

        private func query(_ text: SQLText, limits: SQLLimits) throws -> SQLRows {
            let bytes = Array(text.rewritten.utf8)
            var statement: OpaquePointer?
            var tailOffset = 0
            let code = bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars -> Int32 in
                    var tail: UnsafePointer<CChar>?
                    let code = sqlite3_prepare_v2(db, chars.baseAddress, Int32(chars.count), &statement, &tail)
                    if let tail, let base = chars.baseAddress { tailOffset = base.distance(to: tail) }
                    return code
                }
            }
            defer { sqlite3_finalize(statement) }
            if let first = text.firstWord?.uppercased(), !ReadOnlySQLite.readingWords.contains(first) {
                throw MaxError.sqlReadOnly(first)
            }
            guard code == SQLITE_OK else { throw failure(code, text: text, limits: limits) }
            guard let statement else {
                throw MaxError(
                    .sqlInvalid, "there is no statement to run",
                    hint:
                        "give one SELECT, for example: max sql acme \"SELECT status, count(*) FROM AcmeTask GROUP BY status\""
                )
            }
            if !SQLText.isBlank(String(decoding: bytes[tailOffset...], as: UTF8.self), dialect: .sqlite) {
                throw MaxError.sqlInvalid("max sql runs one statement at a time", in: text, at: tailOffset)
            }
            guard sqlite3_stmt_readonly(statement) != 0 else {
                throw MaxError.sqlReadOnly("a statement that writes")
            }
            let count = Int(sqlite3_column_count(statement))
            let columns = (0..<count).map { String(cString: sqlite3_column_name(statement, Int32($0))) }
            var rows: [[JSONValue]] = []
            while true {
                let step = sqlite3_step(statement)
                if step == SQLITE_DONE { break }
                guard step == SQLITE_ROW else { throw failure(step, text: text, limits: limits) }
                guard rows.count < limits.maxRows else { throw MaxError.sqlTooManyRows(limits.maxRows) }
                rows.append((0..<count).map { value(statement, Int32($0)) })
            }
            return SQLRows(columns: columns, rows: rows)
        }

        /// The error of a statement that names one of Max's tables rather than a view: an entity
        /// type two installations have, named without its installation, or an internal table.
        private func notAView(_ table: String) -> MaxError {
            let candidates = (views?.views ?? []).filter {
                $0.name != $0.localName && $0.localName.lowercased() == table.lowercased()
            }.map { "\(SQLViews.qualifier($0.installation)).\($0.localName)" }
            guard candidates.isEmpty else {
                return MaxError(
                    .sqlInvalid,
                    "\(table) is in more than one of the installations read, so it has no view of that name alone",
                    hint: "name it with its installation: " + candidates.joined(separator: " or "),
                    context: ["table": table])
            }
            return MaxError(
                .sqlInvalid, "\(table) is one of Max's own tables, not a view max sql reads",
                hint: "read the views named after the entity types (max schema lists them)", context: ["table": table])
        }

        private func value(_ statement: OpaquePointer, _ index: Int32) -> JSONValue {
            switch sqlite3_column_type(statement, index) {
            case SQLITE_INTEGER: .int(Int(sqlite3_column_int64(statement, index)))
            case SQLITE_FLOAT: .double(sqlite3_column_double(statement, index))
            case SQLITE_TEXT: .string(sqlite3_column_text(statement, index).map { String(cString: $0) } ?? "")
            case SQLITE_BLOB:
                .string(
                    Data(
                        bytes: sqlite3_column_blob(statement, index),
                        count: Int(sqlite3_column_bytes(statement, index))
                    ).base64EncodedString())
            default: .null
            }
        }

        /// The error of a statement that failed with `code`.
        private func failure(_ code: Int32, text: SQLText, limits: SQLLimits) -> any Error {
            switch code & 0xFF {
            case SQLITE_INTERRUPT:
                if watch.isCancelled { return CancellationError() }
                return MaxError.sqlTimeout(limits.timeout)
            case SQLITE_AUTH:
                if let table = watch.table, watch.refused == nil { return notAView(table) }
                return MaxError.sqlReadOnly(watch.refused ?? "the statement")
            case SQLITE_READONLY:
                return MaxError.sqlReadOnly("a statement that writes")
            default:
                if let refused = watch.refused { return MaxError.sqlReadOnly(refused) }
                if let table = watch.table { return notAView(table) }
                if message.hasPrefix("cannot modify") {
                    return MaxError.sqlReadOnly("a statement that writes (\(message))")
                }
                let offset = Int(sqlite3_error_offset(db))
                return MaxError.sqlInvalid(message, in: text, at: offset >= 0 ? offset : nil)
            }
        }
    }

    /// What the authorizer's `action` on `name` does, for the error.
    static func describe(_ action: Int32, _ name: String) -> String {
        switch action {
        case SQLITE_INSERT: "INSERT into \(name)"
        case SQLITE_UPDATE: "UPDATE of \(name)"
        case SQLITE_DELETE: "DELETE from \(name)"
        case SQLITE_ATTACH: "ATTACH"
        case SQLITE_DETACH: "DETACH"
        case SQLITE_TRANSACTION: "a transaction (\(name))"
        case SQLITE_SAVEPOINT: "a savepoint"
        case SQLITE_ANALYZE: "ANALYZE"
        case SQLITE_REINDEX: "REINDEX"
        case SQLITE_ALTER_TABLE: "ALTER TABLE"
        case SQLITE_CREATE_TABLE, SQLITE_CREATE_TEMP_TABLE: "CREATE TABLE \(name)"
        case SQLITE_CREATE_VIEW, SQLITE_CREATE_TEMP_VIEW: "CREATE VIEW \(name)"
        case SQLITE_CREATE_INDEX, SQLITE_CREATE_TEMP_INDEX: "CREATE INDEX \(name)"
        case SQLITE_CREATE_TRIGGER, SQLITE_CREATE_TEMP_TRIGGER: "CREATE TRIGGER \(name)"
        case SQLITE_CREATE_VTABLE: "CREATE VIRTUAL TABLE \(name)"
        case SQLITE_DROP_TABLE, SQLITE_DROP_TEMP_TABLE: "DROP TABLE \(name)"
        case SQLITE_DROP_VIEW, SQLITE_DROP_TEMP_VIEW: "DROP VIEW \(name)"
        case SQLITE_DROP_INDEX, SQLITE_DROP_TEMP_INDEX: "DROP INDEX \(name)"
        case SQLITE_DROP_TRIGGER, SQLITE_DROP_TEMP_TRIGGER: "DROP TRIGGER \(name)"
        case SQLITE_DROP_VTABLE: "DROP VIRTUAL TABLE \(name)"
        default: "a statement that is not a read"
        }
    }
}
