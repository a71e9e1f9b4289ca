import Foundation
import GRDB
import MaxCore
import Synchronization

/// Creates and evolves the entity tables for a schema.
///
/// - A new entity type gets a table: `_id` (unique through an index of its own, `<Type>___id`, so a
///   first sync can load the table without it), a typed column per row field, `_synced_at`,
///   `_deleted_at`. Tables made before that declare `_id` their primary key, and keep it.
/// - A new field gets a column (`ALTER TABLE … ADD COLUMN`); rows keep their data and read null.
/// - A field whose type changed keeps its old column under a new name (`title__was_integer`), so no
///   data is lost, and gets a fresh column.
/// - Removed fields keep their columns.
/// - Ref fields, fields declared `indexed`, and composite indexes get indexes, each ending with
///   `_deleted_at` so that a count they serve reads no row; so do the live (not tombstoned) rows,
///   for counting.
enum StoreTables {
    static func prepare(_ schema: Schema, in db: Database) throws {
        let now = Date().storedMilliseconds
        for def in schema.entities {
            let previous = try storedDefinition(of: def.type, in: db)
            for field in def.collectionFields
            where field.inverse != nil && previous?.field(named: field.name)?.inverse == nil {
                // Read through its members' ref from now on: the links kept before are not needed.
                try db.execute(
                    sql: "DELETE FROM _max_links WHERE owner_type = ? AND field = ?", arguments: [def.name, field.name])
            }
            if try db.tableExists(def.name) {
                try evolve(def, previous: previous, in: db)
            } else {
                try create(def, in: db)
            }
            let definition = try String(decoding: JSONEncoder().encode(def), as: UTF8.self)
            try db.execute(
                sql: """
                    INSERT INTO _max_entity_types (name, definition, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at
                    """,
                arguments: [def.name, definition, now])
        }
        try createMissingIndexes(for: schema, in: db)
    }

    /// Creates every index `schema` calls for that the database lacks (after a bulk load, or one
    /// cut short): each entity table's, and the links' index by member.
    ///
    /// - Parameters:
    ///   - schema: The schema whose indexes to build.
    ///   - db: The database, in a write transaction.
    ///   - skippingEmptyTables: Leave the tables that hold no row as they are (still loading,
    ///     later in the sync), and the links' index.
    /// - Throws: A database error.
    static func createMissingIndexes(for schema: Schema, in db: Database, skippingEmptyTables: Bool = false) throws {
        for def in schema.entities where try db.tableExists(def.name) {
            if try skippingEmptyTables && isEmpty(def, in: db) { continue }
            try createIndexes(for: def, in: db)
        }
        if !skippingEmptyTables {
            try db.execute(
                sql: "CREATE INDEX IF NOT EXISTS \(linksByTarget) ON _max_links (owner_type, field, target_id)")
        }
    }

    /// The entity types whose table lacks its key index: loaded without one, not built yet.
    static func typesWithoutKeyIndex(in schema: Schema, db: Database) throws -> Set<EntityType> {
        var types: Set<EntityType> = []
        for def in schema.entities where try db.tableExists(def.name) && !hasInlineKey(def, in: db) {
            if try !db.indexes(on: def.name).contains(where: { $0.name == keyIndexName(def) }) {
                types.insert(def.type)
            }
        }
        return types
    }

    private static func isEmpty(_ def: EntityDef, in db: Database) throws -> Bool {
        try Int.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(def.name.quoted))") == 0
    }

    /// The links' index by member, which sweeps and deletions use.
    static let linksByTarget = "_max_links_by_target"

    /// Drops the secondary indexes of the tables of `schema` that hold no row.
    ///
    /// The links' index goes too when there is no link, so a first sync writes only the tables.
    /// ``createMissingIndexes(for:in:)`` builds them again in one pass each, which costs far less
    /// than keeping them up to date row by row.
    ///
    /// - Returns: The entity types whose indexes it dropped.
    static func dropIndexesOfEmptyTables(for schema: Schema, in db: Database) throws -> (
        dropped: [EntityType], keyless: [EntityType]
    ) {
        var dropped: [EntityType] = []
        var keyless: [EntityType] = []
        for def in schema.entities where try db.tableExists(def.name) {
            guard try isEmpty(def, in: db) else { continue }
            let hadKey = try db.indexes(on: def.name).contains { $0.name == keyIndexName(def) }
            if try dropMaxIndexes(on: def, in: db) > 0 { dropped.append(def.type) }
            if hadKey { keyless.append(def.type) }
        }
        if try Int.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM _max_links)") == 0 {
            try db.execute(sql: "DROP INDEX IF EXISTS \(linksByTarget)")
        }
        return (dropped, keyless)
    }

    private static func storedDefinition(of type: EntityType, in db: Database) throws -> EntityDef? {
        guard
            let text = try String.fetchOne(
                db, sql: "SELECT definition FROM _max_entity_types WHERE name = ?", arguments: [type.name])
        else { return nil }
        return try decodeDefinition(text, of: type.name)
    }

    /// The schema a database was written with: every entity type's stored definition.
    ///
    /// - Throws: `storage.database_error` when the file is not a Max database or a definition is
    ///   damaged.
    static func storedSchema(in db: Database) throws -> Schema {
        guard try db.tableExists("_max_entity_types") else {
            throw MaxError(
                .databaseError, "the file is not a Max database (it has no entity types)",
                hint: "the data can be rebuilt: remove the installation's data.db and sync again")
        }
        let rows = try Row.fetchAll(db, sql: "SELECT name, definition FROM _max_entity_types ORDER BY name")
        let table = "_max_entity_types"
        let entities = try rows.map { row in
            try decodeDefinition(
                row.value(Column("definition"), in: table), of: row.value(Column("name"), in: table))
        }
        return Schema(namespace: "", entities: entities)
    }

    /// Stored definitions already decoded in this process, by their exact text.
    ///
    /// Every read opens the store and reads its schema; decoding the definitions with `JSONDecoder`
    /// was most of what opening cost, and a long-running `max serve` opens a store per request. The
    /// same text always decodes to the same definition, so a hit can never be stale.
    private static let decoded = Mutex<[String: EntityDef]>([:])

    private static func decodeDefinition(_ text: String, of name: String) throws -> EntityDef {
        if let def = decoded.withLock({ $0[text] }) { return def }
        do {
            let def = try JSONDecoder().decode(EntityDef.self, from: Data(text.utf8))
            decoded.withLock { cache in
                // Bounded: a process that meets this many definitions starts over.
                if cache.count >= 1024 { cache.removeAll() }
                cache[text] = def
            }
            return def
        } catch {
            throw MaxError(
                .databaseError, "the stored definition of \(name) is damaged",
                hint: "the data can be rebuilt: remove the installation's data.db and sync again",
                context: ["entityType": name], cause: DatabaseFailure(error))
        }
    }

    private static func create(_ def: EntityDef, in db: Database) throws {
        var columns = ["\(MetaField.id.rawValue.quoted) TEXT NOT NULL"]
        columns += def.rowFields.map { "\($0.name.quoted) \($0.type.columnType)" }
        columns.append("\(MetaField.syncedAt.rawValue.quoted) INTEGER")
        columns.append("\(MetaField.deletedAt.rawValue.quoted) INTEGER")
        try db.execute(sql: "CREATE TABLE \(def.name.quoted) (\(columns.joined(separator: ", ")))")
    }

    private static func evolve(_ def: EntityDef, previous: EntityDef?, in db: Database) throws {
        var existing = Set(try db.columns(in: def.name).map { $0.name.lowercased() })
        var droppedIndexes = false
        for field in def.rowFields {
            let name = field.name.lowercased()
            if existing.contains(name), let old = previous?.field(named: field.name),
                old.type.columnType != field.type.columnType || old.type.target != field.type.target
            {
                if !droppedIndexes {
                    try dropMaxIndexes(on: def, in: db)
                    droppedIndexes = true
                }
                var kept = "\(field.name)__was_\(old.type.columnType.lowercased())"
                var suffix = 2
                while existing.contains(kept.lowercased()) {
                    kept = "\(field.name)__was_\(old.type.columnType.lowercased())_\(suffix)"
                    suffix += 1
                }
                try db.execute(
                    sql: "ALTER TABLE \(def.name.quoted) RENAME COLUMN \(field.name.quoted) TO \(kept.quoted)")
                existing.insert(kept.lowercased())
                existing.remove(name)
            }
            if !existing.contains(name) {
                try db.execute(
                    sql: "ALTER TABLE \(def.name.quoted) ADD COLUMN \(field.name.quoted) \(field.type.columnType)")
                existing.insert(name)
            }
        }
    }

    /// Creates the unique index on `_id`.
    ///
    /// A table loaded without it may hold an entity twice (listed by two collections while it moved
    /// between them): the row written last is kept.
    private static func createKeyIndex(for def: EntityDef, in db: Database) throws {
        let create = """
            CREATE UNIQUE INDEX IF NOT EXISTS \(keyIndexName(def).quoted) ON \(def.name.quoted) (\(MetaField.id.rawValue.quoted))
            """
        do {
            try db.execute(sql: create)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            try db.execute(
                sql: """
                    DELETE FROM \(def.name.quoted) WHERE rowid NOT IN (
                        SELECT max(rowid) FROM \(def.name.quoted) GROUP BY \(MetaField.id.rawValue.quoted))
                    """)
            try db.execute(sql: create)
        }
    }

    /// The unique index on `_id` of a table created without an inline primary key.
    static func keyIndexName(_ def: EntityDef) -> String { indexName(def, ["_id"]) }

    /// Whether the table declares `_id` its primary key inline (tables created before keys became
    /// separate indexes), whose key index cannot be dropped.
    static func hasInlineKey(_ def: EntityDef, in db: Database) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM pragma_index_list(?) WHERE origin = 'pk')", arguments: [def.name])
            ?? false
    }

    static func indexName(_ def: EntityDef, _ columns: [String]) -> String {
        "\(def.name)__\(columns.joined(separator: "__"))"
    }

    @discardableResult
    private static func dropMaxIndexes(on def: EntityDef, in db: Database) throws -> Int {
        let names = try String.fetchAll(
            db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name LIKE ? ESCAPE '\\'",
            arguments: [def.name, def.name.replacingOccurrences(of: "_", with: "\\_") + "\\_\\_%"])
        for name in names {
            try db.execute(sql: "DROP INDEX IF EXISTS \(name.quoted)")
        }
        return names.count
    }

    private static func createIndexes(for def: EntityDef, in db: Database) throws {
        // A composite index serves lookups on its first column too: skip a single-column index that
        // one already covers, since every index costs each write.
        if try !hasInlineKey(def, in: db) { try createKeyIndex(for: def, in: db) }
        let leading = Set(def.indexes.compactMap(\.first))
        var indexes = def.rowFields.filter { ($0.isIndexed || $0.type.target != nil) && !leading.contains($0.name) }
            .map { [$0.name] }
        indexes += def.indexes
        // Each ends with `_deleted_at`, so a count whose filter the index serves reads only the
        // index: the tombstone test needs no row. (Stores made before had the same indexes
        // without it, under the name without the suffix: those go.)
        let deletedAt = MetaField.deletedAt.rawValue
        for columns in indexes {
            let list = (columns + [deletedAt]).map(\.quoted).joined(separator: ", ")
            try db.execute(sql: "DROP INDEX IF EXISTS \(indexName(def, columns).quoted)")
            try db.execute(
                sql:
                    "CREATE INDEX IF NOT EXISTS \(indexName(def, columns + [deletedAt]).quoted) ON \(def.name.quoted) (\(list))"
            )
        }
        // The live rows, in a small index that covers `count` without a filter (every query hides
        // tombstones), so counting a million entities reads a few megabytes, not the table.
        try db.execute(
            sql: """
                CREATE INDEX IF NOT EXISTS \(indexName(def, ["_live"]).quoted) ON \(def.name.quoted) (\(deletedAt.quoted))
                WHERE \(deletedAt.quoted) IS NULL
                """)
    }
}
