import Foundation
public import MaxCore

/// A value a statement binds, in the types both stores share.
public enum SQLValue: Sendable, Hashable {
    /// SQL null.
    case null
    /// A 64-bit integer (dates as epoch milliseconds).
    case int(Int64)
    /// A double.
    case double(Double)
    /// Text (JSON as its text, refs as the target's id).
    case text(String)
    /// A boolean: PostgreSQL binds it as one; SQLite stores 0 or 1 (see ``SQLValue/init(_:dialect:)``).
    case bool(Bool)

    /// `value` as `dialect` stores it: booleans as 0/1 in SQLite, dates as epoch milliseconds,
    /// JSON as text, a ref as its target's id.
    public init(_ value: FieldValue, dialect: SQLDialect) {
        switch value {
        case .null, .refs: self = .null
        case .string(let text): self = .text(text)
        case .int(let number): self = .int(Int64(number))
        case .double(let number): self = .double(number)
        case .bool(let flag): self = dialect == .sqlite ? .int(flag ? 1 : 0) : .bool(flag)
        case .date(let date): self = .int(date.epochMilliseconds)
        case .json(let json): self = .text(json.jsonText)
        case .ref(let ref): self = .text(ref.id)
        }
    }

    /// A cursor's key as a bound value for a column of `type`: cursors hold booleans as 0 and 1
    /// (what SQLite stores), which PostgreSQL binds as booleans.
    public init(cursorKey: JSONValue, type: FieldType, dialect: SQLDialect) {
        switch cursorKey {
        case .int(let number) where type == .bool && dialect == .postgres: self = .bool(number != 0)
        case .int(let number): self = .int(Int64(number))
        case .double(let number): self = .double(number)
        case .string(let text): self = .text(text)
        case .bool(let flag): self = dialect == .sqlite ? .int(flag ? 1 : 0) : .bool(flag)
        case .null, .array, .object: self = .null
        }
    }

    /// Whether it is null.
    public var isNull: Bool { self == .null }
}

/// SQL text with placeholders and the values they stand for, for one ``SQLDialect``.
///
/// Values only ever travel in ``values``; ``sql`` holds keywords, placeholders and identifiers
/// that come from a validated schema, quoted. This is what keeps user input out of SQL text.
public struct SQLStatement: Sendable, Hashable {
    /// The text.
    public var sql: String
    /// The values, in placeholder order.
    public var values: [SQLValue]

    /// A statement.
    public init(sql: String, values: [SQLValue]) {
        self.sql = sql
        self.values = values
    }
}

/// A statement being built: text, and values whose placeholders are numbered when it is finished.
struct SQLBuilder: Sendable {
    /// The text, with `\u{0}` where each value goes.
    var text: String
    var values: [SQLValue]

    init(_ text: String = "", _ values: [SQLValue] = []) {
        self.text = text
        self.values = values
    }

    static let mark: Character = "\u{0}"

    static func value(_ value: SQLValue) -> SQLBuilder { SQLBuilder(String(mark), [value]) }

    static func + (lhs: SQLBuilder, rhs: SQLBuilder) -> SQLBuilder {
        SQLBuilder(lhs.text + rhs.text, lhs.values + rhs.values)
    }

    static func + (lhs: SQLBuilder, rhs: String) -> SQLBuilder { SQLBuilder(lhs.text + rhs, lhs.values) }

    static func + (lhs: String, rhs: SQLBuilder) -> SQLBuilder { SQLBuilder(lhs + rhs.text, rhs.values) }

    /// The statement, each mark replaced by `dialect`'s placeholder.
    func statement(_ dialect: SQLDialect) -> SQLStatement {
        var sql = ""
        sql.reserveCapacity(text.utf8.count + values.count * 2)
        var index = 0
        for character in text {
            if character == Self.mark {
                sql += dialect.placeholder(index)
                index += 1
            } else {
                sql.append(character)
            }
        }
        return SQLStatement(sql: sql, values: values)
    }
}

extension Sequence<SQLBuilder> {
    func joined(separator: String) -> SQLBuilder {
        var result = SQLBuilder()
        var first = true
        for fragment in self {
            if !first { result.text += separator }
            first = false
            result = result + fragment
        }
        return result
    }
}
