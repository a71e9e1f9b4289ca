public import MaxCore

/// How a connector reports what changed at its source since a position, for incremental syncs.
///
/// A full sync takes the feed's ``position`` before it reads anything, and keeps it once it
/// completes; later syncs ask for the ``changes`` after it and apply only those, deletions included,
/// committing each page with the new position. Changes made during the full sync are read again by
/// the next incremental one, which merging upserts make harmless.
///
/// ```swift
/// ChangeFeed(
///     position: { context in String(try await context.client.latestSequence()) },
///     changes: { after, context in try await context.client.changes(since: after) })
/// ```
public struct ChangeFeed<Context: Sendable>: Sendable {
    /// The feed's end now.
    public let position: @Sendable (Context) async throws -> String
    /// The changes after a position, one page at a time.
    public let changes: @Sendable (_ after: String, Context) async throws -> ChangePage

    /// Creates a feed.
    public init(
        position: @escaping @Sendable (Context) async throws -> String,
        changes: @escaping @Sendable (_ after: String, Context) async throws -> ChangePage
    ) {
        self.position = position
        self.changes = changes
    }
}

/// One page of a change feed.
public struct ChangePage: Sendable {
    /// The changes, oldest first.
    public var changes: [Change]
    /// The position after the last of them.
    public var position: String
    /// Whether more changes follow.
    public var hasMore: Bool

    /// Creates a page.
    public init(changes: [Change], position: String, hasMore: Bool) {
        self.changes = changes
        self.position = position
        self.hasMore = hasMore
    }
}

/// One change at a source.
public enum Change: Sendable, Hashable {
    /// An entity was created or changed: its fields (merged into what is stored) and the collections
    /// that hold it now, among the entities of each owner type.
    ///
    /// An upsert whose memberships name no stored owner is outside what the installation syncs
    /// (another workspace's task, say) and is skipped.
    case upsert(EntityInput, memberships: [Membership])
    /// An entity was deleted: it becomes a tombstone and leaves every collection.
    case delete(Ref)
    /// The entities of a type at the source are exactly these now: every stored one not among them
    /// was deleted upstream (it becomes a tombstone and leaves every collection); the ids listed
    /// are not written. For a source that can list every id it holds cheaply (the commits a git
    /// repository reaches), which makes deletions exact however the source got there.
    case exactly(EntityType, ids: [String])

    /// The collection `field` of entities of `ownerType` that hold the member: exactly `owners`.
    public struct Membership: Sendable, Hashable {
        /// The owner type.
        public var ownerType: EntityType
        /// The collection field.
        public var field: String
        /// The owners' ids.
        public var owners: [String]

        /// Creates a membership.
        public init(_ ownerType: EntityType, _ field: String, owners: [String]) {
            self.ownerType = ownerType
            self.field = field
            self.owners = owners
        }
    }
}
