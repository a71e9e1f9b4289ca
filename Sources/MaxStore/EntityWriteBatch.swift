public import Foundation
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
    /// Collections read to the end: members not stored since the given time are gone upstream.
    public var sweeps: [Sweep]
    /// Memberships to set: each makes its member belong to exactly the owners given, among the
    /// entities of the owner type, in that collection field (a task moved to another project).
    public var memberships: [Membership]
    /// Types whose live entities are exactly the ids given: the others are tombstoned.
    public var exactSets: [ExactSet] = []

    /// The complete set of ids of one entity type at the source.
    public struct ExactSet: Sendable, Hashable {
        /// The entity type.
        public var type: EntityType
        /// Every id that exists at the source; stored entities of the type not among them are gone.
        public var ids: [String]

        /// Creates an exact set.
        public init(type: EntityType, ids: [String]) {
            self.type = type
            self.ids = ids
        }
    }

    /// The collections of one owner type that hold a member, replacing those it was in.
    public struct Membership: Sendable, Hashable {
        /// The member.
        public var member: Ref
        /// The owner type, such as `AcmeProject`.
        public var ownerType: EntityType
        /// The collection field, such as `tasks`.
        public var field: String
        /// The ids of the owners that hold the member now.
        public var owners: [String]

        /// Creates a membership.
        public init(member: Ref, ownerType: EntityType, field: String, owners: [String]) {
            self.member = member
            self.ownerType = ownerType
            self.field = field
            self.owners = owners
        }
    }

    /// A collection whose stale members are tombstoned and unlinked.
    public struct Sweep: Sendable, Hashable {
        /// The collection's owner.
        public var owner: Ref
        /// The collection field.
        public var field: String
        /// Members last stored before this (the start of the sync that read the whole collection)
        /// were not listed this time.
        public var notSyncedSince: Date

        /// Creates a sweep.
        public init(owner: Ref, field: String, notSyncedSince: Date) {
            self.owner = owner
            self.field = field
            self.notSyncedSince = notSyncedSince
        }
    }

    /// Creates a batch.
    public init(
        upserts: [EntityInput] = [], links: [Links] = [], deletions: [Ref] = [], sweeps: [Sweep] = [],
        memberships: [Membership] = []
    ) {
        self.upserts = upserts
        self.links = links
        self.deletions = deletions
        self.sweeps = sweeps
        self.memberships = memberships
    }

    /// Whether the batch writes nothing.
    public var isEmpty: Bool {
        upserts.isEmpty && links.isEmpty && deletions.isEmpty && sweeps.isEmpty && memberships.isEmpty
            && exactSets.isEmpty
    }
}
