import Foundation
import MaxCore
import MaxStorage
import Synchronization

/// The stores this process has open, by file, so calls after the first skip opening SQLite again
/// (an operation call touches three: the installation's data, the operation store, the audit log).
///
/// Entries go when their files are deleted (``evict(under:)``, on disconnect).
enum OpenStores {
    private static let entities = Mutex<[String: EntityStore]>([:])
    private static let operations = Mutex<[String: OperationStore]>([:])
    private static let kept = Mutex<[String: Reader]>([:])

    /// A store open for reading, and what identified its file when it was opened.
    private struct Reader {
        let store: EntityStore
        let file: FileIdentity
        let schemaVersion: Int
    }

    /// A file's device, inode and status-change time.
    ///
    /// A file replaced at the same path (a store rebuilt, an installation disconnected and
    /// connected again) differs in one of them even when the file system reuses the inode number.
    /// A write to the file changes the time too, which costs a reopen, never a stale answer.
    struct FileIdentity: Equatable {
        let device: UInt64
        let inode: UInt64
        let changed: Int
        let changedNanoseconds: Int

        /// The identity of the file at `path`, or `nil` when there is none.
        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            #if canImport(Darwin)
                changed = Int(info.st_ctimespec.tv_sec)
                changedNanoseconds = Int(info.st_ctimespec.tv_nsec)
            #else
                changed = Int(info.st_ctim.tv_sec)
                changedNanoseconds = Int(info.st_ctim.tv_nsec)
            #endif
        }
    }

    /// The store at `url` open for reading, kept for the life of the process (one connection per
    /// installation in a long-lived `max serve`): reopened when the file at `url` is another one,
    /// and when its schema changed (a sync that added a type, or rebuilt an index).
    static func readingStore(at url: URL, readers: Int) async throws -> EntityStore {
        let file = FileIdentity(path: url.path)
        if let file, let reader = kept.withLock({ $0[url.path] }), reader.file == file,
            (try? await reader.store.schemaVersion()) == reader.schemaVersion
        {
            return reader.store
        }
        let store = try EntityStore.openForReading(at: url, readers: readers)
        // The identity of the file that was opened: taken again after opening, so a file replaced
        // in between is not cached under the old one's identity.
        if let opened = FileIdentity(path: url.path), opened == file {
            let version = try await store.schemaVersion()
            kept.withLock { $0[url.path] = Reader(store: store, file: opened, schemaVersion: version) }
        }
        return store
    }

    /// The entity store at `url`, opened by `open` the first time.
    static func entityStore(at url: URL, _ open: () async throws -> EntityStore) async throws -> EntityStore {
        if let store = entities.withLock({ $0[url.path] }) { return store }
        let store = try await open()
        return entities.withLock { cache in
            if let existing = cache[url.path] { return existing }
            cache[url.path] = store
            return store
        }
    }

    /// The operation store at `url`.
    static func operationStore(at url: URL) throws -> OperationStore {
        try operations.withLock { cache in
            if let store = cache[url.path] { return store }
            let store = try OperationStore.open(at: url)
            cache[url.path] = store
            return store
        }
    }

    /// Forgets the stores of files under `folder`.
    static func evict(under folder: URL) {
        let prefix = folder.path.hasSuffix("/") ? folder.path : folder.path + "/"
        entities.withLock { cache in cache = cache.filter { !$0.key.hasPrefix(prefix) } }
        kept.withLock { cache in cache = cache.filter { !$0.key.hasPrefix(prefix) } }
    }
}
