public import Foundation
public import MaxCore
public import MaxQuery

/// What every store of entities answers, whatever its database: searches, counts and pages of
/// cursors, and writes of entities and tombstones.
///
/// The SQLite store (`MaxStorage`'s `EntityStore`) and the PostgreSQL one (`MaxPostgresStore`)
/// implement it, compiling the same queries through ``SQLCompiler``: the storage contract tests
/// hold both to the same answers.
public protocol EntityStoring: Sendable {
    /// The schema the store holds.
    var storedSchema: Schema { get async }

    /// One page of `query`'s results, with a cursor when more follow.
    func page(_ query: Query) async throws -> Page<EntityRecord>

    /// How many entities `query` matches, ignoring its cursor and limit.
    func count(_ query: Query) async throws -> Int

    /// How many entities `query` matches for each combination of the values of its selected
    /// fields (`status`, `assignee.displayName`), most first: `GROUP BY` without SQL.
    func countGroups(_ query: Query) async throws -> [GroupCount]

    /// Inserts or updates entities: the fields each input gives are set, the others kept; a
    /// tombstoned entity comes back; a collection field given replaces its members.
    func upsert(_ inputs: [EntityInput], at date: Date) async throws

    /// Tombstones entities and takes them out of every collection that held them.
    func markDeleted(_ refs: [Ref], at date: Date) async throws

    /// Which of `ids` are stored as live entities of `type` (tombstones excluded).
    func existingIDs(of type: EntityType, among ids: [String]) async throws -> Set<String>

    /// Removes the entities `query` matches for good, with the collection members they own (no
    /// tombstone is left): for purges after a retention period. Collections of other entities
    /// that listed them keep their ids.
    ///
    /// - Returns: How many entities were removed.
    func erase(_ query: Query) async throws -> Int
}

/// One group of ``EntityStoring/countGroups(_:)``: the values its fields share, and how many.
public struct GroupCount: Sendable, Hashable {
    /// The values, in the order of the query's fields.
    public var values: [FieldValue]
    /// How many entities have them.
    public var count: Int

    /// A group.
    public init(values: [FieldValue], count: Int) {
        self.values = values
        self.count = count
    }
}

extension EntityStoring {
    /// Every entity `query` matches from its cursor on, read a page of `batchSize` at a time
    /// through ``page(_:)``: memory stays bounded however many match.
    public func pages(of query: Query, batchSize: Int = 1000) -> EntityPages {
        EntityPages(store: self, query: query, batchSize: max(1, batchSize))
    }
}

/// The entities a query matches, a page at a time, from any store.
public struct EntityPages: AsyncSequence, Sendable {
    /// The element type.
    public typealias Element = EntityRecord

    let store: any EntityStoring
    let query: Query
    let batchSize: Int

    /// Makes an iterator that starts at the query's cursor.
    public func makeAsyncIterator() -> Iterator {
        var first = query
        first.limit = batchSize
        return Iterator(store: store, query: first)
    }

    /// Reads the next page when the current one runs out.
    public struct Iterator: AsyncIteratorProtocol {
        let store: any EntityStoring
        var query: Query
        var buffer: [EntityRecord] = []
        var position = 0
        var isFinished = false

        /// The next entity, or `nil` after the last.
        public mutating func next() async throws -> EntityRecord? {
            if position == buffer.count {
                guard !isFinished else { return nil }
                try Task.checkCancellation()
                let page = try await store.page(query)
                buffer = page.items
                position = 0
                query.cursor = page.cursor
                isFinished = !page.hasMore || page.cursor == nil
                if buffer.isEmpty { return nil }
            }
            defer { position += 1 }
            return buffer[position]
        }
    }
}
