import Foundation
import MaxCore
import MaxTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A project on a disk that fills up: the sync says so and what to do, and the data already
/// stored can still be read once no byte is left, as it can on a read-only disk.
struct DiskFullTests {
    /// Whether this machine lets the tests mount a small tmpfs (root on Linux).
    static let canMount: Bool = {
        #if os(Linux)
            return getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/bin/mount")
        #else
            return false
        #endif
    }()

    @discardableResult
    static func run(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test(.enabled(if: canMount, "mounting a small tmpfs needs root"))
    func aFullDiskIsReportedAndReadsStillWork() async throws {
        let mountPoint = try TemporaryDirectory(prefix: "full-disk")
        try #require(try Self.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint.url.path]) == 0)
        defer {
            _ = try? Self.run(["umount", mountPoint.url.path])
            withExtendedLifetime(mountPoint) {}
        }
        let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "20", "--tasks-per-project", "300"])
        let project = mountPoint.url.appendingPathComponent("project")
        _ = try await runMax(["init", project.path])
        let connected = try await runMax(
            [
                "-C", project.path, "connect", "acme", "--config", "baseURL=\(acme.url)", "--credential",
                "api_token=env:TOKEN",
            ], environment: ["TOKEN": acme.apiKey])
        try #require(connected.status == 0, "\(connected.output)")

        let synced = try await runMax(["-C", project.path, "sync", "acme", "--progress", "none"])
        #expect(synced.status == 1, "\(synced.output)")
        #expect(synced.stderr.contains("error[storage.disk_full]"), "\(synced.stderr)")
        #expect(synced.stderr.contains("free space on the disk"), "\(synced.stderr)")

        // The shared-memory file cut short, as a failed write can leave it, then no byte left (in
        // this order: cutting it frees pages).
        let shm = project.appendingPathComponent(".max/installations/acme/data.db-shm")
        if FileManager.default.fileExists(atPath: shm.path) { _ = truncate(shm.path, 3) }
        let fillerURL = mountPoint.url.appendingPathComponent("filler")
        _ = FileManager.default.createFile(atPath: fillerURL.path, contents: nil)
        let filler = try FileHandle(forWritingTo: fillerURL)
        for size in [65536, 4096, 512, 1] {
            let block = Data(repeating: 0, count: size)
            while (try? filler.write(contentsOf: block)) != nil {}
        }
        try? filler.close()

        let counted = try await runMax(["-C", project.path, "count", "acme", "AcmeTask"])
        #expect(counted.status == 0, "\(counted.output)")
        #expect((Int(counted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 0, "\(counted.output)")
        let searched = try await runMax(["-C", project.path, "search", "acme", "AcmeTask", "--limit", "3"])
        #expect(searched.status == 0, "\(searched.output)")
        let listed = try await runMax(["-C", project.path, "ls"])
        #expect(listed.status == 0, "\(listed.output)")
        let runs = try JSONValue(parsing: try await runMax(["-C", project.path, "runs", "acme", "-o", "json"]).stdout)
        #expect(runs.arrayValue?.first?["status"] != "running", "\(runs)")
    }
}
