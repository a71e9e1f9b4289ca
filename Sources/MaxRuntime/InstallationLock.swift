import Foundation
import MaxCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one-writer lock of an installation: an exclusive `flock` on
/// `.max/installations/<name>/sync.lock`, held by the process that syncs (or disconnects) it.
///
/// The kernel releases it when the process exits, however it exits, so a killed sync never leaves
/// it stuck. The file names the holder (`pid 1234 since 2026-11-24T09:30:00.000Z`) for the error a
/// second writer gets. Readers never take it: searches and counts run during a sync.
public final class InstallationLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Takes the lock of `name`, or fails at once if another process holds it.
    ///
    /// - Throws: `sync.already_running`, naming the holder; path errors of ``Project/installationURL(_:)``.
    public static func acquire(_ name: String, in project: Project, for action: String) throws -> InstallationLock {
        let url = try project.prepareInstallationFolder(name).appendingPathComponent("sync.lock")
        try project.refuseLink(at: url)
        let descriptor = open(url.path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw MaxError(
                .projectWriteFailed, "cannot open \(url.path): \(String(cString: strerror(errno)))",
                context: ["path": url.path])
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.contents(of: descriptor)
            close(descriptor)
            throw MaxError(
                .syncAlreadyRunning,
                "cannot \(action): another Max process is syncing it" + (holder.isEmpty ? "" : " (\(holder))"),
                hint: "wait for that sync to finish, or stop it; searches and counts work meanwhile",
                context: ["installation": name, "holder": holder])
        }
        let holder = "pid \(getpid()) since \(ISO8601.format(Date()))"
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, holder, holder.utf8.count, 0)
        return InstallationLock(descriptor: descriptor)
    }

    /// Who holds the lock of `name` (`pid 1234 since …`), or `nil` when no process does.
    public static func holder(of name: String, in project: Project) -> String? {
        guard let url = try? project.installationURL(name).appendingPathComponent("sync.lock") else { return nil }
        let descriptor = open(url.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 { return nil }  // free (closing releases it)
        return contents(of: descriptor)
    }

    private static func contents(of descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 200)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
    }
}
