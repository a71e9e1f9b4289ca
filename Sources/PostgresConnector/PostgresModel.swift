import Foundation
import MaxConnector
import MaxCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The tables an installation syncs, as entity types: the catalog's tables chosen by the config,
/// each made a ``TableModel``.
struct PostgresModel: Sendable {
    /// The root entity type: the database, whose collections list every table's rows.
    static let root: EntityType = "PostgresDatabase"

    let tables: [TableModel]
    /// The tables left out, and why.
    let notes: [String]

    /// The schema: the root, and a type per table.
    var schema: Schema {
        Schema(
            namespace: "postgres", entities: tables.map(\.definition),
            roots: [EntityDef(Self.root, fields: tables.map { .collection($0.field, of: $0.type) })])
    }

    /// Chooses and models the tables of `catalog` that `config` asks for.
    ///
    /// - Throws: `postgres.table_not_found` for a table the config names (not a glob) that the
    ///   database does not have or the user may not read; `connector.invalid_config` for a cursor
    ///   column the table does not have.
    init(catalog: [CatalogTable], config: PostgresConfig) throws {
        let include = (config.tables?.items ?? []).filter { $0 != "*" }
        let exclude = config.excludeTables?.items ?? []
        func matches(_ table: CatalogTable, _ pattern: String) -> Bool {
            fnmatch(pattern, table.qualifiedName, 0) == 0 || fnmatch(pattern, table.name, 0) == 0
        }
        for name in include where !name.contains(where: { "*?[".contains($0) }) {
            guard catalog.contains(where: { matches($0, name) }) else {
                let readable = catalog.map(\.qualifiedName)
                throw MaxError(
                    .postgresTableNotFound,
                    "there is no table \(name) that \(config.user) may read in \(config.schemaNames.joined(separator: ", ")) of \(config.database)",
                    hint: readable.isEmpty
                        ? "grant the user SELECT on the tables, or check \"schemas\" in the installation's config"
                        : "tables it may read: \(readable.prefix(20).joined(separator: ", ")); fix \"tables\" in max.json",
                    context: ["table": name])
            }
        }
        let chosen = catalog.filter { table in
            (include.isEmpty || include.contains { matches(table, $0) }) && !exclude.contains { matches(table, $0) }
        }
        var notes: [String] = []
        var typeNames = Naming(reserved: [Self.root.name])
        var keyed: [(CatalogTable, EntityType)] = []
        for table in chosen {
            guard table.key != nil else {
                notes.append(
                    "\(table.qualifiedName) is left out: it has no primary key nor a unique index over non-null columns to identify its rows"
                )
                continue
            }
            let name = typeNames.identifier(
                table.schema == "public" ? table.name : "\(table.schema)_\(table.name)", prefix: "t")
            keyed.append((table, EntityType(name)))
        }
        let types = Dictionary(keyed.map { ($0.0.oid, $0) }, uniquingKeysWith: { first, _ in first })
        tables = try keyed.map { table, type in
            try Self.model(table, type: type, types: types, config: config)
        }
        self.notes = notes
    }

    private static func model(
        _ table: CatalogTable, type: EntityType, types: [Int: (CatalogTable, EntityType)], config: PostgresConfig
    ) throws -> TableModel {
        let key = (table.key ?? []).compactMap { table.column($0) }
        var names = Naming()
        var columns: [TableModel.Column] = []
        // One-column foreign keys that reference their table's key make the column a ref.
        var refs: [Int: EntityType] = [:]
        var composite: [(CatalogForeignKey, EntityType)] = []
        for foreign in table.foreignKeys {
            guard let (target, targetType) = types[foreign.target], foreign.targetColumns == target.key else {
                continue
            }
            if foreign.columns.count == 1 {
                refs[foreign.columns[0]] = targetType
            } else {
                composite.append((foreign, targetType))
            }
        }
        for column in table.columns {
            let field = names.identifier(column.name, prefix: "c")
            if let target = refs[column.number] {
                columns.append(
                    .init(field: field, kind: .ref(target), sql: TableModel.idSQL([TableModel.quoted(column.name)])))
            } else {
                let (kind, sql) = TableModel.kind(of: column)
                columns.append(.init(field: field, kind: kind, sql: sql))
            }
        }
        for (foreign, target) in composite {
            let parts = foreign.columns.compactMap { table.column($0).map { TableModel.quoted($0.name) } }
            columns.append(
                .init(
                    field: names.identifier(foreign.name, prefix: "c"), kind: .ref(target), sql: TableModel.idSQL(parts)
                ))
        }
        return TableModel(
            table: table, type: type, field: type.name, columns: columns, key: key,
            cursor: try cursor(of: table, config: config))
    }

    private static let cursorNames = ["updated_at", "modified_at", "updatedat", "modifiedat", "last_modified"]

    private static func cursor(of table: CatalogTable, config: PostgresConfig) throws -> TableModel.Cursor {
        let configured = config.cursorColumns?[table.qualifiedName] ?? config.cursorColumns?[table.name]
        if let configured {
            if configured == "xmin" { return .xmin }
            guard let column = table.columns.first(where: { $0.name == configured }) else {
                throw MaxError(
                    .invalidConfig, "\(table.qualifiedName) has no column \(configured) to find its changes by",
                    hint:
                        "fix cursorColumns in the installation's config: a column of the table, or \"xmin\" (columns: \(table.columns.map(\.name).joined(separator: ", ")))",
                    context: ["table": table.qualifiedName, "column": configured])
            }
            return .column(column.name, declared: column.declared)
        }
        let timestamps = ["timestamptz", "timestamp"]
        for name in cursorNames {
            if let column = table.columns.first(where: {
                $0.name.lowercased() == name && timestamps.contains($0.baseType)
            }) {
                return .column(column.name, declared: column.declared)
            }
        }
        return .xmin
    }
}
