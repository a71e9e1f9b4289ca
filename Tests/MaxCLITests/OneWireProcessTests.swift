import Foundation
import MCP
import MaxConnector
import MaxCore
import MaxTestSupport
import Testing

/// One wire: the same error and the same search page, whichever front end asks (`max … -o json`,
/// `max serve`, MCP) and whichever node answers; a node that answers garbage is an error, never a
/// default; `max install` asks a remote installation's node.
struct OneWireProcessTests {
    /// The `{"error": …}` line `max … -o json` prints last on standard error.
    static func cliError(_ outcome: Outcome) throws -> JSONValue {
        try JSONValue(parsing: String(outcome.stderr.split(separator: "\n").last ?? ""))
    }

    @Test func theSameErrorAndPageFromEveryFrontEndAndNode() async throws {
        let served = try await ServedProject()
        let (folder, read, base) = (served.folder, served.read, served.base)
        let mcp = try await MCPProcessTests.Session(["-C", folder.url.path])

        // An unknown installation, and a bad filter with its column.
        let cases: [(cli: [String], path: String, tool: String, arguments: [String: Value])] = [
            (
                ["count", "nope", "AcmeTask"], "/v1/installations/nope/count?entityType=AcmeTask", "max_count",
                ["installation": "nope", "entityType": "AcmeTask"]
            ),
            (
                ["search", "acme", "AcmeTask", "--filter", "status = "],
                "/v1/installations/acme/search?entityType=AcmeTask&filter=status%20%3D%20", "max_search",
                ["installation": "acme", "entityType": "AcmeTask", "filter": "status = "]
            ),
            (
                ["sql", "acme", "SELECT titel FROM AcmeTask"],
                "/v1/sql?installations=acme&query=SELECT%20titel%20FROM%20AcmeTask", "max_sql",
                ["installations": "acme", "query": "SELECT titel FROM AcmeTask"]
            ),
        ]
        for (cli, path, tool, arguments) in cases {
            let fromCLI = try Self.cliError(try await runMax(["-C", folder.url.path] + cli + ["-o", "json"]))
            let fromServe = try await ServeProcessTests.get(base + path, token: read).body
            let fromMCP = MCPProcessTests.json(try await mcp.call(tool, arguments).structuredContent)
            #expect(fromCLI["error"]?["code"] != nil, "\(fromCLI)")
            #expect(fromServe == fromCLI, "\(cli)")
            #expect(fromMCP == fromCLI, "\(cli)")
        }
        let caret = try Self.cliError(try await runMax(["-C", folder.url.path] + cases[1].cli + ["-o", "json"]))
        #expect(caret["error"]?["context"]?["column"] == "10", "\(caret)")

        // A refused token is the same object from the API and from MCP over HTTP.
        let refusedAPI = try await ServeProcessTests.get(base + "/v1/installations", token: "mxt_nope").body
        let refusedMCP = try await ServeProcessTests.send(
            .post, base + "/mcp", token: "mxt_nope", body: #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        #expect(refusedAPI["error"]?["code"] == "serve.unauthorized")
        #expect(refusedMCP.body == refusedAPI)

        // The same page from the command line, serve, MCP and a remote installation on node B.
        let nodeB = try TemporaryDirectory(prefix: "wire-b")
        _ = try await runMax(["init", nodeB.url.path])
        let connected = try await runMax(
            [
                "-C", nodeB.url.path, "connect", "acme", "--remote", base, "--name", "far", "--credential",
                "token=env:T",
            ],
            environment: ["T": read])
        try #require(connected.status == 0, "\(connected.output)")
        let filter = #"status = "todo""#
        let page = try JSONValue(
            parsing: try await runMax([
                "-C", folder.url.path, "search", "acme", "AcmeTask", "--filter", filter, "--fields", "title,status",
                "--limit", "2", "-o", "json",
            ]).stdout)
        #expect(page["data"]?.arrayValue?.count == 2 && page["hasMore"] == true, "\(page)")
        var components = URLComponents(string: base + "/v1/installations/acme/search")
        components?.queryItems = [
            .init(name: "entityType", value: "AcmeTask"), .init(name: "filter", value: filter),
            .init(name: "fields", value: "title,status"), .init(name: "limit", value: "2"),
        ]
        let fromServe = try await ServeProcessTests.get(try #require(components?.string), token: read).body
        let fromMCP = MCPProcessTests.json(
            try await mcp.call(
                "max_search",
                [
                    "installation": "acme", "entityType": "AcmeTask", "filter": .string(filter),
                    "fields": "title,status",
                    "limit": 2,
                ]
            ).structuredContent)
        let fromRemote = try JSONValue(
            parsing: try await runMax(
                [
                    "-C", nodeB.url.path, "search", "far", "AcmeTask", "--filter", filter, "--fields", "title,status",
                    "--limit", "2", "-o", "json",
                ], environment: ["T": read]
            ).stdout)
        #expect(fromServe == page)
        #expect(fromMCP == page)
        #expect(fromRemote == page)

        // The same rows of a SQL statement, from each front end and from node B.
        let statement = "SELECT status, count(*) AS n FROM AcmeTask GROUP BY status ORDER BY status"
        let rows = try JSONValue(
            parsing: try await runMax(["-C", folder.url.path, "sql", "acme", statement, "-o", "json"]).stdout)
        #expect((rows["rows"]?.arrayValue?.count ?? 0) >= 3, "\(rows)")
        var sqlURL = URLComponents(string: base + "/v1/sql")
        sqlURL?.queryItems = [.init(name: "installations", value: "acme"), .init(name: "query", value: statement)]
        let sqlFromServe = try await ServeProcessTests.get(try #require(sqlURL?.string), token: read).body
        let sqlFromMCP = MCPProcessTests.json(
            try await mcp.call("max_sql", ["installations": "acme", "query": .string(statement)]).structuredContent)
        let sqlFromRemote = try JSONValue(
            parsing: try await runMax(
                ["-C", nodeB.url.path, "sql", "far", statement, "-o", "json"], environment: ["T": read]
            ).stdout)
        #expect(sqlFromServe == rows)
        #expect(sqlFromMCP == rows)
        #expect(sqlFromRemote == rows)
        await mcp.close()

        // max install asks the node: ready with the token, unauthorised with a wrong one.
        let ready = try await runMax(["-C", nodeB.url.path, "install", "-o", "json"], environment: ["T": read])
        #expect(ready.status == 0, "\(ready.output)")
        #expect(try JSONValue(parsing: ready.stdout).arrayValue?.first?["ready"] == true, "\(ready.stdout)")
        let wrong = try await runMax(["-C", nodeB.url.path, "install", "-o", "json"], environment: ["T": "mxt_wrong"])
        #expect(wrong.status == 1, "\(wrong.output)")
        let wrongRow = try JSONValue(parsing: wrong.stdout).arrayValue?.first
        #expect(wrongRow?["ready"] == false)
        #expect(wrongRow?["error"]?["code"] == "serve.unauthorized", "\(wrong.stdout)")
        #expect(!wrong.output.contains("api_token"), "a remote installation needs its token, not the connector's")
        let missing = try await runMax(["-C", nodeB.url.path, "install", "-o", "json"], environment: ["T": ""])
        #expect(missing.status == 3, "\(missing.output)")
        #expect(missing.stdout.contains("export T="), "\(missing.stdout)")

        // Unreachable once the node stops.
        served.server.send(SIGTERM)
        _ = try await served.server.outcome()
        let gone = try await runMax(["-C", nodeB.url.path, "install", "-o", "json"], environment: ["T": read])
        #expect(gone.status == 1, "\(gone.output)")
        let goneCode = try JSONValue(parsing: gone.stdout).arrayValue?.first?["error"]?["code"]?.stringValue ?? ""
        #expect(goneCode.hasPrefix("http."), "\(gone.stdout)")
    }

    @Test func aNodeThatAnswersGarbageIsAnErrorNotAnEmptyAnswer() async throws {
        let garbage = try GarbageNode()
        let folder = try TemporaryDirectory(prefix: "wire-garbage")
        _ = try await runMax(["init", folder.url.path])
        try editInstallations(in: folder.url) { installations in
            installations["far"] = [
                "id": "0d6f3b9c-1111-4222-8333-944455556666", "connector": "acme", "provider": "remote",
                "connectedAt": "2026-12-06T00:00:00Z", "config": [:],
                "location": ["url": .string(garbage.url + "/v1/installations/acme")],
                "credentials": ["token": "env:T"],
            ]
        }
        for command in [["sync", "far"], ["count", "far", "AcmeTask"], ["search", "far", "AcmeTask"]] {
            let outcome = try await runMax(["-C", folder.url.path] + command, environment: ["T": "mxt_any"])
            #expect(outcome.status == 1, "\(command): \(outcome.output)")
            #expect(outcome.stderr.contains("error[remote.protocol]"), "\(command): \(outcome.stderr)")
            #expect(!outcome.stdout.contains("Synced"), "\(command): \(outcome.stdout)")
        }
        let install = try await runMax(["-C", folder.url.path, "install", "-o", "json"], environment: ["T": "mxt_any"])
        #expect(install.status == 1)
        #expect(try JSONValue(parsing: install.stdout).arrayValue?.first?["error"]?["code"] == "remote.protocol")
    }
}

/// An HTTP server that answers every request with 200 and `{"hello": "world"}`: something that is
/// not a Max node.
final class GarbageNode: @unchecked Sendable {
    // Unchecked: the process handle is only touched by init and deinit.
    let url: String
    private let process = Process()

    init() throws {
        let script = """
            import http.server, sys
            class Handler(http.server.BaseHTTPRequestHandler):
                def answer(self):
                    self.rfile.read(int(self.headers.get("Content-Length") or 0))
                    body = b'{"hello": "world"}'
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                do_GET = do_POST = answer
                def log_message(self, *arguments):
                    pass
            server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
            print(server.server_port, flush=True)
            server.serve_forever()
            """
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        url = "http://127.0.0.1:" + (try firstLine(of: stdout))
    }

    deinit {
        // SIGKILL: a child of the test process may inherit SIGTERM ignored (the in-process tests
        // of signal handling set that up), and Python then never ends.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
