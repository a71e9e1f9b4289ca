public import Foundation

/// The value of one field of one entity.
///
/// Loaders produce these in ``EntityInput``s and storage returns them in ``EntityRecord``s. Each case
/// matches one ``FieldType``; ``null`` fits every type but collections.
public enum FieldValue: Sendable, Hashable {
    /// No value.
    case null
    /// Text.
    case string(String)
    /// An integer.
    case int(Int)
    /// A floating-point number.
    case double(Double)
    /// A Boolean.
    case bool(Bool)
    /// An instant in time.
    case date(Date)
    /// A JSON document.
    case json(JSONValue)
    /// A reference to one entity.
    case ref(Ref)
    /// The members of a collection.
    case refs([Ref])

    /// Whether this value can be stored in a field of type `type`.
    ///
    /// Integers fit double fields (they widen); a ref fits only a ref field of the same target type.
    public func fits(_ type: FieldType) -> Bool {
        switch (self, type) {
        case (.null, .collection): false
        case (.null, _): true
        case (.string, .string), (.int, .int), (.int, .double), (.double, .double), (.bool, .bool),
            (.date, .date), (.json, .json):
            true
        case (.ref(let ref), .ref(let target)): ref.type == target
        case (.refs(let refs), .collection(let target)): refs.allSatisfy { $0.type == target }
        default: false
        }
    }

    /// The name of this value's kind, for messages (`string`, `int`, `ref<AcmeUser>`…).
    public var kindName: String {
        switch self {
        case .null: "null"
        case .string: "string"
        case .int: "int"
        case .double: "double"
        case .bool: "bool"
        case .date: "date"
        case .json: "json"
        case .ref(let ref): "ref<\(ref.type)>"
        case .refs: "collection"
        }
    }

    /// The value as plain JSON, the way outputs print it: refs as the target's id, dates as ISO-8601
    /// with milliseconds in UTC, collections as arrays of ids.
    public var jsonValue: JSONValue {
        switch self {
        case .null: .null
        case .string(let value): .string(value)
        case .int(let value): .int(value)
        case .double(let value): .double(value)
        case .bool(let value): .bool(value)
        case .date(let value): .string(ISO8601.format(value))
        case .json(let value): value
        case .ref(let ref): .string(ref.id)
        case .refs(let refs): .array(refs.map { .string($0.id) })
        }
    }
}

extension FieldValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral
{
    /// A string literal.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer literal.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// A floating-point literal.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// A Boolean literal.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// `nil`, as ``null``.
    public init(nilLiteral: ()) { self = .null }
}
