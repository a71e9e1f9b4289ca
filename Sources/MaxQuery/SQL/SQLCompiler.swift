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

    /// Where a condition's fields are read: the searched table, or a table reached through refs
    /// under an alias (`_h1`, `_h2`, … by depth).
    private struct Scope {
        /// The quoted name the table is read under.
        let table: String
        /// Its entity type.
        let entity: EntityDef
        /// How many hops from the searched table.
        let depth: Int
    }

    private var top: Scope { Scope(table: table, entity: query.entity, depth: 0) }

    private func column(_ field: Field, in scope: Scope) -> String {
        "\(scope.table).\(dialect.quote(field.name))"
    }

    /// The scope `hop` leads to from `scope`, and the SQL that reaches it: a subquery's `FROM` and
    /// the conditions that tie its rows to the row of `scope` (a ref's target by its indexed `_id`;
    /// a collection's members through `_max_links`), deleted entities left out.
    private func reach(_ hop: Hop, from scope: Scope) -> (Scope, from: SQLBuilder, conditions: [SQLBuilder]) {
        let depth = scope.depth + 1
        let alias = dialect.quote("_h\(depth)")
        let target = Scope(table: alias, entity: hop.target, depth: depth)
        let targetTable = dialect.quote(hop.target.name)
        let live = SQLBuilder("\(alias).\"_deleted_at\" IS NULL")
        guard hop.isCollection else {
            return (
                target, SQLBuilder("\(targetTable) AS \(alias)"),
                [SQLBuilder("\(alias).\"_id\" = \(column(hop.field, in: scope))"), live]
            )
        }
        if let inverse = hop.field.inverse {
            // The members are the live targets whose ref names this row, read by that ref's index.
            return (
                target, SQLBuilder("\(targetTable) AS \(alias)"),
                [SQLBuilder("\(alias).\(dialect.quote(inverse)) = \(scope.table).\"_id\""), live]
            )
        }
        let links = dialect.quote("_l\(depth)")
        return (
            target,
            SQLBuilder(
                "_max_links AS \(links) JOIN \(targetTable) AS \(alias) ON \(alias).\"_id\" = \(links).target_id"),
            [
                "\(links).owner_type = " + value(.string(scope.entity.name)),
                "\(links).field = " + value(.string(hop.field.name)),
                SQLBuilder("\(links).owner_id = \(scope.table).\"_id\""), live,
            ]
        )
    }

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

    /// `SELECT <fields>, COUNT(*) … GROUP BY …`: how many matches share each combination of the
    /// query's fields (read through refs too), most first, then by the values (nulls first); the
    /// filter and the tombstone rule apply, the cursor and limit do not.
    public func countGroups() -> SQLStatement {
        let selected = query.fields.map(selectExpression)
        let positions = (1...max(1, selected.count)).map(String.init)
        let order =
            [dialect.order("\(selected.count + 1)", .descending)] + positions.map { dialect.order($0, .ascending) }
        return
            ("SELECT " + selected.joined(separator: ", ") + ", COUNT(*) FROM \(table)" + whereClause(after: nil)
            + " GROUP BY \(positions.joined(separator: ", ")) ORDER BY \(order.joined(separator: ", "))")
            .statement(dialect)
    }

    /// The statements that remove the matching rows for good.
    ///
    /// The tombstone rule applies; the cursor and limit do not. First the collection members they
    /// own in `_max_links` go, then the rows: run them in one transaction, in order.
    public func erase() -> [SQLStatement] {
        let matching = "SELECT \(table).\"_id\" FROM \(table)" + whereClause(after: nil)
        let links =
            "DELETE FROM _max_links WHERE owner_type = " + value(.string(query.entity.name)) + " AND owner_id IN ("
            + matching + ")"
        let rows = SQLBuilder("DELETE FROM \(table) WHERE \"_id\" IN (") + matching + ")"
        return [links.statement(dialect), rows.statement(dialect)]
    }

    /// The condition `filter` compiles to, alone (for tests and plans).
    public func condition(_ filter: CheckedFilter) -> SQLStatement {
        compile(filter).statement(dialect)
    }

    private func selectExpression(_ field: Field) -> SQLBuilder {
        if let path = query.paths[field.name] { return selectExpression(path) }
        return selectExpression(field, in: top)
    }

    private func selectExpression(_ field: Field, in scope: Scope) -> SQLBuilder {
        guard case .collection(let targetType) = field.type else { return SQLBuilder(column(field, in: scope)) }
        if let inverse = field.inverse {
            let members = dialect.quote("_m")
            let from =
                "FROM \(dialect.quote(targetType.name)) AS \(members) WHERE \(members).\(dialect.quote(inverse)) = \(scope.table).\"_id\" AND \(members).\"_deleted_at\" IS NULL"
            switch dialect {
            case .sqlite:
                return SQLBuilder(
                    "(SELECT json_group_array(\"_id\") FROM (SELECT \(members).\"_id\" \(from) ORDER BY \(members).\"_id\"))"
                )
            case .postgres:
                return SQLBuilder(
                    "(SELECT coalesce(json_agg(\(members).\"_id\" ORDER BY \(members).\"_id\"), '[]'::json)::text \(from))"
                )
            }
        }
        let owner = value(.string(scope.entity.name))
        let name = value(.string(field.name))
        let members = "FROM _max_links WHERE owner_type = " + owner + " AND field = " + name
        switch dialect {
        case .sqlite:
            return "(SELECT json_group_array(target_id) FROM (SELECT target_id " + members
                + " AND owner_id = \(scope.table).\"_id\" ORDER BY target_id))"
        case .postgres:
            return "(SELECT coalesce(json_agg(target_id ORDER BY target_id), '[]'::json)::text " + members
                + " AND owner_id = \(scope.table).\"_id\")"
        }
    }

    /// A field read through refs: a subquery per hop, each reading its target by `_id` (null when
    /// a ref is null, or leads to an entity not stored or deleted).
    private func selectExpression(_ path: FieldPath) -> SQLBuilder {
        var scopes = [top]
        var froms: [SQLBuilder] = []
        var conditions: [SQLBuilder] = []
        for hop in path.hops {
            let (scope, from, tie) = reach(hop, from: scopes[scopes.count - 1])
            scopes.append(scope)
            froms.append(from)
            conditions += tie
        }
        let leaf = selectExpression(path.leaf, in: scopes[scopes.count - 1])
        return "(SELECT " + leaf + " FROM " + froms.joined(separator: " CROSS JOIN ") + " WHERE "
            + conditions.joined(separator: " AND ") + " LIMIT 1)"
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
        compile(filter, in: top)
    }

    private func compile(_ filter: CheckedFilter, in scope: Scope) -> SQLBuilder {
        switch filter {
        case .and(let operands):
            return "(" + operands.map { compile($0, in: scope) }.joined(separator: " AND ") + ")"
        case .or(let operands):
            return "(" + operands.map { compile($0, in: scope) }.joined(separator: " OR ") + ")"
        case .not(let operand):
            // `NOT x` is true in SQL only when `x` is false, not when it is null: a null field
            // makes `NOT (field = v)` true, as a person expects ("not equal to v" includes "unset").
            return "NOT coalesce(" + compile(operand, in: scope) + ", \(dialect.never))"
        case .isNull(let field):
            if case .collection = field.type { return "NOT " + membership(field, nil, in: scope) }
            return SQLBuilder("\(column(field, in: scope)) IS NULL")
        case .isNotNull(let field):
            if case .collection = field.type { return membership(field, nil, in: scope) }
            return SQLBuilder("\(column(field, in: scope)) IS NOT NULL")
        case .oneOf(let field, let values):
            let list = "(" + values.map(value).joined(separator: ", ") + ")"
            if case .collection = field.type { return membership(field, { " AND \($0) IN " + list }, in: scope) }
            return "\(column(field, in: scope)) IN " + list
        case .compare(let field, let op, let value):
            return compare(field, op, value, in: scope)
        case .follow(let hop, let operand):
            // A semi-join: the planner reads the target by its primary key (a ref) or the links by
            // their owner (a collection), then tests the operand on that one row.
            let (target, from, tie) = reach(hop, from: scope)
            return "EXISTS (SELECT 1 FROM " + from + " WHERE "
                + (tie + [compile(operand, in: target)])
                .joined(separator: " AND ") + ")"
        }
    }

    private func compare(_ field: Field, _ op: ComparisonOperator, _ compared: FieldValue, in scope: Scope)
        -> SQLBuilder
    {
        let column = column(field, in: scope)
        if case .collection = field.type {
            let member = membership(field, { " AND \($0) = " + value(compared) }, in: scope)
            return op == .notEqual ? "NOT " + member : member
        }
        if op == .contains {
            guard case .string(let needle) = compared else { return SQLBuilder(dialect.never) }
            switch dialect {
            case .sqlite where needle.unicodeScalars.allSatisfy(\.isASCII):
                return "instr(lower(\(column)), " + value(.string(needle.lowercased())) + ") > 0"
            case .sqlite:
                return "max_icontains(\(column), " + value(.string(needle)) + ")"
            case .postgres:
                return "strpos(lower(\(column)), " + value(.string(needle.lowercased())) + ") > 0"
            }
        }
        return "\(column) \(op.rawValue) " + value(compared)
    }

    /// Whether the row of `scope` has a member in `field` (one the condition, given the member's
    /// id column, holds for).
    private func membership(_ field: Field, _ targetCondition: ((String) -> SQLBuilder)?, in scope: Scope)
        -> SQLBuilder
    {
        if let inverse = field.inverse, let target = field.type.target {
            // The live targets whose ref names this row, by that ref's index.
            let members = dialect.quote("_m\(scope.depth)")
            var fragment = SQLBuilder(
                "EXISTS (SELECT 1 FROM \(dialect.quote(target.name)) AS \(members) WHERE \(members).\(dialect.quote(inverse)) = \(scope.table).\"_id\" AND \(members).\"_deleted_at\" IS NULL"
            )
            if let targetCondition { fragment = fragment + targetCondition("\(members).\"_id\"") }
            return fragment + ")"
        }
        var fragment = "EXISTS (SELECT 1 FROM _max_links WHERE owner_type = " + value(.string(scope.entity.name))
        fragment = fragment + " AND field = " + value(.string(field.name)) + " AND owner_id = \(scope.table).\"_id\""
        if let targetCondition { fragment = fragment + targetCondition("target_id") }
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
