import Foundation
import MaxConnector
import MaxCore
import Testing

@testable import PostgresConnector

/// How tables become entity types: names, types, ids, refs, the tables chosen and the cursors.
struct TableModelTests {
    static func column(
        _ number: Int, _ name: String, _ type: String, category: String = "N", kind: String = "b", typmod: Int = -1,
        declared: String? = nil, notNull: Bool = false
    ) -> CatalogColumn {
        CatalogColumn(
            number: number, name: name, baseType: type, category: category, typeKind: kind, typmod: typmod,
            declared: declared ?? type, notNull: notNull)
    }

    static let customers = CatalogTable(
        oid: 1, schema: "public", name: "customers",
        columns: [
            column(1, "id", "int4", notNull: true), column(2, "name", "text"),
            column(3, "updated_at", "timestamptz", declared: "timestamp with time zone"),
        ], key: [1], foreignKeys: [])
    static let lines = CatalogTable(
        oid: 2, schema: "sales", name: "order lines",
        columns: [
            column(1, "order_id", "int8", notNull: true), column(2, "line_no", "int4", notNull: true),
            column(3, "customer_id", "int4"), column(4, "_internal", "text"), column(5, "Name", "text"),
            column(6, "name", "text"),
        ], key: [1, 2],
        foreignKeys: [CatalogForeignKey(name: "line_customer", columns: [3], target: 1, targetColumns: [1])])
    static let notes = CatalogTable(
        oid: 3, schema: "sales", name: "notes",
        columns: [column(1, "id", "int4", notNull: true), column(2, "order_id", "int8"), column(3, "line_no", "int4")],
        key: [1],
        foreignKeys: [CatalogForeignKey(name: "note line", columns: [2, 3], target: 2, targetColumns: [1, 2])])
    static let unkeyed = CatalogTable(
        oid: 4, schema: "public", name: "log", columns: [column(1, "at", "timestamptz")], key: nil, foreignKeys: [])

    static func config(
        tables: [String]? = nil, exclude: [String]? = nil, cursors: [String: String]? = nil
    ) -> PostgresConfig {
        PostgresConfig(
            host: "localhost", database: "shop", user: "max", schemas: ["public", "sales"], tables: tables,
            excludeTables: exclude, cursorColumns: cursors)
    }

    @Test(arguments: [
        (column(1, "a", "int2"), TableModel.Kind.int), (column(1, "a", "int8"), .int),
        (column(1, "a", "float4"), .double),
        (column(1, "a", "numeric", typmod: (12 << 16 | 2) + 4), .double),
        (column(1, "a", "numeric", typmod: (10 << 16 | 0) + 4), .int),
        (column(1, "a", "numeric", typmod: (30 << 16 | 2) + 4), .string), (column(1, "a", "numeric"), .string),
        (column(1, "a", "bool"), .bool), (column(1, "a", "date"), .date), (column(1, "a", "timestamp"), .date),
        (column(1, "a", "timestamptz"), .date), (column(1, "a", "jsonb"), .json), (column(1, "a", "json"), .json),
        (column(1, "a", "_int4", category: "A"), .json), (column(1, "a", "uuid"), .string),
        (column(1, "a", "mood", kind: "e"), .string), (column(1, "a", "varchar"), .string),
        (column(1, "a", "interval"), .string), (column(1, "a", "bytea"), .string),
    ])
    func columnsAreTypedFromTheCatalog(column: CatalogColumn, kind: TableModel.Kind) {
        #expect(TableModel.kind(of: column).0 == kind)
    }

    @Test func namesAreIdentifiersWithoutClashes() {
        var names = Naming(reserved: ["PostgresDatabase"])
        #expect(names.identifier("order lines", prefix: "t") == "order_lines")
        #expect(names.identifier("_internal", prefix: "c") == "internal")
        #expect(names.identifier("2024 sales", prefix: "t") == "t2024_sales")
        #expect(names.identifier("Ünïcode", prefix: "c") == "n_code")
        #expect(names.identifier("postgresdatabase", prefix: "t") == "postgresdatabase_2")
        #expect(names.identifier("sqlite_master", prefix: "t") == "t_sqlite_master")
        var fields = Naming()
        #expect(fields.identifier("Name", prefix: "c") == "Name")
        #expect(fields.identifier("name", prefix: "c") == "name_2", "names equal but for case")
    }

    @Test func idsJoinCompositeKeysWithEscapes() {
        #expect(TableModel.idSQL(["\"id\""]) == "(\"id\")::text")
        #expect(
            TableModel.idSQL(["\"a\"", "\"b\""])
                == "replace(replace((\"a\")::text, '%', '%25'), '/', '%2F') || '/' || replace(replace((\"b\")::text, '%', '%25'), '/', '%2F')"
        )
        #expect(TableModel.quoted("we\"ird") == "\"we\"\"ird\"")
    }

    @Test func tablesBecomeTypesWithRefsAndCursors() throws {
        let model = try PostgresModel(
            catalog: [Self.customers, Self.lines, Self.notes, Self.unkeyed], config: Self.config())
        #expect(model.tables.map(\.type.name) == ["customers", "sales_order_lines", "sales_notes"])
        #expect(
            model.notes == [
                "public.log is left out: it has no primary key nor a unique index over non-null columns to identify its rows"
            ])
        let lines = try #require(model.tables.first { $0.type == "sales_order_lines" })
        #expect(lines.columns.map(\.field) == ["order_id", "line_no", "customer_id", "internal", "Name", "name_2"])
        #expect(lines.columns[2].kind == .ref("customers"), "a one-column foreign key is a ref")
        #expect(lines.cursor == .xmin)
        let notes = try #require(model.tables.first { $0.type == "sales_notes" })
        #expect(notes.columns.last?.field == "note_line", "a composite foreign key adds a ref named after it")
        #expect(notes.columns.last?.kind == .ref("sales_order_lines"))
        let customers = try #require(model.tables.first)
        #expect(customers.cursor == .column("updated_at", declared: "timestamp with time zone"))
        try model.schema.validate()
        #expect(model.schema.roots == [PostgresModel.root])
    }

    @Test func tablesAreChosenAndAMissingOneIsNamed() throws {
        let chosen = try PostgresModel(
            catalog: [Self.customers, Self.lines, Self.notes],
            config: Self.config(tables: ["sales.*"], exclude: ["notes"]))
        #expect(chosen.tables.map(\.type.name) == ["sales_order_lines"])
        #expect(chosen.tables[0].columns[2].kind == .int, "a foreign key to a table not synced stays a column")
        let error = #expect(throws: MaxError.self) {
            try PostgresModel(catalog: [Self.customers], config: Self.config(tables: ["public.orders"]))
        }
        #expect(error?.code == .postgresTableNotFound)
        #expect(error?.hint?.contains("public.customers") == true)
    }

    @Test func aConfiguredCursorMustBeAColumn() throws {
        let xmin = try PostgresModel(catalog: [Self.customers], config: Self.config(cursors: ["customers": "xmin"]))
        #expect(xmin.tables[0].cursor == .xmin)
        let error = #expect(throws: MaxError.self) {
            try PostgresModel(catalog: [Self.customers], config: Self.config(cursors: ["public.customers": "changed"]))
        }
        #expect(error?.code == .invalidConfig)
        #expect(error?.message.contains("no column changed") == true)
    }

    @Test func changesAreReadPastTheMark() throws {
        let model = try PostgresModel(catalog: [Self.customers, Self.lines], config: Self.config())
        let byColumn = PostgresChanges.condition(for: model.tables[0], since: .init(column: "2026-01-01 00:00:00+00"))
        #expect(byColumn?.sql == "\"updated_at\" >= $1::timestamp with time zone")
        #expect(byColumn?.binds == ["2026-01-01 00:00:00+00"])
        #expect(PostgresChanges.condition(for: model.tables[0], since: .init(xmin: "5")) == nil, "another kind of mark")
        let byXmin = PostgresChanges.condition(for: model.tables[1], since: .init(xmin: "4294967300"))
        #expect(byXmin?.sql.contains("xmin::text::int8") == true)
        let position = PostgresChanges.Position(
            tables: ["customers": .init(column: "x")], pass: .init(targets: [:], table: 1, after: ["4", "2"]))
        #expect(try PostgresChanges.decode(PostgresChanges.encode(position)) == position)
        #expect(throws: MaxError.self) { try PostgresChanges.decode("not json") }
    }

    @Test func tlsDefaultsByHost() throws {
        #expect(try PostgresConfig(host: "localhost", database: "d", user: "u").tlsMode == .disable)
        #expect(try PostgresConfig(host: "db.example.com", database: "d", user: "u").tlsMode == .verifyFull)
        #expect(try PostgresConfig(host: "db", database: "d", user: "u", sslmode: "require").tlsMode == .require)
        #expect(throws: MaxError.self) {
            try PostgresConfig(host: "db", database: "d", user: "u", sslmode: "prefer").tlsMode
        }
    }
}
