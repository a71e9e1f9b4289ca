/// The type of an entity field.
public enum FieldType: Sendable, Hashable, Codable {
    /// Text.
    case string
    /// A 64-bit signed integer.
    case int
    /// A double-precision number.
    case double
    /// A Boolean.
    case bool
    /// An instant in time, kept to the millisecond.
    case date
    /// Any JSON document (arrays of tags, nested objects).
    case json
    /// A reference to one entity of the given type.
    case ref(EntityType)
    /// A collection of references to entities of the given type, stored as links.
    case collection(EntityType)

    /// The short name used in schemas and messages: `string`, `ref<AcmeUser>`, `collection<AcmeTask>`.
    public var displayName: String {
        switch self {
        case .string: "string"
        case .int: "int"
        case .double: "double"
        case .bool: "bool"
        case .date: "date"
        case .json: "json"
        case .ref(let target): "ref<\(target)>"
        case .collection(let target): "collection<\(target)>"
        }
    }

    /// The entity type a ref or collection points at.
    public var target: EntityType? {
        switch self {
        case .ref(let target), .collection(let target): target
        default: nil
        }
    }

    /// Whether values of this type are kept in the entity's own row (everything but collections).
    public var isStoredInRow: Bool {
        if case .collection = self { return false }
        return true
    }
}
