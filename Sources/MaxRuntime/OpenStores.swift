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
    }
}
