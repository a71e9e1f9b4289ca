/// One entity as storage returns it: the selected fields, in the order they were selected.
public struct EntityRecord: Sendable, Hashable {
    /// The entity.
    public let ref: Ref
    /// The selected fields and their values, in selection order.
    ///
    /// Meta fields use their `_` names.
    public let values: [(name: String, value: FieldValue)]

    /// Creates a record.
    public init(ref: Ref, values: [(name: String, value: FieldValue)]) {
        self.ref = ref
        self.values = values
    }

    /// The value of `field`, if it was selected.
    public subscript(field: String) -> FieldValue? {
        values.first { $0.name == field }?.value
    }

    /// The record as a JSON object, the shape `-o json` prints: null fields omitted.
    public var jsonObject: JSONValue {
        var object: [String: JSONValue] = [:]
        for (name, value) in values where value != .null {
            object[name] = value.jsonValue
        }
        return .object(object)
    }

    /// Compares refs and values in order.
    public static func == (lhs: EntityRecord, rhs: EntityRecord) -> Bool {
        lhs.ref == rhs.ref && lhs.values.count == rhs.values.count
            && zip(lhs.values, rhs.values).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// Hashes the ref and values.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ref)
        for (name, value) in values {
            hasher.combine(name)
            hasher.combine(value)
        }
    }
}
