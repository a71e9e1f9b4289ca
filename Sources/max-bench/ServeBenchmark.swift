import AcmeAPI
import ArgumentParser
import Foundation
import Logging
import MaxConnector
import MaxCore
import MaxPages
import MaxRuntime
import MaxServer
import MaxSync
import Synchronization

/// `max-bench serve`: what answering over HTTP (`max serve`'s `/v1` API and its `/mcp` tools)
/// costs on top of the API call it makes.
struct ServeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Time search and count through max serve (/v1, /mcp and the explorer's table page) against the API call they wrap.",
        discussion: """
            Runs Acme in this process, syncs a Max project in a temporary folder from it, starts
            max serve (in this process, on a loopback port) with a read token, then makes N
            sequential requests of each kind and N more from 8 concurrent clients, reporting p50,
            p95, p99 and requests a second. The API call, in process with no HTTP, is the floor.
            The explorer's table page (signed in with the same token) is timed too, plain and
            filtered through a ref, with its weight in bytes.
            """)

    @Option(help: "Requests of each kind.") var requests = 500
    @Option(help: "Acme projects (each with 100 tasks).") var projects = 50

    func validate() throws {
        guard requests > 0, projects > 0 else { throw ValidationError("--requests and --projects must be positive") }
    }

    func run() async throws {
        var options = AcmeOptions()
        options.port = 0
        options.seeding.projectsPerWorkspace = projects
        options.seeding.tasksPerProject = 100
        let requests = requests
        try await AcmeServer.withRunning(options) { ready in
            try await BenchProject.withConnectedAcme(ready, label: "serve") { workspace in
                let synced = try await workspace.sync("acme")
                let token = try ServeTokens(project: workspace.project).create(scope: .read)
                let api = MaxNodes(local: LocalNode(workspace: workspace, caller: "bench").longLived())
                let (urls, continuation) = AsyncStream.makeStream(of: String.self)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await MaxHTTPServer(api: api, port: 0, logLevel: .error).run { url in
                            continuation.yield(url)
                        }
                    }
                    var iterator = urls.makeAsyncIterator()
                    guard let base = await iterator.next() else { return }
                    print(
                        "max-bench serve: \(synced.totalEntities) entities synced; \(requests) requests of each kind, max serve in process"
                    )
                    try await Self.measure(api: api, base: base, token: token, requests: requests)
                    // The server's own graceful shutdown: it handles SIGTERM.
                    kill(getpid(), SIGTERM)
                    try await group.waitForAll()
                }
            }
        }
    }

    static func measure(api: MaxNodes, base: String, token: String, requests: Int) async throws {
        let filter = #"status = "todo" AND priority IN ("high", "critical")"#
        let query =
            "entityType=AcmeTask&filter="
            + (filter.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)?
                .replacingOccurrences(of: "=", with: "%3D").replacingOccurrences(of: "&", with: "%26") ?? "")
        let http = {
            var client = ConnectorHTTPClient(timeout: .seconds(30))
            client.retryPolicy = .none
            return client
        }()
        let auth = [("Authorization", "Bearer \(token)")]
        let mcpHeaders =
            auth + [("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream")]
        let mcpCount = JSONValue.object([
            "jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": [
                "name": "max_count",
                "arguments": ["installation": "acme", "entityType": "AcmeTask", "filter": .string(filter)],
            ],
        ]).jsonText
        // The explorer: sign in once, then ask for a type's table page (50 rows and the count).
        var signing = ConnectorHTTPClient(timeout: .seconds(30), followsRedirects: false)
        signing.retryPolicy = .none
        let signIn = try await signing.send(
            .init(
                .post, base + "/session", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: Data("token=\(token)".utf8)))
        let cookie = [
            ("Cookie", signIn.header("Set-Cookie")?.split(separator: ";").first.map(String.init) ?? "")
        ]
        let tablePage = base + "/ui/i/acme/t/AcmeTask"
        let throughRef =
            tablePage + "?filter=assignee.role%20%3D%20%22admin%22%20AND%20status%20%3D%20%22todo%22"
            + "&fields=title%2Cstatus%2Cpriority%2Cassignee.displayName%2Cproject.name"
        let weights = PageWeights()
        @Sendable func page(_ url: String, _ label: String) async throws {
            let answer = try await http.send(.init(.get, url, headers: cookie)).requireSuccess()
            guard String(decoding: answer.body, as: UTF8.self).contains("<table class=\"records\">") else {
                throw ValidationError("the explorer answered \(label) without its table: is the session signed in?")
            }
            weights.bytes.withLock { $0[label] = answer.body.count }
        }
        let kinds: [(String, @Sendable () async throws -> Void)] = [
            ("GET explorer table page (50 rows)", { try await page(tablePage, "table page") }),
            (
                "GET explorer table page, filtered and read through refs",
                { try await page(throughRef, "table page through refs") }
            ),
            (
                "API search (limit 100), in process",
                {
                    _ = try await api.search(
                        SearchRequest(installation: "acme", entityType: "AcmeTask", filter: filter, limit: 100))
                }
            ),
            (
                "GET /v1/…/search (limit 100)",
                {
                    _ = try await http.send(
                        .init(.get, base + "/v1/installations/acme/search?\(query)&limit=100", headers: auth)
                    ).requireSuccess()
                }
            ),
            (
                "API count, in process",
                {
                    _ = try await api.count(CountRequest(installation: "acme", entityType: "AcmeTask", filter: filter))
                }
            ),
            (
                "GET /v1/…/count",
                {
                    _ = try await http.send(.init(.get, base + "/v1/installations/acme/count?\(query)", headers: auth))
                        .requireSuccess()
                }
            ),
            (
                "GET /v1/…/count (status only)",
                {
                    _ = try await http.send(
                        .init(
                            .get,
                            base + "/v1/installations/acme/count?entityType=AcmeTask&filter=status%20%3D%20%22todo%22",
                            headers: auth)
                    ).requireSuccess()
                }
            ),
            (
                "POST /mcp tools/call max_count",
                {
                    _ = try await http.send(
                        .init(.post, base + "/mcp", headers: mcpHeaders, body: Data(mcpCount.utf8))
                    ).requireSuccess()
                }
            ),
        ]
        print("| kind | p50 | p95 | p99 | sequential req/s | 8 clients req/s | 8 clients p50 | 8 clients p99 |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for (label, body) in kinds {
            try await body()  // warm-up
            var latencies: [Double] = []
            let started = ContinuousClock.now
            for _ in 0..<requests {
                let callStarted = ContinuousClock.now
                try await body()
                latencies.append(Measurements.seconds(since: callStarted))
            }
            let sequential = Measurements.seconds(since: started)
            let concurrentStarted = ContinuousClock.now
            let loaded = try await withThrowingTaskGroup(of: [Double].self) { group in
                for client in 0..<8 {
                    group.addTask {
                        var times: [Double] = []
                        for _ in stride(from: client, to: requests, by: 8) {
                            let callStarted = ContinuousClock.now
                            try await body()
                            times.append(Measurements.seconds(since: callStarted))
                        }
                        return times
                    }
                }
                var all: [Double] = []
                for try await times in group { all += times }
                return all
            }
            let concurrent = Measurements.seconds(since: concurrentStarted)
            func ms(_ values: [Double], _ p: Double) -> String {
                Measurements.milliseconds(Measurements.percentile(values, p))
            }
            print(
                "| \(label) | \(ms(latencies, 0.5)) | \(ms(latencies, 0.95)) | \(ms(latencies, 0.99)) | \(Measurements.rate(requests, sequential)) | \(Measurements.rate(requests, concurrent)) | \(ms(loaded, 0.5)) | \(ms(loaded, 0.99)) |"
            )
        }
        for (label, bytes) in weights.bytes.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            print(
                "explorer \(label): \(bytes) bytes of HTML (the style sheet, \(ExplorerAssets.css.utf8.count) bytes, is cached)"
            )
        }
    }
}

/// The size of each explorer page the benchmark asked for, by label.
final class PageWeights: Sendable {
    /// Bytes of HTML, by label.
    let bytes = Mutex<[String: Int]>([:])
}
