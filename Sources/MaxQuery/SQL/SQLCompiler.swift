import MaxCore

/// Compiles a ``CheckedQuery`` to parameterised SQL over an entity table, for SQLite or
/// PostgreSQL: the one place the filter language becomes SQL, so both stores answer alike.
///
/// Identifiers in the SQL text come from the validated schema and are quoted; every value from the
/// filter or the cursor is a placeholder. The selected columns come first, in selection order,
/// followed by the ordering's key columns, which the reader uses to build the next cursor.
///
/// An entity table has `_id`, a column per row field, `_synced_at` and `_deleted_at`; a
/// collection's members are rows of `_max_links` (`owner_type`, `owner_id`, `field`,
/// `target_id`).
public struct SQLCompiler: Sendable {
    /// The query.
    public let query: CheckedQuery
    /// The SQL it becomes.
    public let dialect: SQLDialect

    /// A compiler of `query` for `dialect`.
    public init(_ query: CheckedQuery, dialect: SQLDialect) {
        self.query = query
        self.dialect = dialect
    }

    private var table: String { dialect.quote(query.entity.name) }

    private func column(_ field: Field) -> String { "\(table).\(dialect.quote(field.name))" }

    private func value(_ value: FieldValue) -> SQLBuilder { .value(SQLValue(value, dialect: dialect)) }

    /// `SELECT … FROM … WHERE … ORDER BY … LIMIT …`, asking for one row more than the page so the
    /// reader knows whether another page follows.
    public func selectPage() -> SQLStatement {
        select(after: query.after, limit: query.limit + 1)
    }

    /// The rows after `cursor`, at most `limit` of them.
    public func select(after cursor: QueryCursor?, limit: Int) -> SQLStatement {
        let selected = query.fields.map(selectExpression).joined(separator: ", ")
        let keys = query.ordering.keys.map { column($0.field) }.joined(separator: ", ")
        let order = query.ordering.keys.map { dialect.order(column($0.field), $0.direction) }
        let built =
            "SELECT " + selected + ", \(keys) FROM \(table)" + whereClause(after: cursor)
            + " ORDER BY \(order.joined(separator: ", ")) LIMIT " + .value(.int(Int64(limit)))
        return built.statement(dialect)
    }

    /// `SELECT COUNT(*) …` with the filter and tombstone rule, ignoring the cursor and limit.
    ///
    /// In SQLite, without a filter it counts the live rows' index (`<Type>___live`, a few bytes a
    /// row) rather than scanning the table.
    public func count() -> SQLStatement {
        ("SELECT COUNT(*) FROM \(table)" + whereClause(after: nil, countingLiveRows: query.filter == nil))
            .statement(dialect)
    }

    /// The condition `filter` compiles to, alone (for tests and plans).
    public func condition(_ filter: CheckedFilter) -> SQLStatement {
        compile(filter).statement(dialect)
    }

    private func selectExpression(_ field: Field) -> SQLBuilder {
        guard case .collection = field.type else { return SQLBuilder(column(field)) }
        let owner = value(.string(query.entity.name))
        let name = value(.string(field.name))
        let members = "FROM _max_links WHERE owner_type = " + owner + " AND field = " + name
        switch dialect {
        case .sqlite:
            return "(SELECT json_group_array(target_id) FROM (SELECT target_id " + members
                + " AND owner_id = \(table).\"_id\" ORDER BY target_id))"
        case .postgres:
            return "(SELECT coalesce(json_agg(target_id ORDER BY target_id), '[]'::json)::text " + members
                + " AND owner_id = \(table).\"_id\")"
        }
    }

    /// The conditions: tombstones hidden, the filter, the cursor.
    ///
    /// In SQLite the tombstone test is written `+"_deleted_at" IS NULL`, its idiom to keep a term
    /// from choosing an index: otherwise the planner takes the live rows' index for a selective one
    /// and sorts every row for an ordered page. Only an unfiltered count (`countingLiveRows`) uses it.
    private func whereClause(after cursor: QueryCursor?, countingLiveRows: Bool = false) -> SQLBuilder {
        var conditions: [SQLBuilder] = []
        if !query.includeDeleted {
            let unary = dialect == .sqlite && !countingLiveRows ? "+" : ""
            conditions.append(SQLBuilder("\(unary)\(table).\"_deleted_at\" IS NULL"))
        }
        if let filter = query.filter { conditions.append(compile(filter)) }
        if let cursor { conditions.append(contentsOf: keyset(after: cursor)) }
        guard !conditions.isEmpty else { return SQLBuilder() }
        return " WHERE " + conditions.map { "(" + $0 + ")" }.joined(separator: " AND ")
    }

    // MARK: Filters

    private func compile(_ filter: CheckedFilter) -> SQLBuilder {
        switch filter {
        case .and(let operands):
            return "(" + operands.map(compile).joined(separator: " AND ") + ")"
        case .or(let operands):
            return "(" + operands.map(compile).joined(separator: " OR ") + ")"
        case .not(let operand):
            // `NOT x` is true in SQL only when `x` is false, not when it is null: a null field
            // makes `NOT (field = v)` true, as a person expects ("not equal to v" includes "unset").
            return "NOT coalesce(" + compile(operand) + ", \(dialect.never))"
        case .isNull(let field):
            if case .collection = field.type { return "NOT " + membership(field, nil) }
            return SQLBuilder("\(column(field)) IS NULL")
        case .isNotNull(let field):
            if case .collection = field.type { return membership(field, nil) }
            return SQLBuilder("\(column(field)) IS NOT NULL")
        case .oneOf(let field, let values):
            let list = "(" + values.map(value).joined(separator: ", ") + ")"
            if case .collection = field.type { return membership(field, " AND target_id IN " + list) }
            return "\(column(field)) IN " + list
        case .compare(let field, let op, let value):
            return compare(field, op, value)
        }
    }

    private func compare(_ field: Field, _ op: ComparisonOperator, _ compared: FieldValue) -> SQLBuilder {
        if case .collection = field.type {
            let member = membership(field, " AND target_id = " + value(compared))
            return op == .notEqual ? "NOT " + member : member
        }
        if op == .contains {
            guard case .string(let needle) = compared else { return SQLBuilder(dialect.never) }
            switch dialect {
            case .sqlite where needle.unicodeScalars.allSatisfy(\.isASCII):
                return "instr(lower(\(column(field))), " + value(.string(needle.lowercased())) + ") > 0"
            case .sqlite:
                return "max_icontains(\(column(field)), " + value(.string(needle)) + ")"
            case .postgres:
                return "strpos(lower(\(column(field))), " + value(.string(needle.lowercased())) + ") > 0"
            }
        }
        return "\(column(field)) \(op.rawValue) " + value(compared)
    }

    private func membership(_ field: Field, _ targetCondition: SQLBuilder?) -> SQLBuilder {
        var fragment = "EXISTS (SELECT 1 FROM _max_links WHERE owner_type = " + value(.string(query.entity.name))
        fragment = fragment + " AND field = " + value(.string(field.name)) + " AND owner_id = \(table).\"_id\""
        if let targetCondition { fragment = fragment + targetCondition }
        return fragment + ")"
    }

    // MARK: Keyset pagination

    /// The conditions that select the rows strictly after `cursor` in the query's ordering.
    ///
    /// For keys k₀…kₙ with the cursor's values v₀…vₙ, a row is after the cursor when, for some i,
    /// it ties on k₀…kᵢ₋₁ and is after vᵢ on kᵢ. Nulls come first in ascending order and last in
    /// descending order, so "after v" is: ascending, `k > v` (or `k IS NOT NULL` when v is null);
    /// descending, `k < v OR k IS NULL` (nothing when v is null).
    private func keyset(after cursor: QueryCursor) -> [SQLBuilder] {
        let keys = query.ordering.keys
        let values = zip(cursor.keys, keys).map { SQLValue(cursorKey: $0, type: $1.field.type, dialect: dialect) }
        var disjuncts: [SQLBuilder] = []
        for (index, key) in keys.enumerated() {
            let bound = values[index]
            let after: SQLBuilder?
            switch (key.direction, bound.isNull) {
            case (.ascending, true): after = SQLBuilder("\(column(key.field)) IS NOT NULL")
            case (.ascending, false): after = "\(column(key.field)) > " + .value(bound)
            case (.descending, true): after = nil
            case (.descending, false):
                after = "(\(column(key.field)) < " + .value(bound) + " OR \(column(key.field)) IS NULL)"
            }
            if let after {
                let ties = (0..<index).map { dialect.isSame(column(keys[$0].field)) + .value(values[$0]) }
                disjuncts.append((ties + [after]).joined(separator: " AND "))
            }
        }
        guard !disjuncts.isEmpty else { return [SQLBuilder(dialect.never)] }
        var conditions = ["(" + disjuncts.joined(separator: ") OR (") + ")"]
        // Every row after the cursor is at or after it on the first key. Saying so lets the
        // database start an index scan at the cursor instead of reading from the top.
        if let first = keys.first, first.direction == .ascending, !values[0].isNull {
            conditions.insert("\(column(first.field)) >= " + .value(values[0]), at: 0)
        }
        return conditions
    }
}
