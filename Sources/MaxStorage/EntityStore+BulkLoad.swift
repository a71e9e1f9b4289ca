import GRDB
public import MaxCore
import Synchronization

extension EntityStore {
    /// Readies the store for a bulk load by dropping the indexes of empty tables.
    ///
    /// Their key index goes too (for tables made with one of their own), and the links' index when
    /// there is no link, so a first sync appends rows and nothing else: until the key index is
    /// built again, writes to those tables insert without merging, and sweeps find nothing stale
    /// in them. ``createMissingIndexes(skippingEmptyTables:)`` builds them again, sorting each once.
    ///
    /// Tables that already hold data keep their indexes: a later sync merges into them. Queries stay
    /// correct while indexes are missing, only slower; opening the store for writing builds any
    /// index a load left missing (a killed sync's, say).
    ///
    /// - Returns: The entity types whose indexes were dropped.
    /// - Throws: `storage.*` when the database fails.
    @discardableResult
    public func deferIndexesOfEmptyTables() async throws -> [EntityType] {
        let schema = schema
        let (dropped, keyless) = try await write("deferring the indexes of empty tables") { db in
            try StoreTables.dropIndexesOfEmptyTables(for: schema, in: db)
        }
        loading.withLock { $0.formUnion(keyless) }
        return dropped
    }

    /// Creates every index the schema calls for that the database lacks.
    ///
    /// Synchronous, so a sync that is being cancelled still leaves its store indexed.
    ///
    /// - Parameter skippingEmptyTables: Leave the tables that hold no row deferred (a sync calls
    ///   this after each step, so the next steps merge into the tables loaded so far).
    /// - Throws: `storage.*` when the database fails.
    public func createMissingIndexes(skippingEmptyTables: Bool = false) throws {
        do {
            let schema = schema
            let keyless = try writer.write { db in
                try StoreTables.createMissingIndexes(for: schema, in: db, skippingEmptyTables: skippingEmptyTables)
                return try StoreTables.typesWithoutKeyIndex(in: schema, db: db)
            }
            loading.withLock { $0 = $0.intersection(keyless) }
        } catch {
            throw MaxError.storage(error, while: "building indexes")
        }
    }
}

extension EntityStore {
    /// The names of the secondary indexes in the database (SQLite's automatic key indexes
    /// excluded), sorted: for diagnostics and tests.
    ///
    /// - Throws: `storage.*` when the database fails.
    public func indexNames() async throws -> [String] {
        try await read("listing indexes") { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT name FROM sqlite_master
                    WHERE type = 'index' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name
                    """)
        }
    }
}
