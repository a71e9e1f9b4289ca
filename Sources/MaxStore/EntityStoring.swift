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

    /// Inserts or updates entities: the fields each input gives are set, the others kept; a
    /// tombstoned entity comes back; a collection field given replaces its members.
    func upsert(_ inputs: [EntityInput], at date: Date) async throws

    /// Tombstones entities and takes them out of every collection that held them.
    func markDeleted(_ refs: [Ref], at date: Date) async throws
}
