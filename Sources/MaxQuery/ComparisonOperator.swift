/// A comparison in a filter: `=`, `!=`, `>`, `>=`, `<`, `<=`, or `~=` (case-insensitive substring).
public enum ComparisonOperator: String, Sendable, Hashable, Codable, CaseIterable {
    /// Equal.
    case equal = "="
    /// Not equal. A field that is null is neither equal nor unequal to a value (as in SQL); use
    /// `IS NULL` to find it.
    case notEqual = "!="
    /// Greater than.
    case greater = ">"
    /// Greater than or equal.
    case greaterOrEqual = ">="
    /// Less than.
    case less = "<"
    /// Less than or equal.
    case lessOrEqual = "<="
    /// Contains the value as a substring, ignoring case. `%` and `_` are literal characters.
    case contains = "~="

    /// Whether the operator orders values (`>`, `>=`, `<`, `<=`).
    public var isOrdering: Bool {
        switch self {
        case .greater, .greaterOrEqual, .less, .lessOrEqual: true
        default: false
        }
    }
}
