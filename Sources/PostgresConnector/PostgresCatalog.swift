import Logging
import MaxCore
import PostgresNIO

/// What the server's catalog says of the tables Max may read: their columns with their types,
/// keys and foreign keys.
struct CatalogTable: Sendable, Hashable {
    /// The table's oid.
    var oid: Int
    var schema: String
    var name: String
    var columns: [CatalogColumn]
    /// The key's column numbers: the primary key's, or a unique index's over non-null columns.
    var key: [Int]?
    var foreignKeys: [CatalogForeignKey]

    /// `schema.table`.
    var qualifiedName: String { "\(schema).\(name)" }

    func column(_ number: Int) -> CatalogColumn? { columns.first { $0.number == number } }
}

/// A column of a table.
struct CatalogColumn: Sendable, Hashable {
    var number: Int
    var name: String
    /// The type's name, or a domain's base type's (`int4`, `timestamptz`, `_text` for `text[]`).
    var baseType: String
    /// `pg_type.typcategory`: `A` for arrays.
    var category: String
    /// `pg_type.typtype`: `e` for enums.
    var typeKind: String
    var typmod: Int
    /// The type as SQL writes it (`numeric(12,2)`, `timestamp with time zone`).
    var declared: String
    var notNull: Bool
}

/// A foreign key: its columns, and the columns of the table they reference.
struct CatalogForeignKey: Sendable, Hashable {
    var name: String
    var columns: [Int]
    var target: Int
    var targetColumns: [Int]
}

enum PostgresCatalog {
    /// The tables of `schemas` the user may read, in schema and name order.
    static func tables(in schemas: [String], link: PostgresLink, on connection: PostgresConnection) async throws
        -> [CatalogTable]
    {
        let columnRows = try await link.rows(
            """
            SELECT c.oid::int8, n.nspname::text, c.relname::text, a.attnum::int4, a.attname::text, bt.typname::text,
                   bt.typcategory::text, bt.typtype::text,
                   (CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END)::int4,
                   format_type(a.atttypid, a.atttypmod), a.attnotnull
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            JOIN pg_type t ON t.oid = a.atttypid
            JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY(\(schemas))
              AND has_table_privilege(c.oid, 'SELECT')
            ORDER BY n.nspname, c.relname, a.attnum
            """, on: connection)
        var tables: [CatalogTable] = []
        for row in columnRows {
            let (oid, schema, name, number, column, base, category, kind, typmod, declared, notNull) = try row.decode(
                (Int, String, String, Int32, String, String, String, String, Int32, String, Bool).self)
            if tables.last?.oid != oid {
                tables.append(
                    CatalogTable(oid: oid, schema: schema, name: name, columns: [], key: nil, foreignKeys: []))
            }
            tables[tables.count - 1].columns.append(
                CatalogColumn(
                    number: Int(number), name: column, baseType: base, category: category, typeKind: kind,
                    typmod: Int(typmod), declared: declared, notNull: notNull))
        }
        let keyRows = try await link.rows(
            """
            SELECT i.indrelid::int8, i.indisprimary, array_to_string(i.indkey::int2[], ',')
            FROM pg_index i
            JOIN pg_class c ON c.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ANY(\(schemas)) AND i.indisunique AND i.indisvalid
              AND i.indpred IS NULL AND i.indexprs IS NULL
            ORDER BY i.indisprimary DESC, i.indnatts, i.indexrelid
            """, on: connection)
        let index = Dictionary(uniqueKeysWithValues: tables.enumerated().map { ($0.element.oid, $0.offset) })
        for row in keyRows {
            let (oid, _, columns) = try row.decode((Int, Bool, String).self)
            guard let position = index[oid], tables[position].key == nil else { continue }
            let numbers = columns.split(separator: ",").compactMap { Int($0) }
            // A unique index keys rows only when none of its columns can be null.
            guard !numbers.isEmpty, numbers.allSatisfy({ tables[position].column($0)?.notNull == true }) else {
                continue
            }
            tables[position].key = numbers
        }
        let foreignRows = try await link.rows(
            """
            SELECT con.conname::text, con.conrelid::int8, con.confrelid::int8,
                   array_to_string(con.conkey, ','), array_to_string(con.confkey, ',')
            FROM pg_constraint con
            JOIN pg_class c ON c.oid = con.conrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE con.contype = 'f' AND n.nspname = ANY(\(schemas))
            ORDER BY con.conname
            """, on: connection)
        for row in foreignRows {
            let (name, oid, target, columns, targetColumns) = try row.decode((String, Int, Int, String, String).self)
            guard let position = index[oid] else { continue }
            tables[position].foreignKeys.append(
                CatalogForeignKey(
                    name: name, columns: columns.split(separator: ",").compactMap { Int($0) }, target: target,
                    targetColumns: targetColumns.split(separator: ",").compactMap { Int($0) }))
        }
        return tables
    }
}
