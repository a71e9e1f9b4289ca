public import MaxCore

/// The views `max sql` reads through, named after the entity types: one per entity type and one
/// per collection field, over one or more installations' tables, in SQLite or PostgreSQL.
///
/// An entity type's view has `_id`, every field kept in the row (dates as ISO-8601 text in UTC,
/// refs as the target's id, JSON as its text), then `_synced_at` and `_deleted_at` (ISO-8601) and
/// `_deleted` (whether the source deleted it). Tombstoned entities are left out unless the query
/// names `_deleted` or `_deleted_at` (``SQLText/mentionsDeleted``). A collection field's view,
/// `<Type>_<field>`, has `owner_id` and `member_id`: one row per member.
///
/// Every view is named `installation.View` (one identifier holding a dot, which ``SQLText``
/// rewrites `installation.View` to); a view whose name no other installation uses is also named
/// `View` alone.
public struct SQLViews: Sendable {
    /// One installation whose tables the views read.
    public struct Source: Sendable {
        /// The installation's name, the views' qualifier.
        public let name: String
        /// The entity types its store holds.
        public let schema: Schema
        /// The database schema (SQLite's attached database, PostgreSQL's namespace) holding its
        /// tables, unquoted.
        public let databaseSchema: String

        /// A source.
        public init(name: String, schema: Schema, databaseSchema: String) {
            self.name = name
            self.schema = schema
            self.databaseSchema = databaseSchema
        }
    }

    /// One view: its name and its `SELECT`.
    public struct View: Sendable {
        /// The name, unquoted (`acme.AcmeTask`, `AcmeTask`).
        public let name: String
        /// The query it stands for.
        public let select: String
        /// The installation it reads.
        public let installation: String
        /// The view's name within its installation (`AcmeTask`, `AcmeProject_tasks`).
        public let localName: String
        /// Its columns and their types, as the description shows them.
        public let columns: [(name: String, type: String)]

        /// `CREATE TEMP VIEW …` of the view.
        public func create(in dialect: SQLDialect) -> String {
            "CREATE TEMP VIEW \(dialect.quote(name)) AS \(select)"
        }
    }

    /// Every view, qualified ones first.
    public let views: [View]
    /// The quoted names of the qualified views by installation and view name (lowercased), for
    /// ``SQLText``.
    public let qualifiedNames: [String: [String: String]]

    /// The views over `sources`.
    ///
    /// - Parameters:
    ///   - sources: The installations, in the order the user named them.
    ///   - dialect: The database's.
    ///   - includeDeleted: Whether tombstoned entities (and their collections' members) are in
    ///     the views.
    public init(_ sources: [Source], dialect: SQLDialect, includeDeleted: Bool) {
        var qualified: [View] = []
        for source in sources {
            for def in source.schema.entities {
                qualified.append(Self.entityView(def, in: source, dialect: dialect, includeDeleted: includeDeleted))
                for field in def.collectionFields {
                    qualified.append(
                        Self.collectionView(def, field, in: source, dialect: dialect, includeDeleted: includeDeleted))
                }
            }
        }
        var byLocalName: [String: [View]] = [:]
        for view in qualified { byLocalName[view.localName.lowercased(), default: []].append(view) }
        let unqualified = qualified.filter { byLocalName[$0.localName.lowercased()]?.count == 1 }.map {
            View(
                name: $0.localName, select: "SELECT * FROM \(dialect.quote($0.name))", installation: $0.installation,
                localName: $0.localName, columns: $0.columns)
        }
        var names: [String: [String: String]] = [:]
        for view in qualified {
            names[view.installation.lowercased(), default: [:]][view.localName.lowercased()] = dialect.quote(view.name)
        }
        self.views = qualified + unqualified
        self.qualifiedNames = names
    }

    private static func entityView(_ def: EntityDef, in source: Source, dialect: SQLDialect, includeDeleted: Bool)
        -> View
    {
        let table = "\(dialect.quote(source.databaseSchema)).\(dialect.quote(def.name))"
        var columns = ["\(dialect.quote(MetaField.id.rawValue))"]
        var described: [(String, String)] = [(MetaField.id.rawValue, "text")]
        for field in def.rowFields {
            let column = dialect.quote(field.name)
            switch field.type {
            case .date:
                columns.append("\(isoDate(column, dialect)) AS \(column)")
                described.append((field.name, "text (ISO-8601 date)"))
            case .json:
                columns.append(dialect == .postgres ? "\(column)::jsonb AS \(column)" : column)
                described.append((field.name, dialect == .postgres ? "jsonb" : "text (JSON)"))
            case .ref(let target):
                columns.append(column)
                described.append((field.name, "text (the id of a \(target.name))"))
            case .int, .double, .bool, .string, .collection:
                columns.append(column)
                described.append((field.name, plainType(field.type, dialect)))
            }
        }
        let deletedAt = dialect.quote(MetaField.deletedAt.rawValue)
        for meta in [MetaField.syncedAt, .deletedAt] {
            let column = dialect.quote(meta.rawValue)
            columns.append("\(isoDate(column, dialect)) AS \(column)")
            described.append((meta.rawValue, "text (ISO-8601 date)"))
        }
        columns.append("(\(deletedAt) IS NOT NULL) AS \(dialect.quote("_deleted"))")
        described.append(("_deleted", dialect == .postgres ? "boolean" : "integer (0 or 1)"))
        // In SQLite, `+` keeps the tombstone test from choosing the live rows' index, as
        // SQLCompiler does: else a `GROUP BY status` reads every row through it instead of the
        // index on `status` (30 ms against 4 ms in `sqlite3` for 100,000 tasks).
        let filter = includeDeleted ? "" : " WHERE \(dialect == .sqlite ? "+" : "")\(deletedAt) IS NULL"
        return View(
            name: "\(source.name).\(def.name)",
            select: "SELECT \(columns.joined(separator: ", ")) FROM \(table)\(filter)",
            installation: source.name, localName: def.name, columns: described)
    }

    private static func collectionView(
        _ def: EntityDef, _ field: Field, in source: Source, dialect: SQLDialect, includeDeleted: Bool
    ) -> View {
        let space = dialect.quote(source.databaseSchema)
        let owners =
            includeDeleted
            ? ""
            : " AND owner_id IN (SELECT \(dialect.quote(MetaField.id.rawValue)) FROM \(space).\(dialect.quote(def.name)) WHERE \(dialect.quote(MetaField.deletedAt.rawValue)) IS NULL)"
        var select = """
            SELECT owner_id, target_id AS member_id FROM \(space)._max_links \
            WHERE owner_type = \(literal(def.name)) AND field = \(literal(field.name))\(owners)
            """
        if let inverse = field.inverse, let target = field.type.target {
            // Read through the members' ref: the live members (all, with `_deleted`) that name an owner.
            let ref = dialect.quote(inverse)
            let live = includeDeleted ? "" : " AND \(dialect.quote(MetaField.deletedAt.rawValue)) IS NULL"
            select = """
                SELECT \(ref) AS owner_id, \(dialect.quote(MetaField.id.rawValue)) AS member_id \
                FROM \(space).\(dialect.quote(target.name)) WHERE \(ref) IS NOT NULL\(live)\(owners.replacing("owner_id IN", with: "\(ref) IN"))
                """
        }
        let target = field.type.target?.name ?? "entity"
        let local = "\(def.name)_\(field.name)"
        return View(
            name: "\(source.name).\(local)", select: select, installation: source.name, localName: local,
            columns: [("owner_id", "text (the id of a \(def.name))"), ("member_id", "text (the id of a \(target))")])
    }

    private static func plainType(_ type: FieldType, _ dialect: SQLDialect) -> String {
        switch type {
        case .int: "integer"
        case .double: "real"
        case .bool: dialect == .postgres ? "boolean" : "integer (0 or 1)"
        default: "text"
        }
    }

    /// `column` (epoch milliseconds) as ISO-8601 text in UTC, to the millisecond.
    private static func isoDate(_ column: String, _ dialect: SQLDialect) -> String {
        switch dialect {
        case .sqlite: "strftime('%Y-%m-%dT%H:%M:%fZ', \(column) / 1000.0, 'unixepoch')"
        case .postgres:
            "to_char(to_timestamp(\(column) / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        }
    }

    private static func literal(_ text: String) -> String {
        "'" + text.replacing("'", with: "''") + "'"
    }

    /// An installation's name as a statement writes it before `.View`: as it is when it is a plain
    /// word (`acme`), quoted otherwise (`"acme-2"`).
    public static func qualifier(_ installation: String) -> String {
        let plain =
            installation.first.map { $0.isLetter || $0 == "_" } == true
            && installation.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
        return plain ? installation : SQLDialect.sqlite.quote(installation)
    }

    /// The names whose case matters (views' and columns' with capitals, as `AcmeTask` and
    /// `dueDate`) by their lowercased form, each quoted: what PostgreSQL, which folds bare names
    /// to lower case, needs written quoted (``SQLText``'s `foldedNames`).
    public var foldedNames: [String: String] {
        var names: [String: String] = [:]
        for view in views {
            for name in [view.localName] + view.columns.map(\.name) where name != name.lowercased() {
                if names[name.lowercased()] == nil { names[name.lowercased()] = SQLDialect.postgres.quote(name) }
            }
        }
        return names
    }

    /// The views for people and agents: one line per qualified view, with its columns and types.
    public var description: String {
        views.filter { $0.name != $0.localName }
            .map { view in
                "\(view.name) (" + view.columns.map { "\($0.name) \($0.type)" }.joined(separator: ", ") + ")"
            }
            .joined(separator: "\n")
    }
}
