import GRDB
public import MaxCore

extension EntityStore {
    /// Readies the store for a bulk load by dropping the secondary indexes of empty tables.
    ///
    /// The links' index goes too when there is no link, so a first sync writes only the tables;
    /// ``createMissingIndexes()`` builds them again after the load, sorting each once.
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
        return try await write("deferring the indexes of empty tables") { db in
            try StoreTables.dropIndexesOfEmptyTables(for: schema, in: db)
        }
    }

    /// Creates every index the schema calls for that the database lacks.
    ///
    /// Synchronous, so a sync that is being cancelled still leaves its store indexed.
    ///
    /// - Throws: `storage.*` when the database fails.
    public func createMissingIndexes() throws {
        do {
            try writer.write { db in try StoreTables.createMissingIndexes(for: schema, in: db) }
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
