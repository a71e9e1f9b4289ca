import Foundation
import MaxConnector
import MaxCore
import MaxTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `max serve` as another tool or Max node sees it: a real process, real HTTP, bearer tokens.
struct ServeProcessTests {
    static func get(_ url: String, token: String?) async throws -> (status: Int, body: JSONValue, text: String) {
        let http = ConnectorHTTPClient(timeout: .seconds(20))
        var request = ConnectorHTTPClient.Request(.get, url)
        if let token { request.headers.append(("Authorization", "Bearer \(token)")) }
        let response = try await http.send(request)
        let text = String(decoding: response.body, as: UTF8.self)
        return (response.status, (try? JSONValue(parsing: text)) ?? .null, text)
    }

    /// A filtered, ordered search of acme's tasks through `base` equals `max search`'s answer.
    ///
    /// - Returns: The served answer's text.
    @discardableResult
    static func expectSearchAnswersAsTheCommandLine(
        base: String, token: String, folder: TemporaryDirectory, environment: [String: String] = [:]
    ) async throws -> String {
        // Through refs too: a filter and a field that follow the assignee.
        let filter = #"status IN ("todo", "in_progress") AND assignee.role IN ("admin", "member", "viewer")"#
        let fields = "title,status,assignee.displayName"
        var components = URLComponents(string: base + "/v1/installations/acme/search")
        components?.queryItems = [
            .init(name: "entityType", value: "AcmeTask"), .init(name: "filter", value: filter),
            .init(name: "fields", value: fields), .init(name: "orderBy", value: "title"),
            .init(name: "limit", value: "1000"),
        ]
        let served = try await Self.get(try #require(components?.string), token: token)
        #expect(served.status == 200, "\(served.text)")
        let cli = try await runMax(
            [
                "-C", folder.url.path, "search", "acme", "AcmeTask", "--filter", filter, "--fields", fields,
                "--order-by", "title", "-o", "json",
            ], environment: environment)
        #expect(served.body["data"] == (try JSONValue(parsing: cli.stdout))["data"])
        #expect((served.body["data"]?.arrayValue?.count ?? 0) > 10)
        #expect(
            served.body["data"]?.arrayValue?.allSatisfy { $0["assignee.displayName"]?.stringValue?.isEmpty == false }
                == true, "every assignee's name read through the ref")
        return served.text
    }

    @Test func aServedProjectAnswersAsTheCommandLineDoes() async throws {
        let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "4", "--tasks-per-project", "30"])
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        #expect(try await runMax(["-C", folder.url.path, "sync", "acme"]).status == 0)
        let created = try await runMax(["-C", folder.url.path, "serve", "tokens", "create", "--scope", "read"])
        let read = try #require(created.stdout.split(separator: "\n").last.map(String.init))
        #expect(read.hasPrefix("mxt_"))
        let stored = try String(contentsOf: folder.file(".max/serve-tokens.json"), encoding: .utf8)
        #expect(!stored.contains(read), "only its hash is stored")
        let operate =
            try await runMax(["-C", folder.url.path, "serve", "tokens", "create", "--scope", "operate"])
            .stdout.split(separator: "\n").last.map(String.init) ?? ""

        let (server, base) = try await startServe(folder.url)
        try #require(base.hasPrefix("http://127.0.0.1:"), "\(server.stderrSoFar)")

        let served = try await Self.expectSearchAnswersAsTheCommandLine(base: base, token: read, folder: folder)

        let installations = try await Self.get(base + "/v1/installations", token: read)
        #expect(installations.body["installations"]?.arrayValue?.first?["status"] == "active")

        // Tokens: none or unknown is 401, a read token cannot sync (403), an operate one can.
        #expect(try await Self.get(base + "/v1/installations", token: nil).status == 401)
        let unknown = try await Self.get(base + "/v1/installations", token: "mxt_0000")
        #expect(unknown.status == 401)
        #expect(unknown.body["error"]?["code"] == "serve.unauthorized")
        let http = ConnectorHTTPClient(timeout: .seconds(30))
        let forbidden = try await http.send(
            .init(.post, base + "/v1/installations/acme/sync", headers: [("Authorization", "Bearer \(read)")]))
        #expect(forbidden.status == 403)
        let synced = try await http.send(
            .init(.post, base + "/v1/installations/acme/sync", headers: [("Authorization", "Bearer \(operate)")]))
        #expect(synced.status == 200, "\(String(decoding: synced.body, as: UTF8.self))")
        let badFilter = try await Self.get(
            base + "/v1/installations/acme/count?entityType=AcmeTask&filter=status%20%3D", token: read)
        #expect(badFilter.status == 400)
        #expect(badFilter.body["error"]?["code"] == "search.invalid_filter")

        // /metrics is Prometheus text: comments, and `name{labels} value` lines.
        let metrics = try await Self.get(base + "/metrics", token: read)
        #expect(metrics.status == 200)
        let sample = #/^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$/#
        let lines = metrics.text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(!lines.isEmpty)
        for line in lines { #expect(line.wholeMatch(of: sample) != nil, "\(line)") }
        #expect(metrics.text.contains(#"max_http_requests_total{route="/v1/installations",status="401"} 2"#))

        server.send(SIGTERM)
        let stopped = try await server.outcome()
        #expect(stopped.status == 0, "graceful shutdown: \(stopped.stderr)")
        for output in [stopped.stdout, stopped.stderr] { #expect(!output.contains(read)) }
        for answer in [served, installations.text, metrics.text] { #expect(!answer.contains(acme.apiKey)) }
        try CanaryScan.expectNoSecret([read, operate, acme.apiKey], in: folder.url, outputs: [stopped])
    }

    static func send(
        _ method: ConnectorHTTPClient.Method, _ url: String, token: String, body: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> (status: Int, body: JSONValue, headers: [(String, String)]) {
        var http = ConnectorHTTPClient(timeout: .seconds(30))
        http.retryPolicy = .none
        let response = try await http.send(
            .init(
                method, url, headers: [("Authorization", "Bearer \(token)")] + headers,
                body: body.map { Data($0.utf8) }))
        let text = String(decoding: response.body, as: UTF8.self)
        return (response.status, (try? JSONValue(parsing: text)) ?? .null, response.headers)
    }

    @Test func operationsJobsAndSyncsGoThroughTheAPIWithTheirScopesAndRequestIDs() async throws {
        let served = try await ServedProject()
        let (acme, folder, read, operate, server, base) = (
            served.acme, served.folder, served.read, served.operate, served.server, served.base
        )
        let acmeURL = base + "/v1/installations/acme"

        // The operations as `max ops -o json` lists them, to a read token.
        let ops = try await Self.get(acmeURL + "/operations", token: read)
        #expect(ops.status == 200)
        let cliOps = try await runMax(["-C", folder.url.path, "ops", "acme", "-o", "json"])
        #expect(ops.body == (try JSONValue(parsing: cliOps.stdout)))

        // Invoking needs connector.operation.invoke: a read token is refused, naming it.
        let input = try await OperationProcessTests.taskInput(acme, title: "Over HTTP")
        let refused = try await Self.send(.post, acmeURL + "/operations/createTask", token: read, body: input)
        #expect(refused.status == 403)
        #expect(refused.body["error"]?["code"] == "api.forbidden")
        #expect(refused.body["error"]?["message"]?.stringValue?.contains("connector.operation.invoke") == true)
        #expect(try await OperationProcessTests.tasks(acme, titled: "Over HTTP") == 0)

        // An operate token runs it; the request id it sent is echoed and is the audit event's.
        let created = try await Self.send(
            .post, acmeURL + "/operations/createTask", token: operate, body: input,
            headers: [("X-Request-Id", "test-request-1"), ("Idempotency-Key", "http-1")])
        #expect(created.status == 200, "\(created.body)")
        #expect(created.body["data"]?["title"] == "Over HTTP")
        #expect(created.headers.first { $0.0.lowercased() == "x-request-id" }?.1 == "test-request-1")
        let again = try await Self.send(
            .post, acmeURL + "/operations/createTask", token: operate, body: input,
            headers: [("Idempotency-Key", "http-1")])
        #expect(again.body["metadata"]?["replayed"] == true)
        #expect(try await OperationProcessTests.tasks(acme, titled: "Over HTTP") == 1)
        let audit = try await runMax(["-C", folder.url.path, "audit", "acme", "-o", "ndjson"])
        let event = try audit.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
            .first { $0["requestId"] == "test-request-1" }
        #expect(event?["caller"]?.stringValue?.hasPrefix("serve:") == true, "\(audit.stdout)")
        #expect(event?["outcome"] == "succeeded")

        // A body that is not JSON is a 400 saying so.
        let garbled = try await Self.send(.post, acmeURL + "/operations/createTask", token: operate, body: "{oops")
        #expect(garbled.status == 400)
        #expect(garbled.body["error"]?["code"] == "api.invalid_request")
        #expect(garbled.body["error"]?["message"]?.stringValue?.contains("not JSON") == true, "\(garbled.body)")

        // Async: 202 with the job's location; the job runs and its result is readable.
        let queued = try await Self.send(
            .post, acmeURL + "/operations/createTask?async=true", token: operate,
            body: try await OperationProcessTests.taskInput(acme, title: "Queued over HTTP"))
        #expect(queued.status == 202, "\(queued.body)")
        let location = queued.headers.first { $0.0.lowercased() == "location" }?.1 ?? ""
        #expect(location == "/v1/jobs/\(queued.body["id"]?.stringValue ?? "?")")
        var job = JSONValue.null
        for _ in 0..<200 where job["state"] != "succeeded" {
            try await Task.sleep(for: .milliseconds(100))
            job = try await Self.get(base + location, token: read).body
        }
        #expect(job["state"] == "succeeded", "\(job)")
        #expect(job["result"]?["data"]?["title"] == "Queued over HTTP")
        let jobs = try await Self.get(base + "/v1/jobs?installation=acme", token: read)
        #expect(jobs.body["jobs"]?.arrayValue?.contains { $0["id"] == job["id"] } == true)
        #expect(try await Self.get(base + "/v1/jobs?state=nonsense", token: read).status == 400)
        #expect(try await Self.get(base + "/v1/jobs/job_nope", token: read).status == 404)

        // A sync over the API, counted in the metrics with the calls.
        let synced = try await Self.send(.post, acmeURL + "/sync", token: operate)
        #expect(synced.status == 200)
        #expect(synced.body["status"] == "completed", "\(synced.body)")
        let metrics = try await Self.get(base + "/metrics", token: read).text
        #expect(metrics.contains(#"max_syncs_total{installation="acme",status="completed"} 1"#), "\(metrics)")
        #expect(
            metrics.contains(
                #"max_operation_invocations_total{installation="acme",operation="createTask",outcome="completed"} 2"#))
        // The connector type's indicators: calls by kind and outcome, and their latency histogram.
        #expect(metrics.contains(#"max_connector_calls_total{connector="acme",kind="sync",outcome="ok"} 1"#))
        // Two calls completed and one was queued as a job.
        #expect(metrics.contains(#"max_connector_calls_total{connector="acme",kind="operation",outcome="ok"} 3"#))
        #expect(metrics.contains("# TYPE max_connector_call_duration_seconds histogram"))
        #expect(metrics.contains(#"max_connector_call_duration_seconds_count{connector="acme",kind="sync"} 1"#))

        server.send(SIGTERM)
        let stopped = try await server.outcome()
        #expect(stopped.status == 0)
        // One structured log line per request, with its id, route and status.
        #expect(stopped.stderr.contains("request.id=test-request-1"), "\(stopped.stderr)")
        #expect(stopped.stderr.contains("http.route=/v1/installations/:installation/operations/:operation"))
        #expect(stopped.stderr.contains("http.status=403"))
        try CanaryScan.expectNoSecret([read, operate, acme.apiKey], in: folder.url, outputs: [stopped])
    }
}
