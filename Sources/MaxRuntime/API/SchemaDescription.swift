public import MaxCore

/// An installation's (or connector's) schema as people and agents read it: its entity types with
/// their fields and types, roots and relationships.
public struct SchemaDescription: Codable, Sendable, Hashable {
    /// One entity type.
    public struct Entity: Codable, Sendable, Hashable {
        /// Its name (`AcmeTask`).
        public var name: String
        /// What it is.
        public var summary: String?
        /// Whether a sync starts from it.
        public var root: Bool
        /// Its fields, in order.
        public var fields: [Field]
    }

    /// One field.
    public struct Field: Codable, Sendable, Hashable {
        /// Its name.
        public var name: String
        /// Its type as shown (`string`, `ref<AcmeUser>`, `[string]`).
        public var type: String
        /// Whether filters and orders on it use an index.
        public var indexed: Bool?
        /// What it holds.
        public var summary: String?
    }

    /// A ref from one entity type's field to another type.
    public struct Relationship: Codable, Sendable, Hashable {
        /// The type holding the ref.
        public var from: String
        /// The field.
        public var field: String
        /// The type referred to.
        public var to: String
        /// `one` or `many`.
        public var cardinality: String
    }

    /// The schema's namespace (the connector's).
    public var namespace: String
    /// Its entity types.
    public var entities: [Entity]
    /// The types a sync starts from.
    public var roots: [String]
    /// Its refs.
    public var relationships: [Relationship]

    /// The description of `schema`.
    public init(_ schema: Schema) {
        namespace = schema.namespace
        entities = schema.entities.map { entity in
            Entity(
                name: entity.name, summary: entity.summary, root: schema.roots.contains(entity.type),
                fields: entity.fields.map {
                    Field(
                        name: $0.name, type: $0.type.displayName, indexed: $0.isIndexed ? true : nil,
                        summary: $0.summary)
                })
        }
        roots = schema.roots.map(\.name)
        relationships = schema.relationships.map {
            Relationship(from: $0.from.name, field: $0.field, to: $0.to.name, cardinality: $0.cardinality.rawValue)
        }
    }
}
