import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// A project on a read-only disk can still be queried: reads never write.
///
/// Needs a read-only bind mount, which takes root; where `mount` is not allowed the test is skipped.
struct ReadOnlyProjectTests {
    /// A read-only view of a folder at another path, unmounted when released.
    final class ReadOnlyMount: Sendable {
        let url: URL
        private let holder: TemporaryDirectory

        init?(of source: URL) {
            guard let holder = try? TemporaryDirectory(prefix: "ro-mount") else { return nil }
            self.holder = holder
            url = holder.url
            guard Self.mount(["--bind", source.path, url.path]) else { return nil }
            guard Self.mount(["-o", "remount,bind,ro", url.path]) else {
                _ = Self.run("/bin/umount", [url.path])
                return nil
            }
        }

        deinit { _ = Self.run("/bin/umount", [url.path]) }

        static let isAvailable: Bool = {
            guard let folder = try? TemporaryDirectory(prefix: "ro-probe") else { return false }
            return ReadOnlyMount(of: folder.url) != nil
        }()

        private static func mount(_ arguments: [String]) -> Bool { run("/bin/mount", arguments) }

        private static func run(_ tool: String, _ arguments: [String]) -> Bool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
    }

    @Test(.enabled(if: ReadOnlyMount.isAvailable, "needs root to make a read-only bind mount"))
    func queriesWorkOnAReadOnlyDiskAndInitSaysItWroteNothing() async throws {
        let fixture = try await BadInputTests.Fixture()
        let expected = try await runMax(["-C", fixture.directory.path, "count", "acme", "AcmeTask"])
        try #require(expected.status == 0)
        let mount = try #require(ReadOnlyMount(of: fixture.directory))
        let path = mount.url.path
        #expect(!FileManager.default.isWritableFile(atPath: path + "/max.json") || getuid() == 0)

        let count = try await runMax(["-C", path, "count", "acme", "AcmeTask", "-f", #"status != "done""#])
        #expect(count.status == 0, "\(count.stderr)")
        let all = try await runMax(["-C", path, "count", "acme", "AcmeTask"])
        #expect(all.stdout == expected.stdout)
        let search = try await runMax(["-C", path, "search", "acme", "AcmeTask", "--all", "-o", "ndjson"])
        #expect(search.status == 0, "\(search.stderr)")
        #expect(search.stdout.split(separator: "\n").count == Int(expected.stdout.dropLast()))
        let listed = try await runMax(["-C", path, "ls"])
        #expect(listed.status == 0, "\(listed.stderr)")

        let initialised = try await runMax(["init", path, "--force"])
        #expect(initialised.status == 0, "\(initialised.stderr)")
        #expect(initialised.stdout.contains("nothing needed changing"), "\(initialised.stdout)")
        #expect(!initialised.stdout.contains("Initialised"))

        let sync = try await runMax(["-C", path, "sync", "acme"])
        #expect(sync.status == 1, "a sync must write: \(sync.output)")
        #expect(sync.stderr.contains("error["))
    }
}
