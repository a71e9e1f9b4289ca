import GRDB

/// A piece of SQL and the values its `?` placeholders stand for, as GRDB binds them.
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

    /// The SQL text with a placeholder per argument, as a description for tests and logs.
    package var argumentsDescription: [String] { arguments.map(\.description) }

    var statementArguments: StatementArguments { StatementArguments(arguments) }
}

extension String {
    /// The name quoted as an SQL identifier.
    var quoted: String { quotedDatabaseIdentifier }
}
