import Foundation
import MCP
import MaxCore
import MaxRuntime
import MaxTestSupport
import Testing

@testable import MaxMCP

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

/// The MCP tools through the SDK's own client and server over its in-memory transport: the
/// table's tools, their answers equal to the API's, their errors in Max's one form.
struct MCPInMemoryTests {
    @Test func theToolsAnswerAsTheAPIDoes() async throws {
        let fixture = try await RemoteNodeTests.Fixture()
        let api = fixture.local
        let server = await MaxMCPServer(api: api).server()
        let (clientSide, serverSide) = await InMemoryTransport.createConnectedPair()
        try await server.start(transport: serverSide)
        let client = Client(name: "test", version: "1")
        _ = try await client.connect(transport: clientSide)

        let (tools, _) = try await client.listTools()
        #expect(
            Set(tools.map(\.name))
                == Set(MaxTools(allowed: MaxTools.allowed(sync: false, operations: false)).offered.map(\.name)))
        let arguments: [String: Value] = [
            "installation": "git", "entityType": "GitCommit", "filter": #"subject ~= "1""#,
        ]
        let counted = try await client.callTool(name: "max_count", arguments: arguments)
        #expect(counted.isError != true)
        let expected = try await api.count(
            CountRequest(installation: "git", entityType: "GitCommit", filter: #"subject ~= "1""#))
        #expect(
            counted.content.contains {
                if case .text(let text, _, _) = $0 { text == "\(expected.count)" } else { false }
            })

        let refused = try await client.callTool(name: "max_sync", arguments: ["installation": "git"])
        #expect(refused.isError == true)
        let bad = try await client.callTool(
            name: "max_count", arguments: ["installation": "git", "entityType": "GitCommit", "filter": "subject ="])
        #expect(bad.isError == true)
        await client.disconnect()
        await server.stop()
    }
}
