/// Some fields of one entity, as a loader produced them: what storage merges into what it has.
///
/// An input need not carry every field: storing an input only writes the fields it has and never
/// erases the others. A field set to ``FieldValue/null`` is written as null.
///
/// ```swift
/// var input = EntityInput(Ref("AcmeTask", "tsk_1"))
/// input["title"] = "Write the spec"
/// input["assignee"] = .ref(Ref("AcmeUser", "usr_1"))
/// ```
///
/// The fields are kept as a short list of name and value, in the order they were set: a sync
/// builds and stores hundreds of thousands of inputs of a dozen fields each, and finding a name
/// among a dozen by comparison costs less than hashing it into a dictionary and out again.
public struct EntityInput: Sendable, Hashable {
    /// The entity these fields belong to.
    public let ref: Ref
    /// The fields, in the order they were first set, each name once.
    public private(set) var values: [(name: String, value: FieldValue)]

    /// Creates an input for `ref` with the given fields.
    public init(_ ref: Ref, fields: [String: FieldValue] = [:]) {
        self.ref = ref
        self.values = fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Creates an input for the entity of type `type` with id `id`.
    public init(_ type: EntityType, id: String, fields: [String: FieldValue] = [:]) {
        self.init(Ref(type, id), fields: fields)
    }

    /// Creates an input for `ref` from its fields' names and values, each name once (a reader
    /// that checks for repeated keys builds inputs this way without looking each name up).
    public init(_ ref: Ref, values: [(name: String, value: FieldValue)]) {
        self.ref = ref
        self.values = values
    }

    /// The fields to store, by name.
    public var fields: [String: FieldValue] {
        get { Dictionary(values, uniquingKeysWith: { _, last in last }) }
        set { values = newValue.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
    }

    /// How many fields the input carries.
    public var count: Int { values.count }

    /// The value given for `field`, if any; setting `nil` removes the field.
    public subscript(field: String) -> FieldValue? {
        get {
            for entry in values where entry.name == field { return entry.value }
            return nil
        }
        set {
            if let index = values.firstIndex(where: { $0.name == field }) {
                if let newValue { values[index].value = newValue } else { values.remove(at: index) }
            } else if let newValue {
                values.append((field, newValue))
            }
        }
    }

    /// Sets the fields of `other` over these (the way a later change overrides an earlier one).
    public mutating func merge(_ other: EntityInput) {
        for (name, value) in other.values { self[name] = value }
    }

    /// Whether two inputs carry the same entity and fields, in whatever order.
    public static func == (lhs: EntityInput, rhs: EntityInput) -> Bool {
        lhs.ref == rhs.ref && lhs.values.count == rhs.values.count && lhs.fields == rhs.fields
    }

    /// Hashes the entity and its fields, in whatever order they were set.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ref)
        hasher.combine(fields)
    }
}
