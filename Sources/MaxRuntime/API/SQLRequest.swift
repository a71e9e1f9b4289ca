public import MaxCore

/// One read-only SQL statement over installations' local data: `max sql`.
public struct SQLRequest: Codable, Sendable, Hashable {
    /// The installations to read, separated by commas (`acme,github`); `nil` for every installation
    /// of the node.
    public var installations: String?
    /// The statement: one `SELECT` (or `WITH … SELECT`) over the views named after the entity
    /// types.
    public var query: String
    /// The most rows it may return (``defaultMaxRows`` when `nil`): more is `sql.too_many_rows`.
    public var maxRows: Int?
    /// The seconds it may run (``defaultTimeout`` when `nil`): longer is `sql.timeout`.
    public var timeout: Int?

    /// The row limit when a request gives none.
    public static let defaultMaxRows = 1000
    /// The highest row limit a request may ask for.
    public static let maximumMaxRows = 1_000_000
    /// The time limit, in seconds, when a request gives none.
    public static let defaultTimeout = 10
    /// The longest time limit, in seconds, a request may ask for.
    public static let maximumTimeout = 300

    /// A statement over `installations` (every installation when empty).
    public init(installations: [String] = [], query: String, maxRows: Int? = nil, timeout: Int? = nil) {
        self.installations = installations.isEmpty ? nil : installations.joined(separator: ",")
        self.query = query
        self.maxRows = maxRows
        self.timeout = timeout
    }

    /// The installations' names, in order; empty for all.
    public var installationNames: [String] {
        (installations ?? "").split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
    }
}

/// What a statement returned: its columns and its rows, each a list of values in column order.
public struct SQLResult: Codable, Sendable, Hashable {
    /// The columns' names, as the statement named them.
    public var columns: [String]
    /// The rows: numbers, text (dates as ISO-8601, JSON as its text) or null.
    public var rows: [[JSONValue]]

    /// A result.
    public init(columns: [String], rows: [[JSONValue]]) {
        self.columns = columns
        self.rows = rows
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
