public import MaxCore

/// Everything one unit of sync work writes: entities to merge, collection links to add, and entities found deleted
/// upstream.
///
/// Storage applies a batch in one transaction.
public struct EntityWriteBatch: Sendable, Hashable {
    /// Links to add to a collection (existing links are kept).
    public struct Links: Sendable, Hashable {
        /// The entity that owns the collection.
        public var owner: Ref
        /// The collection field.
        public var field: String
        /// The members to add.
        public var targets: [Ref]

        /// Creates links.
        public init(owner: Ref, field: String, targets: [Ref]) {
            self.owner = owner
            self.field = field
            self.targets = targets
        }
    }

    /// Entities to merge into what is stored: only the given fields are written.
    ///
    /// A collection field given as ``FieldValue/refs(_:)`` replaces that collection's members.
    public var upserts: [EntityInput]
    /// Members to add to collections.
    public var links: [Links]
    /// Entities to tombstone.
    public var deletions: [Ref]

    /// Creates a batch.
    public init(upserts: [EntityInput] = [], links: [Links] = [], deletions: [Ref] = []) {
        self.upserts = upserts
        self.links = links
        self.deletions = deletions
    }

    /// Whether the batch writes nothing.
    public var isEmpty: Bool { upserts.isEmpty && links.isEmpty && deletions.isEmpty }
}
