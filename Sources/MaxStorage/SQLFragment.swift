import GRDB

/// A piece of SQL and the values its `?` placeholders stand for.
///
/// Values only ever travel in ``arguments``; ``sql`` holds keywords, placeholders and identifiers
/// that come from a validated schema, quoted. This is what keeps user input out of SQL text.
package struct SQLFragment: Sendable {
    /// The SQL text, with `?` for every value.
    package var sql: String
    /// The values, in placeholder order.
    var arguments: [DatabaseValue]

    init(_ sql: String, _ arguments: [DatabaseValue] = []) {
        self.sql = sql
        self.arguments = arguments
    }

    /// A placeholder for one value.
    static func value(_ value: DatabaseValue) -> SQLFragment { SQLFragment("?", [value]) }

    /// The SQL text with a placeholder per argument, as a description for tests and logs.
    package var argumentsDescription: [String] { arguments.map(\.description) }

    static func + (lhs: SQLFragment, rhs: SQLFragment) -> SQLFragment {
        SQLFragment(lhs.sql + rhs.sql, lhs.arguments + rhs.arguments)
    }

    static func + (lhs: SQLFragment, rhs: String) -> SQLFragment {
        SQLFragment(lhs.sql + rhs, lhs.arguments)
    }

    static func + (lhs: String, rhs: SQLFragment) -> SQLFragment {
        SQLFragment(lhs + rhs.sql, rhs.arguments)
    }

    var statementArguments: StatementArguments { StatementArguments(arguments) }
}

extension Sequence<SQLFragment> {
    func joined(separator: String) -> SQLFragment {
        var result = SQLFragment("")
        var first = true
        for fragment in self {
            if !first { result.sql += separator }
            first = false
            result = result + fragment
        }
        return result
    }
}

extension String {
    /// The name quoted as an SQL identifier.
    var quoted: String { quotedDatabaseIdentifier }
}
