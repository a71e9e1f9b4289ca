/// A parsed filter expression: the syntax tree of `--filter`.
///
/// Parse one with ``init(parsing:)``; check it against an entity type with
/// ``checked(against:)`` before storage compiles it.
///
/// ```swift
/// let filter = try Filter(parsing: #"status = "todo" AND (priority >= 3 OR title ~= "urgent")"#)
/// // .and([.compare("status", .equal, "todo"), .or([…])])
/// ```
public indirect enum Filter: Sendable, Hashable {
    /// Every operand holds.
    case and([Filter])
    /// At least one operand holds.
    case or([Filter])
    /// The operand does not hold.
    case not(Filter)
    /// `field op value`.
    case compare(FieldName, ComparisonOperator, FilterValue)
    /// `field IN (v1, v2, …)`.
    case oneOf(FieldName, [FilterValue])
    /// `field IS NULL`.
    case isNull(FieldName)
    /// `field IS NOT NULL`.
    case isNotNull(FieldName)
}

/// A literal value in a filter.
public enum FilterValue: Sendable, Hashable, CustomStringConvertible {
    /// A quoted value.
    case string(String)
    /// An unquoted number without a fraction or exponent.
    case integer(Int)
    /// Any other unquoted number.
    case double(Double)
    /// Unquoted `true` or `false`.
    case bool(Bool)

    /// The value as the filter language writes it.
    public var description: String {
        switch self {
        case .string(let value): "\"" + String(value.flatMap { $0 == "\"" || $0 == "\\" ? ["\\", $0] : [$0] }) + "\""
        case .integer(let value): String(value)
        case .double(let value): String(value)
        case .bool(let value): String(value)
        }
    }

    /// `a string`, `a number`, `a Boolean`: how messages name the kind of this value.
    var kindPhrase: String {
        switch self {
        case .string: "a string"
        case .integer, .double: "a number"
        case .bool: "a Boolean"
        }
    }
}

extension FilterValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral
{
    /// A string literal.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer literal.
    public init(integerLiteral value: Int) { self = .integer(value) }
    /// A floating-point literal.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// A Boolean literal.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// A field named in a filter, with the column it was written at for error messages.
///
/// Two field names are equal when their names are; the column is diagnostic only.
public struct FieldName: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The field's name as written.
    public let name: String
    /// The 1-based column it starts at in the expression, or 0 when not parsed from text.
    public let column: Int

    /// Creates a field name.
    public init(_ name: String, column: Int = 0) {
        self.name = name
        self.column = column
    }

    /// A field name from a literal.
    public init(stringLiteral value: String) { self.init(value) }

    /// The name.
    public var description: String { name }

    /// Compares names only.
    public static func == (lhs: FieldName, rhs: FieldName) -> Bool { lhs.name == rhs.name }

    /// Hashes the name only.
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}
