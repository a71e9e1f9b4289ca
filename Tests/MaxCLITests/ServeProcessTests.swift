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

        let filter = #"status IN ("todo", "in_progress")"#
        var components = URLComponents(string: base + "/v1/installations/acme/search")
        components?.queryItems = [
            .init(name: "entityType", value: "AcmeTask"), .init(name: "filter", value: filter),
            .init(name: "fields", value: "title,status"), .init(name: "orderBy", value: "title"),
            .init(name: "limit", value: "1000"),
        ]
        let served = try await Self.get(try #require(components?.string), token: read)
        #expect(served.status == 200, "\(served.text)")
        let cli = try await runMax([
            "-C", folder.url.path, "search", "acme", "AcmeTask", "--filter", filter, "--fields", "title,status",
            "--order-by", "title", "-o", "json",
        ])
        #expect(served.body["data"] == (try JSONValue(parsing: cli.stdout))["data"])
        #expect((served.body["data"]?.arrayValue?.count ?? 0) > 10)

        let installations = try await Self.get(base + "/v1/installations", token: read)
        #expect(installations.body.arrayValue?.first?["status"] == "active")

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
        for answer in [served.text, installations.text, metrics.text] { #expect(!answer.contains(acme.apiKey)) }
        try CanaryScan.expectNoSecret([read, operate, acme.apiKey], in: folder.url, outputs: [stopped])
    }
}
