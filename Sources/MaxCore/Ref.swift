/// A reference to one entity: its type and its id.
///
/// Refs are what ref fields hold, what loaders are asked to load, and what collections link to.
/// In storage and output a ref is just the target's id; the type comes from the field's definition.
public struct Ref: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The type of the referenced entity.
    public let type: EntityType
    /// The id of the referenced entity, unique within its type.
    public let id: String

    /// Creates a reference.
    public init(_ type: EntityType, _ id: String) {
        self.type = type
        self.id = id
    }

    /// `Type:id`, for logs and messages.
    public var description: String { "\(type.name):\(id)" }
}
