public import Foundation
import GRDB
public import MaxCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
    /// Whether the store was opened for reading only (``openForReading(at:)``): writes fail.
    public let isReadOnly: Bool

    let writer: any DatabaseWriter
    let definitions: [EntityType: EntityDef]
    /// The types being bulk-loaded without their key index (see ``deferIndexesOfEmptyTables()``).
    let loading = Mutex<Set<EntityType>>([])

    private init(writer: any DatabaseWriter, schema: Schema, url: URL?) throws {
        try schema.validate()
        self.writer = writer
        self.schema = schema
        self.url = url
        self.isReadOnly = false
        self.definitions = Dictionary(schema.entities.map { ($0.type, $0) }, uniquingKeysWith: { first, _ in first })
        do {
            try StoreMigrations.migrate(writer)
            try writer.write { db in try StoreTables.prepare(schema, in: db) }
        } catch {
            throw MaxError.storage(error, while: "preparing the database")
        }
    }

    private init(reader: any DatabaseWriter, schema: Schema, url: URL) {
        self.writer = reader
        self.schema = schema
        self.url = url
        self.isReadOnly = true
        self.definitions = Dictionary(schema.entities.map { ($0.type, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Opens (creating if needed) the database at `url` in WAL mode and prepares it for `schema`.
    ///
    /// The folder that holds the file is created if missing, and a new file is created private to
    /// its owner (mode 0600; SQLite gives its `-wal` and `-shm` files the same mode). Another process
    /// may hold the same file open, or be creating it at the same moment: writers wait for each
    /// other up to `busyTimeout`.
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
        return try DirectoryLock.withLock(on: url.deletingLastPathComponent(), shared: false) {
            createPrivateFile(at: url.path)
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
    }

    /// Opens an existing database for reading only, with the schema stored in it.
    ///
    /// Nothing is created or changed: the file may be on a read-only disk, or be written by a sync
    /// in another process at the same time (readers never block it, nor it them). No connector is
    /// needed: the store keeps the definition of every entity type it was written with.
    ///
    /// - Throws: `storage.not_found` when there is no file at `url`; `storage.database_error` when it
    ///   is not a Max database or a stored definition is damaged.
    public static func openForReading(at url: URL, busyTimeout: TimeInterval = 10, readers: Int = 1) throws
        -> EntityStore
    {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MaxError(.storeNotFound, "there is no database at \(url.path)", context: ["path": url.path])
        }
        func configuration() -> Configuration {
            var configuration = Self.configuration(cacheKiB: 2048)
            configuration.readonly = true
            configuration.busyMode = .timeout(busyTimeout)
            return configuration
        }
        func connect(_ path: String) throws -> (DatabaseQueue, Schema) {
            let queue = try DatabaseQueue(path: path, configuration: configuration())
            return (queue, try queue.read(StoreTables.storedSchema))
        }
        // Wait for a writer that is creating the file to finish preparing it.
        return try DirectoryLock.withLock(on: url.deletingLastPathComponent(), shared: true) {
            do {
                if readers > 1 {
                    // Several connections that read at once (a long-lived server's), over the WAL.
                    var pooled = configuration()
                    pooled.maximumReaderCount = readers
                    let pool = try DatabasePool(path: url.path, configuration: pooled)
                    return EntityStore(reader: pool, schema: try pool.read(StoreTables.storedSchema), url: url)
                }
                let (queue, schema) = try connect(url.path)
                return EntityStore(reader: queue, schema: schema, url: url)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CANTOPEN {
                // A WAL database whose folder is read-only (a read-only mount) cannot get its
                // shared-memory file; read it as immutable instead, as SQLite documents for read-only
                // media.
                do {
                    let (queue, schema) = try connect(Self.uri(for: url, query: "immutable=1"))
                    return EntityStore(reader: queue, schema: schema, url: url)
                } catch {
                    throw MaxError.storage(error, while: "opening \(url.path) for reading")
                }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_IOERR {
                // The shared-memory file cannot grow (a full disk, after a failed write left it
                // short): read it without writing to it, the WAL index rebuilt in this process's
                // memory. The WAL's pages are read too, so nothing committed is missed.
                do {
                    let (queue, schema) = try connect(Self.uri(for: url, query: "mode=ro&readonly_shm=1"))
                    return EntityStore(reader: queue, schema: schema, url: url)
                } catch {
                    throw MaxError.storage(error, while: "opening \(url.path) for reading")
                }
            } catch {
                throw MaxError.storage(error, while: "opening \(url.path) for reading")
            }
        }
    }

    /// `file:/path?<query>`, with the path percent-encoded as SQLite's URI syntax requires.
    static func uri(for url: URL, query: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        let path = url.path.addingPercentEncoding(withAllowedCharacters: allowed) ?? url.path
        return "file:\(path)?\(query)"
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

    /// The connection settings, with `cacheKiB` of page cache per connection.
    ///
    /// A reader in a short-lived process gains nothing from a large cache: every page it caches is fresh memory the
    /// kernel has to map (a `max count` over 100,000 rows spent a third of its time so with 16 MiB).
    private static func configuration(cacheKiB: Int = 16384) -> Configuration {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // WAL makes NORMAL durable against corruption; only the last commits can be lost on
            // power failure, and a sync re-fetches those.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA cache_size = -\(cacheKiB)")
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
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw MaxError.storage(error, while: action)
        }
    }

    /// Runs `body` in a read transaction, converting database errors.
    func read<T: Sendable>(_ action: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writer.read(body)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw MaxError.storage(error, while: action)
        }
    }
}

/// Creates an empty file private to its owner (mode 0600) unless one exists, before SQLite opens it,
/// so the database is never readable by others, not even briefly.
func createPrivateFile(at path: String) {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { return }  // it exists: SQLite opens it as it is
    fchmod(descriptor, 0o600)
    close(descriptor)
}
