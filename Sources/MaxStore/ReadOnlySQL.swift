public import MaxCore
public import MaxQuery

/// The limits of one `max sql` statement, whatever the database.
public struct SQLLimits: Sendable, Hashable {
    /// The most rows the statement may return: one more is `sql.too_many_rows`.
    public var maxRows: Int
    /// How long the statement may run: longer is `sql.timeout`.
    public var timeout: Duration

    /// Limits.
    public init(maxRows: Int, timeout: Duration) {
        self.maxRows = maxRows
        self.timeout = timeout
    }
}

/// What a `max sql` statement returned: its columns' names and its rows' values, in order.
public struct SQLRows: Sendable, Hashable, Codable {
    /// The columns' names, as the statement named them (two may share a name).
    public var columns: [String]
    /// Each row's values, one per column: numbers, text, or null.
    public var rows: [[JSONValue]]

    /// Rows.
    public init(columns: [String], rows: [[JSONValue]]) {
        self.columns = columns
        self.rows = rows
    }
}

extension MaxError.Code {
    /// A `max sql` statement that would change something, attach a database, or load an extension.
    public static let sqlReadOnly = Self(domain: "sql", name: "read_only", category: .validationError)
    /// A `max sql` statement that ran past its time limit.
    public static let sqlTimeout = Self(domain: "sql", name: "timeout", category: .permanent)
    /// A `max sql` statement that returned more rows than its limit.
    public static let sqlTooManyRows = Self(domain: "sql", name: "too_many_rows", category: .validationError)
    /// A `max sql` statement the database cannot read or run (a syntax error, an unknown column).
    public static let sqlInvalid = Self(domain: "sql", name: "invalid", category: .validationError)
}

extension MaxError {
    /// `sql.read_only`: the statement tried `what`.
    public static func sqlReadOnly(_ what: String) -> MaxError {
        MaxError(
            .sqlReadOnly, "max sql only reads: \(what) is refused",
            hint:
                "write a SELECT (or WITH … SELECT) over the views; name the installations to read as arguments instead of ATTACH; change data through max sync and operations"
        )
    }

    /// `sql.timeout`: the statement ran longer than `limit`.
    public static func sqlTimeout(_ limit: Duration) -> MaxError {
        MaxError(
            .sqlTimeout, "the statement ran longer than its time limit (\(limit.secondsText)) and was stopped",
            hint: "narrow it (a WHERE clause, a LIMIT, an end to a recursive CTE), or raise the limit with --timeout",
            context: ["timeout": limit.secondsText])
    }

    /// `sql.too_many_rows`: the statement returned more than `limit` rows.
    public static func sqlTooManyRows(_ limit: Int) -> MaxError {
        MaxError(
            .sqlTooManyRows, "the statement returns more than \(limit) rows",
            hint: "add a LIMIT, aggregate with GROUP BY, or raise the limit with --max-rows",
            context: ["maxRows": String(limit)])
    }

    /// `sql.invalid`: the database's `message`, at the UTF-8 `offset` of the statement that ran
    /// (the rewritten `text`) when the database says where.
    public static func sqlInvalid(_ message: String, in text: SQLText, at offset: Int?) -> MaxError {
        let hint = "max sql --help describes the views; max schema lists each entity type's fields"
        guard let offset, offset >= 0 else {
            return MaxError(.sqlInvalid, "the statement cannot run: \(message)", hint: hint)
        }
        let position = text.position(ofOriginalOffset: text.originalOffset(of: offset))
        return MaxError(
            .sqlInvalid, "the statement cannot run: \(message) (line \(position.line), column \(position.column))",
            hint: hint,
            context: [
                ContextKey.expression: position.text, ContextKey.column: String(position.column),
                "line": String(position.line),
            ])
    }
}

extension Duration {
    /// `2.5 s`.
    var secondsText: String {
        let (seconds, attoseconds) = components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
