import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whether a process of this machine still runs: how the stores one machine shares tell a record
/// held by a live process from one its dead process left behind.
public enum ProcessLiveness {
    /// Whether process `pid` still runs (a zombie, dead but not yet reaped, does not).
    @Sendable public static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        #if os(Linux)
            // /proc/<pid>/stat: "pid (name) S …"; the state follows the last ')'.
            if let stat = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
                let text = String(data: stat, encoding: .utf8), let close = text.lastIndex(of: ")")
            {
                return !text[text.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
            }
        #endif
        return true
    }
}
