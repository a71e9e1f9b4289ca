/// The metadata every stored entity has besides its declared fields.
///
/// Meta fields start with `_`, which declared fields may not, so the two never collide.
public enum MetaField: String, Sendable, CaseIterable {
    /// The entity's id.
    case id = "_id"
    /// When Max last stored data for the entity.
    case syncedAt = "_synced_at"
    /// When the entity was found deleted upstream (a tombstone); `nil` for live entities.
    case deletedAt = "_deleted_at"

    /// The type values of this field have.
    public var type: FieldType {
        switch self {
        case .id: .string
        case .syncedAt, .deletedAt: .date
        }
    }

    /// The field as a ``Field``, so meta fields can be handled like declared ones.
    public var field: Field { Field(rawValue, type) }
}
