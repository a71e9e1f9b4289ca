import Foundation
import MaxCore

/// How a table becomes an entity type: its name, a field per column with the SQL that reads it as
/// that field's type, its id, and how its changes are found.
///
/// - The type is named after the table (`orders`), prefixed by its schema outside `public`
///   (`sales_orders`); a field after its column. Characters an identifier cannot hold become `_`,
///   leading underscores are dropped (a `c`, or `t` for a table, goes before a leading digit), and
///   names equal but for case get `_2`, `_3`.
/// - The id is the key's value as text (`42`); for a key of several columns, each value with `%`
///   written `%25` and `/` written `%2F`, joined by `/` (`42/3`).
/// - A foreign key whose table is synced and that references its key is a ref: a one-column key
///   makes the column itself a ref; a key of several columns adds a ref field named after the
///   constraint, beside its columns.
struct TableModel: Sendable {
    /// What a column is read as.
    enum Kind: Sendable, Hashable {
        case int, double, bool, date, string, json
        case ref(EntityType)
    }

    /// A field and the SQL expression that reads it.
    struct Column: Sendable {
        var field: String
        var kind: Kind
        var sql: String
    }

    /// How the changes of a table are found.
    enum Cursor: Sendable, Hashable {
        /// A column whose value grows with every change: its name, and its type as SQL writes it.
        case column(String, declared: String)
        /// The transaction id of each row's last change.
        case xmin
    }

    let table: CatalogTable
    let type: EntityType
    /// The root's collection field that lists the rows.
    let field: String
    let columns: [Column]
    /// The key's columns.
    let key: [CatalogColumn]
    let cursor: Cursor

    /// `"schema"."table" AS "_t"`: the select list's names are its columns, while `ORDER BY` and
    /// the keyset's comparison name them through the alias (output names could shadow them).
    var from: String { "\(Self.quoted(table.schema)).\(Self.quoted(table.name)) AS \"_t\"" }

    /// The SQL of the row's id.
    var idSQL: String { Self.idSQL(key.map { Self.quoted($0.name) }) }

    /// The id SQL of `expressions` (the key's columns, or a foreign key's).
    static func idSQL(_ expressions: [String]) -> String {
        if expressions.count == 1 { return "(\(expressions[0]))::text" }
        return expressions.map { "replace(replace((\($0))::text, '%', '%25'), '/', '%2F')" }
            .joined(separator: " || '/' || ")
    }

    /// The select list: the id, the key's values as text (the keyset cursor), then the fields.
    var selectList: String {
        (["\(idSQL)"] + key.map { "(\(Self.quoted($0.name)))::text" } + columns.map(\.sql)).joined(separator: ", ")
    }

    /// `(k1, k2) > ($1::type1, $2::type2)`, with binds starting at `first`.
    func after(first: Int) -> String {
        let columns = key.map { "\"_t\".\(Self.quoted($0.name))" }.joined(separator: ", ")
        let binds = key.enumerated().map { "$\(first + $0.offset)::\($0.element.declared)" }.joined(separator: ", ")
        return "(\(columns)) > (\(binds))"
    }

    /// `k1, k2`.
    var orderBy: String { key.map { "\"_t\".\(Self.quoted($0.name))" }.joined(separator: ", ") }

    /// The entity type.
    var definition: EntityDef {
        EntityDef(
            type,
            fields: columns.map { column in
                switch column.kind {
                case .int: .int(column.field)
                case .double: .double(column.field)
                case .bool: .bool(column.field)
                case .date: .date(column.field)
                case .string: .string(column.field)
                case .json: .json(column.field)
                case .ref(let target): .ref(column.field, to: target)
                }
            })
    }

    /// `"name"`, with quotes inside doubled.
    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// What a column of `column`'s type is read as, and the SQL that reads it so.
    static func kind(of column: CatalogColumn) -> (Kind, String) {
        let name = quoted(column.name)
        if column.category == "A" { return (.json, "to_json(\(name))::text") }
        if column.typeKind == "e" { return (.string, "\(name)::text") }
        switch column.baseType {
        case "int2", "int4", "int8", "oid": return (.int, "\(name)::int8")
        case "float4", "float8": return (.double, "\(name)::float8")
        case "numeric":
            guard column.typmod >= 4 else { return (.string, "\(name)::text") }
            let precision = ((column.typmod - 4) >> 16) & 0xFFFF
            let scale = (column.typmod - 4) & 0xFFFF
            if scale == 0 && precision <= 18 { return (.int, "\(name)::int8") }
            if precision <= 15 { return (.double, "\(name)::float8") }
            return (.string, "\(name)::text")
        case "bool": return (.bool, name)
        case "date", "timestamp", "timestamptz":
            return (.date, "CASE WHEN isfinite(\(name)) THEN floor(extract(epoch FROM \(name)) * 1000)::int8 END")
        case "json", "jsonb": return (.json, "\(name)::text")
        case "text", "varchar", "bpchar", "name": return (.string, name)
        default: return (.string, "\(name)::text")
        }
    }
}

/// Turns SQL names into identifiers Max accepts, without two alike.
struct Naming {
    private var taken: Set<String>

    init(reserved: [String] = []) { taken = Set(reserved.map { $0.lowercased() }) }

    /// A fresh identifier for `name`; `prefix` goes before one that would start with a digit.
    mutating func identifier(_ name: String, prefix: String) -> String {
        var base = String(
            name.unicodeScalars.map { scalar in
                scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_")
                    ? Character(scalar) : "_"
            })
        while base.hasPrefix("_") { base.removeFirst() }
        if base.isEmpty || base.first?.isNumber == true { base = prefix + base }
        let lowered = base.lowercased()
        if lowered.hasPrefix("_max") || lowered.hasPrefix("sqlite_") { base = prefix + "_" + base }
        var candidate = base
        var suffix = 2
        while taken.contains(candidate.lowercased()) {
            candidate = "\(base)_\(suffix)"
            suffix += 1
        }
        taken.insert(candidate.lowercased())
        return candidate
    }
}
