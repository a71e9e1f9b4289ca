/// The SQL a store speaks: where the filter language's compiled SQL differs between SQLite and
/// PostgreSQL, so that both return the same rows in the same order.
///
/// - Nulls: SQLite puts them first in ascending order and last in descending order; PostgreSQL is
///   told to do the same (`NULLS FIRST`, `NULLS LAST`).
/// - Null-safe equality (a cursor's ties): SQLite's `IS`, PostgreSQL's `IS NOT DISTINCT FROM`.
/// - Text compares byte by byte in both (PostgreSQL's text columns are `COLLATE "C"`).
/// - Booleans: SQLite stores 0/1, PostgreSQL `boolean`.
public enum SQLDialect: String, Sendable, Hashable, CaseIterable {
    /// SQLite, through GRDB: `?` placeholders.
    case sqlite
    /// PostgreSQL: `$1`, `$2`… placeholders.
    case postgres

    /// `name` quoted as an identifier (`"AcmeTask"`, with any `"` doubled).
    public func quote(_ name: String) -> String {
        "\"" + name.replacing("\"", with: "\"\"") + "\""
    }

    /// The placeholder of the value at `index` (0-based) of a statement.
    public func placeholder(_ index: Int) -> String {
        switch self {
        case .sqlite: "?"
        case .postgres: "$\(index + 1)"
        }
    }

    /// The literal false, for a condition that holds for no row.
    var never: String {
        switch self {
        case .sqlite: "0"
        case .postgres: "false"
        }
    }

    /// `ORDER BY` of a column in `direction`, nulls where SQLite puts them.
    func order(_ column: String, _ direction: Ordering.Direction) -> String {
        switch (self, direction) {
        case (.sqlite, .ascending): "\(column) ASC"
        case (.sqlite, .descending): "\(column) DESC"
        case (.postgres, .ascending): "\(column) ASC NULLS FIRST"
        case (.postgres, .descending): "\(column) DESC NULLS LAST"
        }
    }

    /// Null-safe equality of a column and a placeholder.
    func isSame(_ column: String) -> String {
        switch self {
        case .sqlite: "\(column) IS "
        case .postgres: "\(column) IS NOT DISTINCT FROM "
        }
    }
}
