import Foundation
import MaxCore
import MaxRuntime
import MaxTestSupport
import Testing

/// The local node keeps one store open per installation across calls, and notices when the file
/// behind it is written by another sync or replaced.
struct LocalNodeTests {
    @Test func aKeptStoreSeesNewSyncsAndAReplacedFile() async throws {
        let fixture = try await RemoteNodeTests.Fixture()
        let local = MaxNodes(local: fixture.local.local.longLived())
        let count = CountRequest(installation: "git", entityType: "GitCommit")
        #expect(try await local.count(count).count == 30)
        let data = try local.workspace.project.dataURL("git")
        let saved = fixture.folder.url.appendingPathComponent("saved.db")
        try FileManager.default.copyItem(at: data, to: saved)

        // Ten more commits, synced by another process: the kept store answers with them.
        var stream = GitHistoryTests.FastImport()
        let tip = try GitConnectorTests.git(fixture.repo.url, ["rev-parse", "main"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        for index in 31...40 {
            stream.commit(
                Array("Commit \(index)".utf8), at: 1_700_000_000 + index * 60, files: [("g.txt", "\(index)")],
                parent: index == 31 ? tip : nil)
        }
        try GitHistoryTests.load(stream, into: fixture.repo.url)
        _ = try await GitHistoryTests.sync(fixture.folder)
        #expect(try await local.count(count).count == 40)

        // The file replaced by the copy from before: the answer is the copy's.
        for suffix in ["-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: data.path + suffix)
        }
        #expect(rename(saved.path, data.path) == 0)
        #expect(try await local.count(count).count == 30)
    }
}
