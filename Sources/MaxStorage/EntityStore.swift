public import Foundation
import GRDB
public import MaxCore

/// The local store of one installation: a SQLite database (through GRDB) with a table per entity
/// type, the collection links, and the sync state.
///
/// Open one per database file per process; it is safe to share across tasks. Writes merge
/// (``upsert(_:at:)`` writes only the fields it is given), deletions become tombstones hidden from
/// queries by default, and a schema with new fields adds columns without touching existing data.
///
/// ```swift
/// let store = try EntityStore.open(at: dataURL, schema: acmeSchema)
/// try await store.upsert([EntityInput("AcmeTask", id: "tsk_1", fields: ["title": "Ship it"])])
/// let page = try await store.page(try Query("AcmeTask", filter: #"title ~= "ship""#))
/// ```
///
/// ## Topics
/// - ``upsert(_:at:)``, ``write(_:at:)``, ``markDeleted(_:at:)``
/// - ``page(_:)``, ``count(_:)``, ``records(_:batchSize:)``
public final class EntityStore: Sendable {
    /// The schema the store was prepared for.
    public let schema: Schema
    /// The database file, or `nil` for an in-memory store.
    public let url: URL?

    let writer: any DatabaseWriter
    let definitions: [EntityType: EntityDef]

    private init(writer: any DatabaseWriter, schema: Schema, url: URL?) throws {
        try schema.validate()
        self.writer = writer
        self.schema = schema
        self.url = url
        self.definitions = Dictionary(schema.entities.map { ($0.type, $0) }, uniquingKeysWith: { first, _ in first })
        do {
            try StoreMigrations.migrator().migrate(writer)
            try writer.write { db in try StoreTables.prepare(schema, in: db) }
        } catch {
            throw MaxError.storage(error, while: "preparing the database")
        }
    }

    /// Opens (creating if needed) the database at `url` in WAL mode and prepares it for `schema`.
    ///
    /// The folder that holds the file is created if missing. Another process may hold the same file
    /// open: writers wait for each other up to `busyTimeout`.
    ///
    /// - Throws: `schema.invalid` for an invalid schema; `storage.database_error` when the file
    ///   cannot be opened or is not a database.
    public static func open(at url: URL, schema: Schema, busyTimeout: TimeInterval = 10) throws -> EntityStore {
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw MaxError(
                .databaseError, "cannot create the folder for \(url.path)",
                hint: "check that the folder is writable", context: ["path": url.path], cause: DatabaseFailure(error))
        }
        var configuration = Self.configuration()
        configuration.busyMode = .timeout(busyTimeout)
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: url.path, configuration: configuration)
        } catch {
            throw MaxError.storage(error, while: "opening \(url.path)")
        }
        return try EntityStore(writer: pool, schema: schema, url: url)
    }

    /// Creates a store that lives in memory, for tests and scratch work.
    public static func inMemory(schema: Schema) throws -> EntityStore {
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(configuration: configuration())
        } catch {
            throw MaxError.storage(error, while: "creating an in-memory database")
        }
        return try EntityStore(writer: queue, schema: schema, url: nil)
    }

    private static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // WAL makes NORMAL durable against corruption; only the last commits can be lost on
            // power failure, and a sync re-fetches those.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA cache_size = -16384")  // 16 MiB per connection
            db.add(function: TextFunctions.containsIgnoringCase)
        }
        return configuration
    }

    /// The definition of `type`.
    ///
    /// - Throws: `schema.unknown_entity_type`.
    func definition(of type: EntityType) throws -> EntityDef {
        if let def = definitions[type] { return def }
        return try schema.requireDefinition(of: type)
    }

    /// Runs `body` in a write transaction, converting database errors.
    func write<T: Sendable>(_ action: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writer.write(body)
        } catch {
            throw MaxError.storage(error, while: action)
        }
    }

    /// Runs `body` in a read transaction, converting database errors.
    func read<T: Sendable>(_ action: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writer.read(body)
        } catch {
            throw MaxError.storage(error, while: action)
        }
    }
}
