import Foundation
import MaxCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An advisory lock (`flock`) on a folder, held while a database in it is created or opened.
///
/// SQLite alone does not make a first open safe across processes: switching a new file to WAL mode
/// and applying the migrations can fail with `SQLITE_BUSY` or "table already exists" when two
/// processes do it at once. Writers take the lock exclusively and readers shared, for the few
/// milliseconds opening takes. The kernel releases it when the process dies, so a killed process
/// never leaves it stuck. Locking the folder itself (not a file in it) leaves nothing behind.
enum DirectoryLock {
    /// Runs `body` holding the lock on `folder`: exclusive, or shared when `shared`.
    ///
    /// - Throws: `storage.database_error` when the folder cannot be opened or locked; what `body`
    ///   throws.
    static func withLock<T>(on folder: URL, shared: Bool, _ body: () throws -> T) throws -> T {
        let descriptor = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(folder, errno) }
        defer { close(descriptor) }  // releases the lock
        var result: Int32
        repeat {
            result = flock(descriptor, shared ? LOCK_SH : LOCK_EX)
        } while result != 0 && errno == EINTR
        guard result == 0 else { throw failure(folder, errno) }
        return try body()
    }

    private static func failure(_ folder: URL, _ code: Int32) -> MaxError {
        MaxError(
            .databaseError, "cannot lock \(folder.path) to open its database: \(String(cString: strerror(code)))",
            hint: "check that the folder exists and is readable", context: ["path": folder.path])
    }
}
