public import Foundation
import GRDB
public import MaxCore
public import MaxQuery
public import MaxStore
import Synchronization

extension EntityStore {
    /// Merges `inputs` into the store in one transaction.
    ///
    /// Each input writes only the fields it carries; other fields keep their stored values. An input
    /// for a tombstoned entity brings it back. A collection field given as
    /// ``FieldValue/refs(_:)`` replaces that collection's members.
    ///
    /// - Parameters:
    ///   - inputs: The entities to store.
    ///   - date: The time recorded as their `_synced_at`.
    /// - Throws: `schema.unknown_entity_type`, `storage.unknown_field` or `storage.type_mismatch` for
    ///   a bad input, in which case nothing is written.
    public func upsert(_ inputs: [EntityInput], at date: Date = Date()) async throws {
        try await write(EntityWriteBatch(upserts: inputs), at: date)
    }

    /// Applies a whole batch (upserts, links, memberships, deletions, sweeps) and saves
    /// `checkpoints` (an incremental sync's position, say) in one transaction.
    ///
    /// - Throws: as ``upsert(_:at:)``; nothing is written when anything fails.
    public func write(_ batch: EntityWriteBatch, checkpoints: [String: String] = [:], at date: Date = Date())
        async throws
    {
        let writer = entityWriter
        _ = try await write("storing entities") { db in
            let written = try writer.apply(batch, in: db, at: date)
            for (scope, value) in checkpoints {
                try SyncStateRows.setCheckpoint(scope, value, at: date.storedMilliseconds, in: db)
            }
            return written
        }
    }

    /// Which of `ids` are stored as entities of `type` (tombstones excluded).
    public func existingIDs(of type: EntityType, among ids: [String]) async throws -> Set<String> {
        let def = try definition(of: type)
        guard !ids.isEmpty else { return [] }
        return try await read("checking stored \(def.name)") { db in
            var found: Set<String> = []
            let statement = try db.cachedStatement(
                sql: "SELECT 1 FROM \(def.name.quoted) WHERE \"_id\" = ? AND \"_deleted_at\" IS NULL")
            for id in Set(ids) where try Bool.fetchOne(statement, arguments: [id]) == true {
                found.insert(id)
            }
            return found
        }
    }

    /// Removes the entities `query` matches for good, with the collection members they own.
    ///
    /// - Returns: How many entities were removed.
    /// - Throws: `query.*` errors for a query the schema does not allow; `storage.database_error`.
    public func erase(_ query: Query) async throws -> Int {
        let statements = QueryCompiler(try query.checked(against: schema)).erase()
        return try await write("removing \(query.entityType) for good") { db in
            var removed = 0
            for statement in statements {
                try db.execute(sql: statement.sql, arguments: statement.statementArguments)
                removed = db.changesCount
            }
            return removed
        }
    }

    /// Tombstones the entities: they stay stored but are hidden from queries unless deleted entities are asked for.
    ///
    /// Storing an entity again brings it back.
    public func markDeleted(_ refs: [Ref], at date: Date = Date()) async throws {
        try await write(EntityWriteBatch(deletions: refs), at: date)
    }

    /// Adds members to a collection, keeping the ones it has.
    public func link(_ owner: Ref, _ field: String, to targets: [Ref]) async throws {
        try await write(EntityWriteBatch(links: [.init(owner: owner, field: field, targets: targets)]))
    }

    var entityWriter: EntityWriter {
        EntityWriter(definitions: definitions, schema: schema, loading: loading.withLock { $0 })
    }
}
