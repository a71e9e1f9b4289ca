import Foundation
import Synchronization

/// A few recent answers kept with their `ETag`, to ask for them again conditionally.
///
/// Asking for the same URL again sends `If-None-Match`, and a 304 reuses the kept body. Only small
/// answers (256 KiB) are kept, at most 64, for the life of one installation instance (one command
/// or sync): the listings an incremental sync reads once per child stream.
final class ConditionalCache: Sendable {
    private let entries = Mutex<[String: (etag: String, body: Data)]>([:])
    private static let largest = 256 * 1024
    private static let most = 64

    func answer(for url: String) -> (etag: String, body: Data)? {
        entries.withLock { $0[url] }
    }

    func keep(_ body: Data, etag: String, for url: String) {
        guard body.count <= Self.largest else { return }
        entries.withLock { entries in
            if entries.count >= Self.most, entries[url] == nil, let any = entries.keys.first { entries[any] = nil }
            entries[url] = (etag, body)
        }
    }
}
