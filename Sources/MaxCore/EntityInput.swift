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
public struct EntityInput: Sendable, Hashable {
    /// The entity these fields belong to.
    public let ref: Ref
    /// The fields to store, by name.
    public var fields: [String: FieldValue]

    /// Creates an input for `ref` with the given fields.
    public init(_ ref: Ref, fields: [String: FieldValue] = [:]) {
        self.ref = ref
        self.fields = fields
    }

    /// Creates an input for the entity of type `type` with id `id`.
    public init(_ type: EntityType, id: String, fields: [String: FieldValue] = [:]) {
        self.init(Ref(type, id), fields: fields)
    }

    /// The value given for `field`, if any.
    public subscript(field: String) -> FieldValue? {
        get { fields[field] }
        set { fields[field] = newValue }
    }
}
