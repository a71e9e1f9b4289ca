public import Foundation

/// Writes files atomically: a temporary file in the same folder, created with its final
/// permissions before any byte is written, then renamed over the target.
public enum AtomicFile {
    /// Why a file could not be written.
    public struct Failure: Error, Sendable {
        /// The file.
        public let path: String
        /// The system's error number.
        public let code: Int32

        /// The system's words for ``code``.
        public var reason: String { String(cString: strerror(code)) }
    }

    /// Writes `data` to `url` with `permissions`, replacing what is there only once all of it is
    /// on disk.
    ///
    /// - Throws: ``Failure`` when the temporary file cannot be made, written or renamed.
    public static func write(_ data: Data, to url: URL, permissions: mode_t) throws {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString.prefix(8)).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, permissions)
        guard descriptor >= 0 else { throw Failure(path: url.path, code: errno) }
        var failed: Int32?
        // The umask may have narrowed the mode: set it exactly.
        if fchmod(descriptor, permissions) != 0 { failed = errno }
        if failed == nil {
            let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
            do {
                try handle.write(contentsOf: data)
                try handle.synchronize()
            } catch {
                failed = EIO
            }
        }
        close(descriptor)
        if failed == nil, rename(temporary.path, url.path) != 0 { failed = errno }
        if let failed {
            unlink(temporary.path)
            throw Failure(path: url.path, code: failed)
        }
    }
}
