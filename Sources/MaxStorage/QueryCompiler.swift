import GRDB
import MaxCore
package import MaxQuery

/// Compiles a ``CheckedQuery`` to parameterised SQL over an entity table.
///
/// Identifiers in the SQL text come from the validated schema and are quoted; every value from the
/// filter or the cursor is a `?` argument.
///
/// The selected columns come first, in selection order, followed by the ordering's key columns,
/// which the reader uses to build the next cursor.
package struct QueryCompiler: Sendable {
    let query: CheckedQuery

    package init(_ query: CheckedQuery) {
        self.query = query
    }

    private var table: String { query.entity.name.quoted }

    private func column(_ field: Field) -> String { "\(table).\(field.name.quoted)" }

    /// `SELECT … FROM … WHERE … ORDER BY … LIMIT ?`, asking for one row more than the page so the
    /// reader knows whether another page follows.
    package func selectPage() -> SQLFragment {
        select(after: query.after, limit: query.limit + 1)
    }

    func select(after cursor: QueryCursor?, limit: Int) -> SQLFragment {
        let selected = query.fields.map(selectExpression).joined(separator: ", ")
        let keys = query.ordering.keys.map { column($0.field) }.joined(separator: ", ")
        let order = query.ordering.keys.map { "\(column($0.field)) \($0.direction == .ascending ? "ASC" : "DESC")" }
        return "SELECT " + selected + ", \(keys) FROM \(table)" + whereClause(after: cursor)
            + " ORDER BY \(order.joined(separator: ", ")) LIMIT " + .value(Int64(limit).databaseValue)
    }

    /// `SELECT COUNT(*) …` with the filter and tombstone rule, ignoring the cursor and limit.
    ///
    /// Without a filter it counts the live rows' index (`<Type>___live`, a few bytes a row) rather
    /// than scanning the table.
    package func count() -> SQLFragment {
        "SELECT COUNT(*) FROM \(table)" + whereClause(after: nil, countingLiveRows: query.filter == nil)
    }

    private func selectExpression(_ field: Field) -> SQLFragment {
        guard case .collection = field.type else { return SQLFragment(column(field)) }
        let owner: SQLFragment = .value(query.entity.name.databaseValue)
        let name: SQLFragment = .value(field.name.databaseValue)
        let members = "SELECT target_id FROM _max_links WHERE owner_type = " + owner + " AND field = " + name
        return "(SELECT json_group_array(target_id) FROM (" + members
            + " AND owner_id = \(table).\"_id\" ORDER BY target_id))"
    }

    /// The conditions: tombstones hidden, the filter, the cursor.
    ///
    /// The tombstone test is written `+"_deleted_at" IS NULL`, SQLite's idiom to keep a term from
    /// choosing an index: otherwise the planner takes the live rows' index for a selective one and
    /// sorts every row for an ordered page. Only an unfiltered count (`countingLiveRows`) uses it.
    func whereClause(after cursor: QueryCursor?, countingLiveRows: Bool = false) -> SQLFragment {
        var conditions: [SQLFragment] = []
        if !query.includeDeleted {
            conditions.append(SQLFragment("\(countingLiveRows ? "" : "+")\(table).\"_deleted_at\" IS NULL"))
        }
        if let filter = query.filter { conditions.append(compile(filter)) }
        if let cursor { conditions.append(contentsOf: keyset(after: cursor)) }
        guard !conditions.isEmpty else { return SQLFragment("") }
        return " WHERE " + conditions.map { "(" + $0 + ")" }.joined(separator: " AND ")
    }

    // MARK: Filters

    package func compile(_ filter: CheckedFilter) -> SQLFragment {
        switch filter {
        case .and(let operands):
            return "(" + operands.map(compile).joined(separator: " AND ") + ")"
        case .or(let operands):
            return "(" + operands.map(compile).joined(separator: " OR ") + ")"
        case .not(let operand):
            return "NOT " + compileNullSafe(operand)
        case .isNull(let field):
            if case .collection = field.type { return "NOT " + membership(field, nil) }
            return SQLFragment("\(column(field)) IS NULL")
        case .isNotNull(let field):
            if case .collection = field.type { return membership(field, nil) }
            return SQLFragment("\(column(field)) IS NOT NULL")
        case .oneOf(let field, let values):
            let list = "(" + values.map { .value($0.databaseValue) }.joined(separator: ", ") + ")"
            if case .collection = field.type { return membership(field, " AND target_id IN " + list) }
            return "\(column(field)) IN " + list
        case .compare(let field, let op, let value):
            return compare(field, op, value)
        }
    }

    /// `NOT x` is true in SQL only when `x` is false, not when it is null; wrap it so that a null
    /// field makes `NOT (field = v)` true, as a person expects ("not equal to v" includes "unset").
    private func compileNullSafe(_ filter: CheckedFilter) -> SQLFragment {
        "coalesce(" + compile(filter) + ", 0)"
    }

    private func compare(_ field: Field, _ op: ComparisonOperator, _ value: FieldValue) -> SQLFragment {
        if case .collection = field.type {
            let member = membership(field, " AND target_id = " + .value(value.databaseValue))
            return op == .notEqual ? "NOT " + member : member
        }
        if op == .contains {
            guard case .string(let needle) = value else { return SQLFragment("0") }
            if needle.unicodeScalars.allSatisfy(\.isASCII) {
                return "instr(lower(\(column(field))), " + .value(needle.lowercased().databaseValue) + ") > 0"
            }
            return "max_icontains(\(column(field)), " + .value(needle.databaseValue) + ")"
        }
        return "\(column(field)) \(op.rawValue) " + .value(value.databaseValue)
    }

    private func membership(_ field: Field, _ targetCondition: SQLFragment?) -> SQLFragment {
        let owner: SQLFragment = .value(query.entity.name.databaseValue)
        let name: SQLFragment = .value(field.name.databaseValue)
        var fragment = "EXISTS (SELECT 1 FROM _max_links WHERE owner_type = " + owner
        fragment = fragment + " AND field = " + name + " AND owner_id = \(table).\"_id\""
        if let targetCondition { fragment = fragment + targetCondition }
        return fragment + ")"
    }

    // MARK: Keyset pagination

    /// The conditions that select the rows strictly after `cursor` in the query's ordering.
    ///
    /// For keys k₀…kₙ with the cursor's values v₀…vₙ, a row is after the cursor when, for some i,
    /// it ties on k₀…kᵢ₋₁ and is after vᵢ on kᵢ. SQLite puts nulls first in ascending order and
    /// last in descending order, so "after v" is: ascending, `k > v` (or `k IS NOT NULL` when v is
    /// null); descending, `k < v OR k IS NULL` (nothing when v is null).
    private func keyset(after cursor: QueryCursor) -> [SQLFragment] {
        let keys = query.ordering.keys
        let values = cursor.keys.map(DatabaseValue.init(cursorKey:))
        var disjuncts: [SQLFragment] = []
        for (index, key) in keys.enumerated() {
            let value = values[index]
            let after: SQLFragment?
            switch (key.direction, value.isNull) {
            case (.ascending, true): after = SQLFragment("\(column(key.field)) IS NOT NULL")
            case (.ascending, false): after = "\(column(key.field)) > " + .value(value)
            case (.descending, true): after = nil
            case (.descending, false):
                after = "(\(column(key.field)) < " + .value(value) + " OR \(column(key.field)) IS NULL)"
            }
            if let after {
                let ties = (0..<index).map { "\(column(keys[$0].field)) IS " + .value(values[$0]) }
                disjuncts.append((ties + [after]).joined(separator: " AND "))
            }
        }
        guard !disjuncts.isEmpty else { return [SQLFragment("0")] }
        var conditions = ["(" + disjuncts.joined(separator: ") OR (") + ")"]
        // Every row after the cursor is at or after it on the first key. Saying so lets SQLite
        // start an index scan at the cursor instead of reading from the top.
        if let first = keys.first, first.direction == .ascending, !values[0].isNull {
            conditions.insert("\(column(first.field)) >= " + .value(values[0]), at: 0)
        }
        return conditions
    }
}
