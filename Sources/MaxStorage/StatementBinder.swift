import GRDB
import MaxCore

#if canImport(GRDBSQLite)
    import GRDBSQLite
#else
    import SQLite3
#endif

/// Binds field values straight to a prepared statement through SQLite's C API.
///
/// Bulk upserts bind ten or more values per row, hundreds of thousands of rows per sync. Going
/// through `StatementArguments` allocates an array of existentials per row and maps it through a
/// generic function that is not specialised across modules; binding directly costs nothing but the
/// copy SQLite makes of each string.
///
/// Protocol: ``prepare(_:)`` once per statement, then per row ``reset()``, ``bind(_:at:)`` every
/// parameter, and `statement.execute()` (which resets again and keeps these bindings).
struct StatementBinder {
    let statement: Statement
    private let handle: SQLiteStatement

    init(_ statement: Statement) {
        self.statement = statement
        self.handle = statement.sqliteStatement
    }

    /// Marks the statement's arguments as bound, so GRDB's `execute()` keeps the ones bound here.
    static func prepare(_ statement: Statement) {
        statement.setUncheckedArguments(StatementArguments())
    }

    /// Resets the statement after a run, so it takes new bindings (the old ones stay until replaced).
    ///
    /// `sqlite3_reset` repeats the error of a failed last run, which was reported when it happened; the
    /// reset itself always succeeds, so its result is not checked.
    func reset() {
        sqlite3_reset(handle)
    }

    /// Binds `value` as the parameter at 1-based `index`.
    func bind(_ value: FieldValue, at index: Int32) throws {
        let code: Int32
        switch value {
        case .null, .refs: code = sqlite3_bind_null(handle, index)
        case .string(let text): code = bind(text, at: index)
        case .int(let number): code = sqlite3_bind_int64(handle, index, Int64(number))
        case .double(let number): code = sqlite3_bind_double(handle, index, number)
        case .bool(let flag): code = sqlite3_bind_int64(handle, index, flag ? 1 : 0)
        case .date(let date): code = sqlite3_bind_int64(handle, index, date.storedMilliseconds)
        case .json(let json): code = bind(json.jsonText, at: index)
        case .ref(let ref): code = bind(ref.id, at: index)
        }
        try check(code)
    }

    /// Binds text as the parameter at 1-based `index`.
    func bind(text: String, at index: Int32) throws {
        try check(bind(text, at: index))
    }

    /// Binds an integer as the parameter at 1-based `index`.
    func bind(integer: Int64, at index: Int32) throws {
        try check(sqlite3_bind_int64(handle, index, integer))
    }

    private func bind(_ text: String, at index: Int32) -> Int32 {
        // An explicit length keeps embedded NULs; SQLITE_TRANSIENT makes SQLite copy the bytes before
        // the pointer goes away.
        text.withCString { pointer in
            sqlite3_bind_text(
                handle, index, pointer, Int32(text.utf8.count), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        }
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else {
            throw MaxError(.internalError, "binding a statement argument failed (SQLite code \(code))")
        }
    }
}
