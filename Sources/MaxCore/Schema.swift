/// A connector's data model: its entity types, which of them are roots, and the relationships
/// between them.
///
/// A schema is plain data, passable without the connector that declares it. Creating one does not
/// check it; ``validate()`` does, and the registry and storage call it before using a schema.
///
/// ```swift
/// let schema = Schema(namespace: "acme", entities: [workspace, user, task], roots: [root])
/// schema.definition(of: "AcmeTask")?.fields.count
/// schema.relationships  // [AcmeTask.assignee -> AcmeUser (one), …]
/// ```
public struct Schema: Sendable, Hashable, Codable {
    /// The connector's namespace, such as `acme`.
    public let namespace: String
    /// Every entity type, roots included, in declaration order.
    public let entities: [EntityDef]
    /// The root entity types: where a sync starts.
    public let roots: [EntityType]

    /// Creates a schema.
    ///
    /// Roots are entity types too; a root missing from `entities` is added.
    public init(namespace: String, entities: [EntityDef], roots: [EntityDef] = []) {
        self.namespace = namespace
        let declared = Set(entities.map(\.type))
        self.entities = entities + roots.filter { !declared.contains($0.type) }
        self.roots = roots.map(\.type)
    }

    /// The definition of `type`, if the schema has it.
    public func definition(of type: EntityType) -> EntityDef? {
        entities.first { $0.type == type }
    }

    /// The definition of the type named `name`, if the schema has it.
    public func definition(named name: String) -> EntityDef? {
        definition(of: EntityType(name))
    }

    /// The definition of `type`.
    ///
    /// - Throws: `schema.unknown_entity_type`, listing the types there are.
    public func requireDefinition(of type: EntityType) throws -> EntityDef {
        guard let def = definition(of: type) else {
            throw MaxError(
                .unknownEntityType,
                "there is no entity type '\(type)' in the \(namespace) schema",
                hint: "entity types: \(entityTypes.map(\.name).joined(separator: ", "))",
                context: ["entityType": type.name, "namespace": namespace]
            )
        }
        return def
    }

    /// Every entity type, in declaration order.
    public var entityTypes: [EntityType] { entities.map(\.type) }

    /// The relationships that ref and collection fields declare, in declaration order.
    public var relationships: [Relationship] {
        entities.flatMap { def in
            def.fields.compactMap { field -> Relationship? in
                switch field.type {
                case .ref(let target):
                    Relationship(from: def.type, field: field.name, to: target, cardinality: .one)
                case .collection(let target):
                    Relationship(from: def.type, field: field.name, to: target, cardinality: .many)
                default:
                    nil
                }
            }
        }
    }
}

/// A link from one entity type to another, declared by a ref field (one) or a collection (many).
public struct Relationship: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How many targets one source entity can have.
    public enum Cardinality: String, Sendable, Hashable, Codable {
        /// A ref field: at most one target.
        case one
        /// A collection field: any number of targets.
        case many
    }

    /// The entity type that declares the field.
    public let from: EntityType
    /// The field.
    public let field: String
    /// The entity type the field points at.
    public let to: EntityType
    /// One or many.
    public let cardinality: Cardinality

    /// Creates a relationship.
    public init(from: EntityType, field: String, to: EntityType, cardinality: Cardinality) {
        self.from = from
        self.field = field
        self.to = to
        self.cardinality = cardinality
    }

    /// `AcmeTask.assignee -> AcmeUser (one)`.
    public var description: String { "\(from).\(field) -> \(to) (\(cardinality.rawValue))" }
}
