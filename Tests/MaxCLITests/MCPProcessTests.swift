import Foundation
import MCP
import MaxConnector
import MaxCore
import MaxRuntime
import MaxTestSupport
import SystemPackage
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `max mcp` as an agent sees it: the MCP swift-sdk's client over a real `max mcp` child process.
struct MCPProcessTests {
    /// A `max mcp` process and a connected client.
    final class Session: @unchecked Sendable {
        // Unchecked: the process and pipes are set up in init and only closed in deinit.
        let client = Client(name: "max-tests", version: "1.0.0")
        private let process = Process()
        private let toServer = Pipe()
        private let fromServer = Pipe()

        init(_ arguments: [String], environment extra: [String: String] = [:]) async throws {
            process.executableURL = Binaries.max
            process.arguments = ["mcp"] + arguments
            var environment = ProcessInfo.processInfo.environment.merging(extra) { _, given in given }
            environment["MAX_CONFIG_HOME"] = MaxProcess.configHome.path
            process.environment = environment
            process.standardInput = toServer
            process.standardOutput = fromServer
            process.standardError = FileHandle.nullDevice
            try process.run()
            let transport = StdioTransport(
                input: FileDescriptor(rawValue: fromServer.fileHandleForReading.fileDescriptor),
                output: FileDescriptor(rawValue: toServer.fileHandleForWriting.fileDescriptor))
            _ = try await client.connect(transport: transport)
        }

        func call(_ tool: String, _ arguments: [String: Value]) async throws -> CallTool.Result {
            try await client.send(CallTool.request(.init(name: tool, arguments: arguments))).value
        }

        /// Disconnects the client (its receive loop would otherwise outlive the server), then
        /// closes the server's input so it exits.
        func close() async {
            await client.disconnect()
            try? toServer.fileHandleForWriting.close()
        }

        deinit {
            try? toServer.fileHandleForWriting.close()
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    static func json(_ value: Value?) -> JSONValue {
        guard let value, let data = try? JSONEncoder().encode(value) else { return .null }
        return (try? JSONValue(parsing: String(decoding: data, as: UTF8.self))) ?? .null
    }

    @Test func toolsAnswerAsTheCommandLineDoes() async throws {
        let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "4", "--tasks-per-project", "30"])
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        #expect(try await runMax(["-C", folder.url.path, "sync", "acme"]).status == 0)
        let session = try await Session(["-C", folder.url.path])

        let (tools, _) = try await session.client.listTools()
        let names = Set(tools.map(\.name))
        #expect(
            names == [
                "max_ls", "max_schema", "max_search", "max_count", "max_sql", "max_status", "max_runs", "max_ops",
                "max_jobs",
                "max_job", "max_audit", "max_validate", "max_diff",
            ])
        let sql = try #require(tools.first { $0.name == "max_sql" })
        let query = Self.json(sql.inputSchema)["properties"]?["query"]?["description"]?.stringValue ?? ""
        #expect(query.contains("acme.AcmeTask (_id text, title text"), "\(query)")
        let search = try #require(tools.first { $0.name == "max_search" })
        #expect(
            Self.json(search.inputSchema)["properties"]?["filter"]?["description"]?.stringValue?.contains("IN (")
                == true)

        let filter = #"status IN ("todo", "in_progress") AND priority != "none""#
        let found = try await session.call(
            "max_search",
            [
                "installation": "acme", "entityType": "AcmeTask", "filter": .string(filter),
                "fields": "title,status,priority",
                "orderBy": "title", "limit": 1000,
            ])
        #expect(found.isError == false)
        let cli = try await runMax([
            "-C", folder.url.path, "search", "acme", "AcmeTask", "--filter", filter, "--fields",
            "title,status,priority",
            "--order-by", "title", "-o", "json",
        ])
        let page = Self.json(found.structuredContent)
        #expect(page == (try JSONValue(parsing: cli.stdout)), "max_search returns the page max search -o json prints")
        let data = page["data"]
        #expect((data?.arrayValue?.count ?? 0) > 10)

        let counted = try await session.call(
            "max_count", ["installation": "acme", "entityType": "AcmeTask", "filter": .string(filter)])
        let cliCount = try await runMax(["-C", folder.url.path, "count", "acme", "AcmeTask", "--filter", filter])
        #expect(
            Self.json(counted.structuredContent)["count"]?.intValue
                == Int(cliCount.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))

        let bad = try await session.call(
            "max_count", ["installation": "acme", "entityType": "AcmeTask", "filter": "status ="])
        #expect(bad.isError == true)
        #expect(Self.json(bad.structuredContent)["error"]?["code"] == "search.invalid_filter")
        let wrongArguments = try await session.call("max_search", ["installation": "acme"])
        #expect(Self.json(wrongArguments.structuredContent)["error"]?["code"] == "tool.invalid_arguments")
        let mutating = try await session.call(
            "max_invoke", ["installation": "acme", "operation": "deleteTask", "input": [:]])
        #expect(mutating.isError == true, "no operations without --allow-operations")
        #expect(Self.json(mutating.structuredContent)["error"]?["code"] == "api.forbidden")
        let unknown = try await session.call("max_drop_everything", ["installation": "acme"])
        #expect(Self.json(unknown.structuredContent)["error"]?["code"] == "tool.not_found")

        let (resources, _) = try await session.client.listResources()
        #expect(resources.map(\.uri) == ["max://acme/schema"])
        await session.close()

        // The guide for agents is generated from the same project.
        let guide = try await runMax(["-C", folder.url.path, "llm-bootstrap"])
        #expect(guide.status == 0)
        #expect(guide.stdout.contains("### acme (acme@1.0.0; active"), "\(guide.stdout.prefix(600))")
        #expect(guide.stdout.contains("- `AcmeTask`: title (string), description (string), status (string)"))
        #expect(guide.stdout.contains("never sync or invoke without the user's consent"))

        // No answer an agent sees carries the source's token.
        for answer in [found, counted, bad, wrongArguments, mutating] {
            #expect(!Self.json(answer.structuredContent).jsonText.contains(acme.apiKey))
        }
        #expect(!guide.stdout.contains(acme.apiKey))
    }

    @Test func operationsAreOfferedOnlyWhenAllowed() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let session = try await Session(["-C", folder.url.path, "--allow-operations", "--allow-sync"])
        let (tools, _) = try await session.client.listTools()
        #expect(Set(tools.map(\.name)).isSuperset(of: ["max_sync", "max_ops", "max_invoke", "max_jobs"]))
        let synced = try await session.call("max_sync", ["installation": "acme"])
        #expect(synced.isError == false)
        #expect(Self.json(synced.structuredContent)["status"] == "completed")
        let invalid = try await session.call(
            "max_invoke", ["installation": "acme", "operation": "createTask", "input": ["title": 5]])
        #expect(Self.json(invalid.structuredContent)["error"]?["code"] == "operation.invalid_input")

        // Its health beside its state (SPEC-hardening §4), after the check.
        let status = Self.json(try await session.call("max_status", ["installation": "acme"]).structuredContent)
        #expect(status["status"] == "healthy" && status["state"] == "active", "\(status)")

        // The project's desired state: validate, diff and apply a Connector document.
        let valid = try await session.call("max_validate", [:])
        #expect(Self.json(valid.structuredContent) == ["problems": [], "installations": 1])
        let document: Value = [
            "apiVersion": "max/v1alpha1", "kind": "Connector", "metadata": ["name": "second"],
            "spec": [
                "type": "acme", "config": ["baseURL": .string(acme.url), "workspaceId": "ws_x"],
                "credentials": ["mode": "secretRef", "secretRef": ["provider": "store"]],
            ],
        ]
        let diff = try await session.call("max_diff", ["spec": document])
        let actions = Self.json(diff.structuredContent)["changes"]?.arrayValue?.compactMap { $0["action"]?.stringValue }
        #expect(actions?.first == "create-from-spec", "\(Self.json(diff.structuredContent))")
        #expect(actions?.contains("missing-credential") == true)
        var secret = document
        if case .object(var members) = secret, case .object(var spec)? = members["spec"] {
            spec["credentials"] = ["mode": "inline", "value": "canary-secret-value"]
            members["spec"] = .object(spec)
            secret = .object(members)
        }
        let refused = try await session.call("max_apply", ["spec": secret])
        #expect(refused.isError == true)
        #expect(Self.json(refused.structuredContent)["error"]?["code"] == "spec.plain_secret")
        #expect(!Self.json(refused.structuredContent).jsonText.contains("canary"))
        let applied = try await session.call("max_apply", ["spec": document, "verify": false])
        #expect(applied.isError == false, "\(Self.json(applied.structuredContent))")
        #expect(try Project.find(from: folder.url).load().installations["second"] != nil)
        await session.close()
    }

    /// A client of `max serve`'s `/mcp` with `token`.
    static func httpClient(_ base: String, token: String) async throws -> Client {
        let client = Client(name: "max-tests-http", version: "1.0.0")
        let transport = HTTPClientTransport(
            endpoint: try #require(URL(string: base + "/mcp")), streaming: false,
            requestModifier: { request in
                var request = request
                request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
                return request
            })
        _ = try await client.connect(transport: transport)
        return client
    }

    @Test func theToolsAreServedOverHTTPAsTheTokenAllows() async throws {
        let served = try await ServedProject()
        let (acme, folder, read, operate, server, base) = (
            served.acme, served.folder, served.read, served.operate, served.server, served.base
        )

        // A read token sees the read tools, and a count equal to the command line's.
        let reader = try await Self.httpClient(base, token: read)
        let (tools, _) = try await reader.listTools()
        #expect(
            Set(tools.map(\.name)) == [
                "max_ls", "max_schema", "max_search", "max_count", "max_sql", "max_status", "max_runs", "max_ops",
                "max_jobs",
                "max_job", "max_audit", "max_validate", "max_diff",
            ])
        let filter = #"status = "todo""#
        let counted = try await reader.send(
            CallTool.request(
                .init(
                    name: "max_count",
                    arguments: ["installation": "acme", "entityType": "AcmeTask", "filter": .string(filter)]))
        ).value
        #expect(counted.isError == false)
        let cli = try await runMax(["-C", folder.url.path, "count", "acme", "AcmeTask", "--filter", filter])
        #expect(
            Self.json(counted.structuredContent)["count"]?.intValue
                == Int(cli.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        // Mutating tools are refused to it, by name and action.
        let refused = try await reader.send(
            CallTool.request(.init(name: "max_sync", arguments: ["installation": "acme"]))
        ).value
        #expect(refused.isError == true)
        #expect(Self.json(refused.structuredContent)["error"]?["code"] == "api.forbidden")
        await reader.disconnect()

        // An operate token syncs; the audit log names the token's caller.
        let operating = try await Self.httpClient(base, token: operate)
        let synced = try await operating.send(
            CallTool.request(.init(name: "max_sync", arguments: ["installation": "acme"]))
        ).value
        #expect(synced.isError == false, "\(Self.json(synced.structuredContent))")
        #expect(Self.json(synced.structuredContent)["status"] == "completed")
        await operating.disconnect()

        // Without a token there is no MCP at all.
        var http = ConnectorHTTPClient(timeout: .seconds(10))
        http.retryPolicy = .none
        let anonymous = try await http.send(
            .init(.post, base + "/mcp", headers: [("Content-Type", "application/json")], body: Data("{}".utf8)))
        #expect(anonymous.status == 401)

        server.send(SIGTERM)
        let stopped = try await server.outcome()
        #expect(stopped.status == 0)
        let audit = try await runMax(["-C", folder.url.path, "audit", "acme", "-o", "ndjson"])
        #expect(audit.stdout.contains(#""caller":"mcp:serve:"#), "\(audit.stdout)")
        try CanaryScan.expectNoSecret([read, operate, acme.apiKey], in: folder.url, outputs: [stopped])
    }

    /// A large message is read in linear time, and one over the limit is refused.
    ///
    /// A 4 MiB message took 32 s before, answering nothing meanwhile; 8 MiB would take about two
    /// minutes. One over the limit is refused with a JSON-RPC error and the next is answered. Raw lines, no SDK client: the refusal
    /// has no id to match.
    @Test func largeMessagesAreReadInLinearTimeAndOverLongOnesRefused() async throws {
        let process = Process()
        process.executableURL = Binaries.max
        process.arguments = ["mcp"]
        var environment = ProcessInfo.processInfo.environment
        environment["MAX_CONFIG_HOME"] = MaxProcess.configHome.path
        process.environment = environment
        let fixture = try await BadInputTests.Fixture()
        process.currentDirectoryURL = fixture.directory
        let toServer = Pipe()
        let fromServer = Pipe()
        process.standardInput = toServer
        process.standardOutput = fromServer
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning { process.terminate() }
        }
        let lines = LineSource(fromServer.fileHandleForReading)
        func send(_ line: String) { toServer.fileHandleForWriting.write(Data((line + "\n").utf8)) }
        send(
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","#
                + #""capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#)
        #expect(try await lines.next(within: .seconds(30))?.contains(#""id":1"#) == true)
        send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)

        let filter = String(repeating: "a", count: 8 << 20)
        send(
            #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"max_count","arguments":"#
                + #"{"installation":"acme","entityType":"AcmeTask","filter":"\#(filter)"}}}"#)
        let answer = try await lines.next(within: .seconds(60))
        #expect(answer?.contains(#""id":2"#) == true, "\(answer?.prefix(300) ?? "no answer within 60 s")")
        #expect(answer?.contains("search.filter_too_large") == true, "\(answer?.prefix(300) ?? "")")

        send(
            #"{"jsonrpc":"2.0","id":3,"method":"ping","params":{"x":""# + String(repeating: "b", count: 17 << 20)
                + #""}}"#)
        let refusal = try await lines.next(within: .seconds(60))
        #expect(refusal?.contains(#""code":-32600"#) == true, "\(refusal?.prefix(300) ?? "")")
        #expect(refusal?.contains("a message over 16777216 bytes was refused") == true)
        send(#"{"jsonrpc":"2.0","id":4,"method":"ping"}"#)
        #expect(try await lines.next(within: .seconds(30))?.contains(#""id":4"#) == true)
        try toServer.fileHandleForWriting.close()
        withExtendedLifetime(fixture) {}
    }

    /// Lines from a pipe, read on a queue of their own (never on the cooperative pool).
    final class LineSource: @unchecked Sendable {
        // Unchecked: `buffer` is only touched on `queue`.
        private let handle: FileHandle
        private let queue = DispatchQueue(label: "mcp-test-lines")
        private var buffer = Data()

        init(_ handle: FileHandle) { self.handle = handle }

        /// The next line, or `nil` if none came within `limit` (the pipe is then left as it is).
        func next(within limit: Duration) async throws -> String? {
            try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask {
                    await withCheckedContinuation { continuation in
                        self.queue.async { continuation.resume(returning: self.readLine()) }
                    }
                }
                group.addTask {
                    try await Task.sleep(for: limit)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
        }

        private func readLine() -> String? {
            while true {
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: buffer[..<newline], as: UTF8.self)
                    buffer.removeSubrange(...newline)
                    return line
                }
                let chunk = handle.availableData
                if chunk.isEmpty { return nil }
                buffer.append(chunk)
            }
        }
    }
}
