/// The definition of one entity type: its name and its fields, in order.
///
/// Every entity also has an `_id` (its id, unique within the type) and the metadata storage keeps
/// for it (see ``MetaField``); those are not declared here.
///
/// ```swift
/// let user = EntityDef("AcmeUser", fields: [.string("email", indexed: true), .string("displayName")])
/// let task = EntityDef("AcmeTask", fields: [.string("title"), .ref("assignee", to: user.type)],
///                      indexes: [["status", "updatedAt"]])
/// ```
public struct EntityDef: Sendable, Hashable, Codable {
    /// The entity type this defines.
    public let type: EntityType
    /// The fields, in declaration order.
    public let fields: [Field]
    /// Composite indexes: each an ordered list of field names.
    public let indexes: [[String]]
    /// A short description for `max schema` and agents.
    public let summary: String?

    /// Creates an entity definition.
    ///
    /// - Parameters:
    ///   - type: The entity type's name.
    ///   - fields: The fields, in the order `max schema` and outputs show them.
    ///   - indexes: Composite indexes, for queries that filter on one field and order by another.
    ///   - summary: A short description.
    public init(_ type: EntityType, fields: [Field], indexes: [[String]] = [], summary: String? = nil) {
        self.type = type
        self.fields = fields
        self.indexes = indexes
        self.summary = summary
    }

    /// The entity type's name.
    public var name: String { type.name }

    /// The field named `name`, if the entity has one.
    public func field(named name: String) -> Field? {
        fields.first { $0.name == name }
    }

    /// The fields kept in the entity's own row (every field but collections).
    public var rowFields: [Field] { fields.filter(\.type.isStoredInRow) }

    /// The collection fields.
    public var collectionFields: [Field] { fields.filter { !$0.type.isStoredInRow } }
}
