import Foundation
import MaxConnector
import MaxCore
import MaxRuntime
import MaxTestSupport
import Synchronization
import Testing

@testable import MaxServer

/// The project's policy through `max serve`: tokens of users in groups, every endpoint allowed or
/// denied as the grants say, each denial audited with its context; token listing, revocation and
/// expiry; `max policy check`.
struct PolicyProcessTests {
    /// A project with four installations of one Acme, and ``PolicyFixture``'s policy.
    static func project(_ acme: AcmeProcess) async throws -> TemporaryDirectory {
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        for name in ["beta", "gamma", "delta"] {
            let connected = try await runMax(
                [
                    "-C", folder.url.path, "connect", "acme", "--name", name, "--config", "baseURL=\(acme.url)",
                    "--credential", "api_token=env:T",
                ], environment: ["T": acme.apiKey])
            try #require(connected.status == 0, "\(connected.output)")
        }
        try editProjectFile(in: folder.url) { $0["policy"] = PolicyFixture.policy }
        return folder
    }

    /// A serve token of `user` in `groups`, with `scope`.
    static func token(_ folder: TemporaryDirectory, user: String, groups: [String], scope: String) async throws
        -> String
    {
        let made = try await runMax(
            ["-C", folder.url.path, "serve", "tokens", "create", "--scope", scope, "--user", user]
                + groups.flatMap { ["--group", $0] })
        try #require(made.status == 0, "\(made.output)")
        return String(made.stdout.split(separator: "\n").last ?? "")
    }

    /// The installation names of a listing's body, sorted.
    static func names(_ body: JSONValue) -> [String] {
        (body["installations"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.sorted()
    }

    @Test func serveAllowsAndDeniesAsTheGrantsSayAndAuditsEachDenial() async throws {
        let acme = try AcmeProcess()
        let folder = try await Self.project(acme)
        func token(_ user: String, _ groups: [String], scope: String) async throws -> String {
            try await Self.token(folder, user: user, groups: groups, scope: scope)
        }
        let ann = try await token("ann", ["support"], scope: "operate")
        let bob = try await token("bob", ["ops", "support"], scope: "operate")
        let cai = try await token("cai", [], scope: "admin")
        let (server, base) = try await startServe(folder.url)
        try #require(base.hasPrefix("http://"), "\(server.stderrSoFar)")
        func get(_ path: String, _ token: String) async throws -> (status: Int, body: JSONValue, text: String) {
            try await ServeProcessTests.get(base + path, token: token)
        }

        // Listings show what each may read.
        let names = Self.names
        #expect(names(try await get("/v1/installations", ann).body) == ["acme", "beta", "delta"])
        #expect(names(try await get("/v1/installations", bob).body) == ["acme", "beta", "gamma"])
        let nothing = try await get("/v1/installations", cai)
        #expect(nothing.status == 403 && nothing.body["error"]?["code"] == "policy.denied", "\(nothing.text)")

        // Every read endpoint of every installation, for each user, as the matrix says.
        let reads = ["/schema", "/status", "/runs", "/count?entityType=AcmeTask"]
        for (user, token) in [("ann", ann), ("bob", bob), ("cai", cai)] {
            for installation in ["acme", "beta", "gamma", "delta"] {
                let letters = PolicyFixture.expected[user]?[installation] ?? ""
                for path in reads {
                    let answer = try await get("/v1/installations/\(installation)\(path)", token)
                    let readsData = path != "/schema" && path != "/status"
                    let allowed = letters.contains("R") || (!readsData && letters.contains("c"))
                    #expect(
                        answer.status == (allowed ? 200 : 403),
                        "\(user) \(installation)\(path): \(answer.status) \(answer.text)")
                    if !allowed { #expect(answer.body["error"]?["code"] == "policy.denied") }
                }
            }
        }
        // The same decisions through MCP over HTTP and the explorer.
        let http = ConnectorHTTPClient(timeout: .seconds(20))
        let mcpHeaders = [("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream")]
        let pages = ConnectorHTTPClient(timeout: .seconds(20), followsRedirects: false)
        for (user, token) in [("ann", ann), ("bob", bob), ("cai", cai)] {
            let signedIn = try await pages.send(
                ConnectorHTTPClient.Request(
                    .post, base + "/session", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                    body: Data("token=\(token)".utf8)))
            let cookie = signedIn.header("Set-Cookie")?.split(separator: ";").first.map(String.init) ?? ""
            for installation in ["acme", "beta", "gamma", "delta"] {
                let allowed = (PolicyFixture.expected[user]?[installation] ?? "").contains("R")
                let call = JSONValue.object([
                    "jsonrpc": "2.0", "id": 1, "method": "tools/call",
                    "params": [
                        "name": "max_count",
                        "arguments": ["installation": .string(installation), "entityType": "AcmeTask"],
                    ],
                ])
                let answer = try await http.send(
                    ConnectorHTTPClient.Request(
                        .post, base + "/mcp", headers: [("Authorization", "Bearer \(token)")] + mcpHeaders,
                        body: Data(call.jsonText.utf8)))
                let result = try JSONValue(parsing: String(decoding: answer.body, as: UTF8.self))["result"]
                #expect(
                    result?["isError"] == .bool(!allowed), "MCP: \(user) \(installation): \(String(describing: result))"
                )
                if !allowed { #expect(result?["structuredContent"]?["error"]?["code"] == "policy.denied") }
                let page = try await pages.send(
                    ConnectorHTTPClient.Request(
                        .get, base + "/ui/i/\(installation)/t/AcmeTask", headers: [("Cookie", cookie)]))
                #expect(page.status == (allowed ? 200 : 403), "explorer: \(user) \(installation): \(page.status)")
                if !allowed { #expect(String(decoding: page.body, as: UTF8.self).contains("policy.denied")) }
            }
        }

        // ann may run createTask on delta only; bob may sync gamma.
        let (project, user) = try await OperationProcessTests.ids(acme)
        let input = JSONValue.object([
            "projectId": .string(project), "title": "By policy", "createdById": .string(user),
        ])
        func post(_ path: String, _ token: String, _ body: JSONValue? = nil) async throws
            -> ConnectorHTTPClient.Response
        {
            try await http.send(
                ConnectorHTTPClient.Request(
                    .post, base + path,
                    headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                    body: body.map { Data($0.jsonText.utf8) }))
        }
        #expect(try await post("/v1/installations/delta/operations/createTask", ann, input).status == 200)
        let wrongOperation = try await post("/v1/installations/delta/operations/deleteTask", ann, ["id": "tsk_x"])
        #expect(wrongOperation.status == 403)
        #expect(String(decoding: wrongOperation.body, as: UTF8.self).contains("default deny"))
        #expect(try await post("/v1/installations/acme/operations/createTask", ann, input).status == 403)
        #expect(try await post("/v1/installations/gamma/sync", bob).status == 200)
        #expect(try await post("/v1/installations/acme/sync", bob).status == 403)
        #expect(try await OperationProcessTests.tasks(acme, titled: "By policy") == 1, "only the allowed call ran")

        // Each denial is an audit event with its context.
        let audit = try await runMax(
            ["-C", folder.url.path, "audit", "-f", #"outcome = "denied""#, "--limit", "1000", "-o", "ndjson"])
        let events = audit.stdout.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
            .filter { $0["outcome"] == "denied" }
        #expect(events.count >= 30, "\(events.count) denials audited")
        let denied = try #require(
            events.first { $0["installation"] == "acme" && $0["operation"] == "createTask" }, "\(events.prefix(3))")
        let context = try JSONValue(parsing: denied["context"]?.stringValue ?? "")
        #expect(context["user"] == "ann" && context["groups"] == ["support"])
        #expect(context["action"] == "connector.operation.invoke" && context["rule"] == "default deny")
        #expect(context["connectorType"] == "acme" && context["mode"] == "sync")
        #expect(denied["errorCode"] == "policy.denied")

        // Tokens: listed without their secret, revoked at once, expired by their date.
        let listed = try await runMax(["-C", folder.url.path, "serve", "tokens", "ls", "-o", "json"])
        let tokens = try JSONValue(parsing: listed.stdout).arrayValue ?? []
        #expect(tokens.compactMap { $0["user"]?.stringValue }.sorted() == ["ann", "bob", "cai"])
        #expect(![ann, bob, cai].contains { listed.stdout.contains($0) })
        let bobID = try #require(tokens.first { $0["user"] == "bob" }?["id"]?.stringValue)
        #expect(try await runMax(["-C", folder.url.path, "serve", "tokens", "revoke", bobID]).status == 0)
        #expect(try await get("/v1/installations", bob).status == 401, "revoked")
        let expired = try ServeTokens(project: Project(root: folder.url)).create(
            scope: .admin, principal: Principal(user: "dan", groups: ["ops"]), lifetime: -1)
        #expect(try await get("/v1/installations", expired).status == 401, "expired")

        server.send(SIGTERM)
        _ = try await server.outcome()

        // max policy check explains, without recording anything.
        let allowed = try await runMax(
            [
                "-C", folder.url.path, "policy", "check", "--user", "ann", "connector.operation.invoke", "delta",
                "createTask",
            ])
        #expect(allowed.status == 0 && allowed.stdout.contains("by grant ann-notifies"), "\(allowed.output)")
        let refused = try await runMax(
            ["-C", folder.url.path, "policy", "check", "--user", "cai", "connector.catalog.read", "acme"])
        #expect(
            refused.status != 0 && refused.stderr.contains("policy.denied") && refused.stderr.contains("default deny"))
        let group = try await runMax(
            [
                "-C", folder.url.path, "policy", "check", "--user", "eve", "--group", "ops",
                "connector.instance.manage", "gamma",
            ])
        #expect(group.status == 0 && group.stdout.contains("grant ops-runs"), "\(group.output)")
    }

    /// Tenancy without any `"policy"`.
    ///
    /// `beta` is connected for group `sales`. A reader outside it
    /// does not see it in a listing, in MCP's `max_ls` or in the explorer, and is refused its
    /// search, count and page; a reader in it sees both; the denials are audited.
    @Test func anInstallationOfAGroupIsOutOfReachOfEveryoneElse() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let connected = try await runMax(
            [
                "-C", folder.url.path, "connect", "acme", "--name", "beta", "--group", "sales", "--config",
                "baseURL=\(acme.url)", "--credential", "api_token=env:T",
            ], environment: ["T": acme.apiKey])
        try #require(connected.status == 0, "\(connected.output)")
        let file = try JSONValue(parsing: String(contentsOf: folder.file("max.json"), encoding: .utf8))
        #expect(file["installations"]?["beta"]?["group"] == "sales")
        #expect(try await runMax(["-C", folder.url.path, "sync", "beta"]).status == 0)
        func token(_ user: String, _ groups: [String]) async throws -> String {
            try await Self.token(folder, user: user, groups: groups, scope: "read")
        }
        let inside = try await token("sal", ["sales"])
        let outside = try await token("out", ["support"])
        let (server, base) = try await startServe(folder.url)
        try #require(base.hasPrefix("http://"), "\(server.stderrSoFar)")
        func get(_ path: String, _ token: String) async throws -> (status: Int, body: JSONValue, text: String) {
            try await ServeProcessTests.get(base + path, token: token)
        }
        let names = Self.names
        #expect(names(try await get("/v1/installations", inside).body) == ["acme", "beta"])
        #expect(names(try await get("/v1/installations", outside).body) == ["acme"])
        let found = try await get("/v1/installations/beta/search?entityType=AcmeTask&limit=1", inside)
        #expect(found.status == 200 && (found.body["data"]?.arrayValue?.count ?? 0) == 1, "\(found.text.prefix(300))")
        for path in ["/search?entityType=AcmeTask", "/count?entityType=AcmeTask", "/schema"] {
            let refused = try await get("/v1/installations/beta\(path)", outside)
            #expect(refused.status == 403 && refused.body["error"]?["code"] == "policy.denied", "\(path)")
            #expect(refused.text.contains("tenancy: beta belongs to group sales"), "\(refused.text)")
        }
        #expect(try await get("/v1/installations/acme/count?entityType=AcmeTask", outside).status == 200)
        // A whole-project request would show beta's events: refused to a reader outside sales.
        #expect(try await get("/v1/audit", outside).status == 403)

        // MCP over HTTP: max_ls lists what the listing lists; beta's tools are refused.
        let http = ConnectorHTTPClient(timeout: .seconds(20))
        func rpc(_ method: String, _ params: JSONValue, _ token: String) async throws -> JSONValue {
            let call = JSONValue.object(["jsonrpc": "2.0", "id": 1, "method": .string(method), "params": params])
            let answer = try await http.send(
                ConnectorHTTPClient.Request(
                    .post, base + "/mcp",
                    headers: [
                        ("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"),
                        ("Accept", "application/json, text/event-stream"),
                    ], body: Data(call.jsonText.utf8)))
            return try JSONValue(parsing: String(decoding: answer.body, as: UTF8.self))
        }
        func tool(_ name: String, _ arguments: JSONValue, _ token: String) async throws -> JSONValue? {
            try await rpc("tools/call", ["name": .string(name), "arguments": arguments], token)["result"]
        }
        let resources = try await rpc("resources/list", [:], outside)["result"]?["resources"]?.arrayValue ?? []
        #expect(resources.compactMap { $0["uri"]?.stringValue } == ["max://acme/schema"], "\(resources)")
        let schema = try await rpc("resources/read", ["uri": "max://beta/schema"], outside)
        #expect(schema["error"] != nil && schema.jsonText.contains("policy.denied"), "\(schema)")
        #expect(try await rpc("resources/read", ["uri": "max://beta/schema"], inside)["result"] != nil)
        let listed = try await tool("max_ls", [:], outside)
        #expect(names(listed?["structuredContent"] ?? .null) == ["acme"], "\(String(describing: listed))")
        #expect(names(try await tool("max_ls", [:], inside)?["structuredContent"] ?? .null) == ["acme", "beta"])
        let search = try await tool("max_search", ["installation": "beta", "entityType": "AcmeTask"], outside)
        #expect(search?["isError"] == true)
        #expect(search?["structuredContent"]?["error"]?["code"] == "policy.denied")
        #expect(
            try await tool("max_search", ["installation": "beta", "entityType": "AcmeTask"], inside)?["isError"] != true
        )

        // The explorer: the installations page does not list beta, and its table is refused.
        let pages = ConnectorHTTPClient(timeout: .seconds(20), followsRedirects: false)
        let signedIn = try await pages.send(
            ConnectorHTTPClient.Request(
                .post, base + "/session", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: Data("token=\(outside)".utf8)))
        let cookie = signedIn.header("Set-Cookie")?.split(separator: ";").first.map(String.init) ?? ""
        let home = try await pages.send(ConnectorHTTPClient.Request(.get, base + "/", headers: [("Cookie", cookie)]))
        let homeText = String(decoding: home.body, as: UTF8.self)
        #expect(home.status == 200 && homeText.contains("/ui/i/acme") && !homeText.contains("/ui/i/beta"))
        let table = try await pages.send(
            ConnectorHTTPClient.Request(.get, base + "/ui/i/beta/t/AcmeTask", headers: [("Cookie", cookie)]))
        #expect(table.status == 403)
        server.send(SIGTERM)
        _ = try await server.outcome()

        let audit = try await runMax(
            ["-C", folder.url.path, "audit", "-f", #"outcome = "denied""#, "--limit", "100", "-o", "ndjson"])
        let rules = audit.stdout.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
            .compactMap { $0["context"]?.stringValue.flatMap { try? JSONValue(parsing: $0) }?["rule"]?.stringValue }
        #expect(rules.filter { $0 == "tenancy: beta belongs to group sales" }.count >= 5, "\(rules)")
        let check = try await runMax(
            ["-C", folder.url.path, "policy", "check", "--user", "out", "connector.catalog.read", "beta"])
        #expect(check.status == 1 && check.stderr.contains("tenancy: beta belongs to group sales"), "\(check.output)")
    }

    @Test func aMalformedPolicyStopsEveryCommandNamingTheKey() async throws {
        let folder = try TemporaryDirectory(prefix: "policy")
        _ = try await runMax(["init", folder.url.path])
        try editProjectFile(in: folder.url) { $0["policy"] = ["grants": [["users": ["ann"], "template": "root"]]] }
        for command in [["validate"], ["ls"], ["search", "acme", "AcmeTask"]] {
            let outcome = try await runMax(["-C", folder.url.path] + command)
            #expect(outcome.status == 2, "\(command): \(outcome.output)")
            #expect(outcome.output.contains(#"policy.grants[0].template names "root""#), "\(outcome.output)")
        }
    }
}

/// Per-caller limits: each user's burst and rate, on a manual clock, and through a real server.
struct CallerLimitTests {
    @Test func aBucketRefusesOverItsBurstAndRefillsAtItsRate() {
        var bucket = QuotaBucket(rate: 2, burst: 3, at: .zero)
        #expect((0..<3).map { _ in bucket.take(at: .zero) } == [nil, nil, nil])
        #expect(bucket.take(at: .zero) == .milliseconds(500), "one token comes back in half a second")
        #expect(bucket.take(at: .milliseconds(499)) != nil)
        #expect(bucket.take(at: .milliseconds(500)) == nil)
        #expect(bucket.take(at: .seconds(100)) == nil, "full again, no more than the burst saved")
        #expect(bucket.take(at: .seconds(100)) == nil && bucket.take(at: .seconds(100)) == nil)
        #expect(bucket.take(at: .seconds(100)) != nil)
    }

    @Test func oneUsersBurstLeavesAnothersAndTheProjectsAlone() throws {
        let elapsed = Mutex<Duration>(.zero)
        let quotas = CallerQuotas { elapsed.withLock { $0 } }
        var limits = CallerLimits()
        limits.perUser = .init(rate: 1, burst: 2)
        limits.perProject = .init(rate: 1, burst: 3)
        limits.maxConcurrent = 10
        for _ in 0..<2 {
            try quotas.enter(user: "ann", installation: "acme", limits: limits)
            quotas.leave()
        }
        #expect(throws: MaxError.self) { try quotas.enter(user: "ann", installation: "acme", limits: limits) }
        // ann's refusal took nothing from the project's bucket: bob still has its third token.
        try quotas.enter(user: "bob", installation: "acme", limits: limits)
        quotas.leave()
        do {
            try quotas.enter(user: "bob", installation: "acme", limits: limits)
            Issue.record("the project's burst of 3 is spent")
        } catch let error as MaxError {
            #expect(
                error.code == .quotaExceeded && error.context["limit"] == "project"
                    && error.context["retryAfter"] == "1")
        }
        elapsed.withLock { $0 = .seconds(1) }
        try quotas.enter(user: "bob", installation: "acme", limits: limits)
        // The concurrency guard: requests in flight, whoever sends them.
        var one = CallerLimits()
        one.maxConcurrent = 1
        do {
            try quotas.enter(user: "cai", installation: nil, limits: one)
            Issue.record("one request is in flight already")
        } catch let error as MaxError {
            #expect(error.context["limit"] == "concurrency")
        }
        quotas.leave()
        try quotas.enter(user: "cai", installation: nil, limits: one)
        quotas.leave()
    }

    @Test func aUsersBurstIsRefusedWithRetryAfterWhileAnotherIsServed() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        // A rate so slow no token comes back during the test: the fourth request of a user is over.
        try editProjectFile(in: folder.url) { $0["limits"] = ["perUser": ["rate": 0.001, "burst": 3]] }
        func token(_ user: String) async throws -> String {
            String(
                try await runMax(["-C", folder.url.path, "serve", "tokens", "create", "--user", user]).stdout
                    .split(separator: "\n").last ?? "")
        }
        let ann = try await token("ann")
        let bob = try await token("bob")
        let (server, base) = try await startServe(folder.url)
        try #require(base.hasPrefix("http://"), "\(server.stderrSoFar)")
        let http = ConnectorHTTPClient(timeout: .seconds(20))
        var annStatuses: [Int] = []
        var refused: ConnectorHTTPClient.Response?
        for _ in 0..<4 {
            let answer = try await http.send(
                .init(.get, base + "/v1/installations/acme/status", headers: [("Authorization", "Bearer \(ann)")]))
            annStatuses.append(answer.status)
            if answer.status == 429 { refused = answer }
        }
        #expect(annStatuses == [200, 200, 200, 429])
        let retryAfter = Int(refused?.header("Retry-After") ?? "") ?? 0
        #expect(retryAfter >= 1, "\(String(describing: refused?.header("Retry-After")))")
        let body = try JSONValue(parsing: String(decoding: refused?.body ?? Data(), as: UTF8.self))
        #expect(body["error"]?["code"] == "quota.exceeded")
        #expect(body["error"]?["message"]?.stringValue?.contains("per-user limit of ann") == true)
        let served = try await http.send(
            .init(.get, base + "/v1/installations/acme/status", headers: [("Authorization", "Bearer \(bob)")]))
        #expect(served.status == 200, "another user is served")
        let metrics = try await http.send(.init(.get, base + "/metrics", headers: [("Authorization", "Bearer \(bob)")]))
        #expect(String(decoding: metrics.body, as: UTF8.self).contains(#"max_quota_exceeded_total{limit="user"} 1"#))
        server.send(SIGTERM)
        _ = try await server.outcome()
    }
}
