import Foundation
import GitConnector
import MaxConnector
import MaxCore
import MaxRuntime
import MaxTestSupport
import Testing

/// A ``RemoteNode`` answers as the ``LocalNode`` behind it, through the API's own requests (an
/// in-process transport standing in for HTTP), and refuses what does not decode.
struct RemoteNodeTests {
    /// A project with a synced `git` installation of a small repository, and its nodes.
    struct Fixture {
        let repo: TemporaryDirectory
        let folder: TemporaryDirectory
        let local: MaxNodes

        init() async throws {
            repo = try TemporaryDirectory(prefix: "remote-node-repo")
            var stream = GitHistoryTests.FastImport()
            for index in 1...30 {
                stream.commit(
                    Array("Commit \(index)".utf8), at: 1_700_000_000 + index * 60,
                    files: [("f\(index % 4).txt", "\(index)")])
            }
            try GitHistoryTests.load(stream, into: repo.url)
            folder = try await GitConnectorTests.project(repo)
            let workspace = MaxWorkspace(
                project: try Project.find(from: folder.url),
                registry: ConnectorRegistry(local: ["git": { GitConnector() }]))
            local = MaxNodes(workspace: workspace, caller: "test")
            _ = try await local.sync(SyncRequest(installation: "git"))
        }

        /// The installation `git` reached as `mirror` through its node's API.
        func remote(_ transport: (any NodeTransport)? = nil) throws -> RemoteNode {
            try RemoteNode(
                localName: "mirror", url: "http://node.test/v1/installations/git",
                transport: transport ?? InProcessTransport(NodeHandler(node: local)))
        }
    }

    @Test func aRemoteNodeAnswersAsTheLocalNodeBehindIt() async throws {
        let fixture = try await Fixture()
        let remote = try fixture.remote()
        let local = fixture.local
        let search = SearchRequest(
            installation: "git", entityType: "GitCommit", filter: #"subject ~= "1""#, fields: "sha,subject,authoredAt",
            orderBy: "authoredAt:desc", limit: 5)
        var remoteSearch = search
        remoteSearch.installation = "mirror"
        let page = try await local.search(search)
        #expect(page.records.count == 5 && page.hasMore)
        // The same page object on the wire (a date or a ref reads back as its text).
        #expect(try APICoding.json(try await remote.search(remoteSearch)) == (try APICoding.json(page)))
        var next = remoteSearch
        next.cursor = page.cursor
        var localNext = search
        localNext.cursor = page.cursor
        #expect(
            try APICoding.json(try await remote.search(next)) == (try APICoding.json(try await local.search(localNext)))
        )

        let count = CountRequest(installation: "git", entityType: "GitCommit", filter: #"subject ~= "2""#)
        #expect(
            try await remote.count(CountRequest(installation: "mirror", entityType: "GitCommit", filter: count.filter))
                == (try await local.count(count)))
        #expect(
            try await remote.schema(InstallationRequest(installation: "mirror"))
                == (try await local.schema(InstallationRequest(installation: "git"))))
        #expect(
            try await remote.runs(RunsRequest(installation: "mirror"))
                == (try await local.runs(RunsRequest(installation: "git"))))
        var summary = try await local.installation(InstallationRequest(installation: "git"))
        summary.name = "mirror"
        #expect(try await remote.installation(InstallationRequest(installation: "mirror")) == summary)

        // Every page, streamed through the remote node's pages.
        var all = SearchRequest(installation: "mirror", entityType: "GitCommit", fields: "sha")
        all.limit = 7
        var shas: [String] = []
        for try await record in try await remote.searchAll(all, batchSize: 7).records {
            shas.append(record["sha"].map { "\($0)" } ?? "")
        }
        #expect(shas.count == 30 && Set(shas).count == 30)

        // The node's errors come back as they were thrown there.
        let bad = SearchRequest(installation: "mirror", entityType: "GitCommit", filter: "subject = ")
        var localBad = bad
        localBad.installation = "git"
        let thrown = await #expect(throws: MaxError.self) { try await remote.search(bad) }
        let expected = await #expect(throws: MaxError.self) { try await local.search(localBad) }
        #expect(thrown?.code.description == "search.invalid_filter")
        #expect(thrown?.context == expected?.context.merging(["url": remote.url]) { _, new in new })
        #expect(thrown?.excerpt == expected?.excerpt)
    }

    /// A node that answers 200 with something else: every call is `remote.protocol`, none a default.
    struct GarbageTransport: NodeTransport {
        let body: String
        let status: Int
        func send(_ request: NodeRequest) async throws -> NodeResponse {
            NodeResponse(status: status, body: Data(body.utf8))
        }
    }

    @Test(arguments: [
        (#"{"hello": "world"}"#, 200), ("<html>gateway</html>", 200), (#"{"count": "many"}"#, 200),
        (#"{"entities": 0, "status": "completed"}"#, 200), ("<html>bad gateway</html>", 502),
        (#"{"error": {"message": "no code"}}"#, 500),
    ])
    func aNodeThatAnswersGarbageIsAProtocolError(body: String, status: Int) async throws {
        let remote = try RemoteNode(
            localName: "mirror", url: "http://node.test/v1/installations/git",
            transport: GarbageTransport(body: body, status: status))
        let calls: [(String, @Sendable () async throws -> Void)] = [
            ("sync", { _ = try await remote.sync(SyncRequest(installation: "mirror")) }),
            ("count", { _ = try await remote.count(CountRequest(installation: "mirror", entityType: "GitCommit")) }),
            ("search", { _ = try await remote.search(SearchRequest(installation: "mirror", entityType: "GitCommit")) }),
            ("runs", { _ = try await remote.runs(RunsRequest(installation: "mirror")) }),
            ("installation", { _ = try await remote.installation(InstallationRequest(installation: "mirror")) }),
        ]
        for (name, call) in calls {
            let error = await #expect(throws: MaxError.self, "\(name)") { try await call() }
            #expect(error?.code == .remoteProtocol, "\(name): \(String(describing: error))")
        }
    }
}
