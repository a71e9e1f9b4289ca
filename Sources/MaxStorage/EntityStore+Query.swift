import Foundation
import GRDB
public import MaxCore
public import MaxQuery
public import MaxStore

extension EntityStore {
    /// Runs `query` and returns one page of results.
    ///
    /// - Throws: the errors of ``Query/checked(against:)``, and `storage.*` errors.
    public func page(_ query: Query) async throws -> Page<EntityRecord> {
        try await page(query.checked(against: schema))
    }

    /// Runs a checked query and returns one page of results, with a cursor when more follow.
    public func page(_ query: CheckedQuery) async throws -> Page<EntityRecord> {
        let compiled = QueryCompiler(query).selectPage()
        let reader = RecordReader(query: query)
        return try await read("searching \(query.entity.name)") { db in
            let rows = try Row.fetchAll(db, sql: compiled.sql, arguments: compiled.statementArguments)
            let hasMore = rows.count > query.limit
            let kept = hasMore ? rows.prefix(query.limit) : rows[...]
            let records = kept.map(reader.record(from:))
            let cursor = hasMore ? kept.last.map(reader.cursor(after:))?.encoded : nil
            return Page(items: records, hasMore: hasMore, cursor: cursor)
        }
    }

    /// The number of entities `query` matches, ignoring its cursor and limit.
    public func count(_ query: Query) async throws -> Int {
        try await count(query.checked(against: schema))
    }

    /// The number of entities a checked query matches, ignoring its cursor and limit.
    public func count(_ query: CheckedQuery) async throws -> Int {
        let compiled = QueryCompiler(query).count()
        return try await read("counting \(query.entity.name)") { db in
            try Int.fetchOne(db, sql: compiled.sql, arguments: compiled.statementArguments) ?? 0
        }
    }

    /// How many entities `query` matches for each combination of its fields' values, most first.
    public func countGroups(_ query: Query) async throws -> [GroupCount] {
        let checked = try query.checked(against: schema)
        let compiled = QueryCompiler(checked).countGroups()
        return try await read("counting \(checked.entity.name) by group") { db in
            try Row.fetchAll(db, sql: compiled.sql, arguments: compiled.statementArguments).map { row in
                GroupCount(
                    values: checked.fields.enumerated().map { index, field in
                        FieldValue(stored: row[index] as DatabaseValue, as: field.type)
                    },
                    count: row[checked.fields.count] as Int? ?? 0)
            }
        }
    }

    /// SQLite's schema cookie: it changes whenever a table or an index is created, changed or
    /// dropped, so a reader kept open can tell that its schema may be stale.
    ///
    /// - Throws: `storage.database_error`.
    public func schemaVersion() async throws -> Int {
        try await read("reading the schema version") { db in try Int.fetchOne(db, sql: "PRAGMA schema_version") ?? 0 }
    }

    /// Every entity `query` matches from its cursor on, as an async sequence that reads
    /// `batchSize` rows at a time: memory stays bounded however many rows match.
    public func records(_ query: CheckedQuery, batchSize: Int = 1000) -> EntityRecordSequence {
        EntityRecordSequence(store: self, query: query, batchSize: max(1, batchSize))
    }

    /// The stored entity `ref` with the fields of `selection`, or `nil` if it is not stored (or is a
    /// tombstone and `includeDeleted` is false).
    public func record(
        _ ref: Ref, selection: FieldSelection = .all, includeDeleted: Bool = false
    ) async throws -> EntityRecord? {
        var query = try Query(ref.type, selection: selection, limit: 1, includeDeleted: includeDeleted)
        query.filter = .compare(FieldName(MetaField.id.rawValue), .equal, .string(ref.id))
        return try await page(query).items.first
    }

    /// Reads the rows of one page: the next `limit` rows after `cursor`.
    func fetch(_ query: CheckedQuery, after cursor: QueryCursor?, limit: Int) async throws
        -> (records: [EntityRecord], last: QueryCursor?)
    {
        let compiled = QueryCompiler(query).select(after: cursor, limit: limit)
        let reader = RecordReader(query: query)
        return try await read("reading \(query.entity.name)") { db in
            let rows = try Row.fetchAll(db, sql: compiled.sql, arguments: compiled.statementArguments)
            return (rows.map(reader.record(from:)), rows.last.map(reader.cursor(after:)))
        }
    }
}

/// Turns rows of a compiled query into records and cursors.
struct RecordReader: Sendable {
    let query: CheckedQuery

    func record(from row: Row) -> EntityRecord {
        var values: [(name: String, value: FieldValue)] = []
        values.reserveCapacity(query.fields.count)
        for (index, field) in query.fields.enumerated() {
            let stored: DatabaseValue = row[index]
            values.append((field.name, FieldValue(stored: stored, as: field.type)))
        }
        let idIndex = query.fields.count + query.ordering.keys.count - 1
        let id: String = row[idIndex]
        return EntityRecord(ref: Ref(query.entity.type, id), values: values)
    }

    func cursor(after row: Row) -> QueryCursor {
        let start = query.fields.count
        let keys = (0..<query.ordering.keys.count).map { offset -> JSONValue in
            let stored: DatabaseValue = row[start + offset]
            return stored.cursorKey
        }
        return QueryCursor(signature: query.ordering.signature, keys: keys)
    }
}

extension EntityStore {
    /// How SQLite plans to run `query` (SQLite's `EXPLAIN QUERY PLAN`, one line per step): which
    /// index serves it, or whether it scans the table.
    ///
    /// - Throws: `query.*` errors when `query` does not fit the schema; `storage.*` when the database
    ///   fails.
    public func queryPlan(of query: Query, counting: Bool = false) async throws -> [String] {
        let compiler = QueryCompiler(try query.checked(against: schema))
        let fragment = counting ? compiler.count() : compiler.selectPage()
        return try await read("planning a query") { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + fragment.sql, arguments: fragment.statementArguments)
                .map { $0["detail"] as String? ?? "" }
        }
    }

    /// The SQL that ``page(_:)`` (or, `counting`, ``count(_:)``) runs for `query`, with its values
    /// written in as SQL literals: what to give the `sqlite3` shell to compare, or to read a plan.
    ///
    /// - Throws: `query.*` errors when `query` does not fit the schema.
    public func sqlText(of query: Query, counting: Bool = false) throws -> String {
        let compiler = QueryCompiler(try query.checked(against: schema))
        let fragment = counting ? compiler.count() : compiler.selectPage()
        var values = fragment.arguments.makeIterator()
        var text = ""
        for character in fragment.sql {
            guard character == "?", let value = values.next() else {
                text.append(character)
                continue
            }
            switch value.storage {
            case .null: text += "NULL"
            case .int64(let number): text += String(number)
            case .double(let number): text += "\(number)"
            case .string(let string): text += "'" + string.replacingOccurrences(of: "'", with: "''") + "'"
            case .blob(let data): text += "X'" + data.map { String(format: "%02x", $0) }.joined() + "'"
            }
        }
        return text
    }
}
