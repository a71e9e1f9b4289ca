import Foundation
import GitConnector
import HTTPTypes
import MCP
import MaxConnector
import MaxCore
import MaxRuntime
import MaxTestSupport
import Testing

@testable import MaxMCP
@testable import MaxServer

/// The endpoint table is the one place that says what a call needs: every route and every MCP
/// tool takes its action from it, a caller that may only read reaches nothing that changes
/// anything, and every endpoint's JSON reads back as it was written.
struct OneAPITests {
    @Test func everyRouteAndToolNeedsTheActionOfItsEndpoint() {
        for endpoint in Endpoint.allCases {
            let method = HTTPRequest.Method(rawValue: endpoint.method) ?? .get
            #expect(RoutePolicy.route(of: Self.samplePath(endpoint)) == endpoint.path, "\(endpoint)")
            #expect(RoutePolicy.methods(of: endpoint.path).contains(method), "\(endpoint)")
            #expect(RoutePolicy.action(method: method, template: endpoint.path) == endpoint.action, "\(endpoint)")
        }
        // Every route is an endpoint's or one of the server's own three.
        for (template, methods) in RoutePolicy.routes {
            for method in methods {
                let endpoint = Endpoint.allCases.first { $0.path == template && $0.method == method.rawValue }
                #expect(endpoint != nil || RoutePolicy.ownRoutes[template] != nil, "\(method) \(template)")
            }
        }
        for tool in MaxTools.all {
            #expect(tool.action == tool.endpoint.action)
            #expect(Endpoint(toolName: tool.name) == tool.endpoint)
        }
        #expect(Set(MaxTools.all.map(\.name)).count == MaxTools.all.count, "tool names are unique")
    }

    @Test func aReadingCallerReachesNothingThatChangesAnything() {
        let read = ServeTokens.Scope.read.actions
        let plainMCP = MaxTools(allowed: MaxTools.allowed(sync: false, operations: false))
        for endpoint in Endpoint.allCases where endpoint.isMutating {
            #expect(!read.contains(endpoint.action), "a read token may not \(endpoint)")
            #expect(!plainMCP.offered.contains { $0.endpoint == endpoint }, "plain max mcp offers \(endpoint)")
        }
        // A route that is not in the table needs the strictest action, which a read token lacks.
        for path in ["/v1/installations/acme/drop", "/v1/jobs/job_1/delete", "/v1/everything"] {
            let route = RoutePolicy.route(of: path)
            #expect(route == RoutePolicy.unmatched)
            #expect(RoutePolicy.action(method: .post, template: route).map(read.contains) == false)
        }
    }

    @Test func aPlainMCPServerRefusesEveryMutatingToolAndUnknownNames() async throws {
        let folder = try TemporaryDirectory(prefix: "mcp-refusals")
        let project = try Project.initialise(at: folder.url).project
        let api = MaxNodes(
            workspace: MaxWorkspace(project: project, registry: ConnectorRegistry(local: [:])), caller: "t")
        let tools = MaxTools(allowed: MaxTools.allowed(sync: false, operations: false))
        for endpoint in Endpoint.allCases where endpoint.isMutating {
            let name = try #require(endpoint.toolName)
            let result = await MaxMCPServer.call(
                name, arguments: ["installation": "acme", "id": "job_1", "operation": "x", "input": [:]], tools: tools,
                api: api)
            #expect(result.isError == true)
            #expect(MCPProcessTests.json(result.structuredContent)["error"]?["code"] == "api.forbidden", "\(name)")
        }
        let unknown = await MaxMCPServer.call("max_drop_everything", arguments: [:], tools: tools, api: api)
        #expect(MCPProcessTests.json(unknown.structuredContent)["error"]?["code"] == "tool.not_found")
    }

    /// A path of `endpoint` with sample values in place of its parameters.
    static func samplePath(_ endpoint: Endpoint) -> String {
        "/"
            + endpoint.path.split(separator: "/").map { $0.hasPrefix(":") ? "p-\($0.dropFirst())" : String($0) }
            .joined(separator: "/")
    }

    /// Arguments of every parameter of `endpoint`, of its kind.
    static func sampleArguments(_ endpoint: Endpoint) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for parameter in endpoint.parameters {
            object[parameter.name] =
                switch parameter.kind {
                case .string: .string("v \(parameter.name) /?&=+%é")
                case .integer(let range): .int(range.upperBound)
                case .boolean: true
                case .object: ["nested": ["a": 1, "b": [true, "x"]]]
                case .oneOf(let values): .string(values.last ?? "")
                }
        }
        return .object(object)
    }

    @Test(arguments: Endpoint.allCases)
    func everyRequestReadsBackAsItWasSent(_ endpoint: Endpoint) throws {
        let arguments = Self.sampleArguments(endpoint)
        let request = try endpoint.request(arguments: arguments)
        let (matched, path) = try #require(Endpoint.match(method: request.method, path: request.path))
        #expect(matched == endpoint)
        let read = try endpoint.arguments(
            path: path, query: request.query,
            header: { name in request.headers.first { $0.0.lowercased() == name.lowercased() }?.1 },
            body: request.body)
        #expect(read == arguments)
        // And the arguments are the endpoint's request type's.
        _ = try endpoint.call(decodingOnly: read)
    }

    @Test func everyResultReadsBackAsItWasWritten() throws {
        let date = try #require(ISO8601.parse("2026-12-06T10:00:00Z"))
        let job = JobInfo(
            id: "job_1", installation: "acme", operation: "createTask", state: "succeeded", attempts: 1,
            maxAttempts: 3, dead: false, createdAt: date, updatedAt: date, idempotencyKey: "k", error: nil,
            cancelRequested: true, result: ["data": ["id": "tsk_1"]])
        let error = MaxError(.apiInvalidRequest, "bad", hint: "fix it", context: ["column": "3"])
        try Self.roundTrip(
            InstallationList(installations: [
                InstallationSummary(
                    name: "acme", connector: "acme", status: "active", entities: 3, lastSync: date,
                    lastRun: .init(id: "run_1", status: "completed")),
                InstallationSummary(name: "bad", connector: "x", status: "error", entities: nil, error: error),
            ]))
        var health = InstallationHealth(name: "acme", status: "unhealthy", sync: "active", reason: "r", hint: "h")
        health.state = "degraded"
        health.stateReason = "its last health check found it unhealthy: r"
        try Self.roundTrip(health)
        try Self.roundTrip(CountResult(count: 42))
        try Self.roundTrip(
            RunList(runs: [
                RunInfo(
                    id: "run_1", kind: "full", status: "completed", startedAt: date, finishedAt: date, entities: 5,
                    requests: 2, retries: 1, rateLimited: 1, tasksFailed: 0, error: nil)
            ]))
        try Self.roundTrip(JobList(jobs: [job]))
        try Self.roundTrip(InvokeResult.enqueued(job))
        try Self.roundTrip(
            InvokeResult.completed(envelope: ["metadata": ["durationMs": 3], "data": ["id": "tsk_1"], "warnings": []]))
        try Self.roundTrip(
            CredentialList(installation: "acme", credentials: [.init(key: "api_token", source: "env:T")]))
        try Self.roundTrip(
            OperationList(
                installation: "acme", connector: "acme", connectorVersion: "1", operationSchemaVersion: "v",
                auth: ["type": "bearer"], inputSchema: ["type": "object"], operations: [["id": "createTask"]]))
        try Self.roundTrip(SchemaDescription(SampleSchema.schema))
        try Self.roundTrip(
            ProblemList(
                problems: [ProjectProblem(path: "installations.acme.config.baseURL", error: error)], installations: 2))
        var plan = ApplyPlan(changes: [.init(action: "upgrade", installation: "acme", description: "d", hint: "h")])
        plan.checks = [.init(installation: "acme", status: "unhealthy", reason: "down")]
        try Self.roundTrip(plan)
        let page = SearchPage(
            entityType: "AcmeTask", fields: ["_id", "title", "tags"],
            records: [
                EntityRecord(
                    ref: Ref(EntityType("AcmeTask"), "tsk_1"),
                    values: [("_id", .string("tsk_1")), ("title", .string("A")), ("tags", .json(["x"]))])
            ], hasMore: true, cursor: "c1")
        try Self.roundTrip(page)
        let summary = SyncSummary(
            runID: "run_1", status: "partial", kind: "incremental", entitiesWritten: [EntityType("AcmeTask"): 3],
            tasksCompleted: 2, tasksFailed: 1, errors: [error], duration: 1.5)
        let read = try APICoding.decode(SyncSummary.self, from: try APICoding.data(summary))
        #expect(read.entitiesWritten == summary.entitiesWritten)
        #expect(read.errors.map(\.code) == [.apiInvalidRequest])
        #expect(try APICoding.json(read) == (try APICoding.json(summary)))
    }

    static func roundTrip<T: Codable & Equatable>(_ value: T) throws {
        let read = try APICoding.decode(T.self, from: try APICoding.data(value))
        #expect(read == value, "\(T.self)")
    }

    @Test func noFrontEndDependsOnTheLayersBeneathTheAPI() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let beneath = ["\"MaxStorage\"", "\"MaxSync\"", "\"MaxQuery\"", "\"AcmeAPI\""]
        for target in ["MaxCLI", "MaxServer", "MaxMCP"] {
            // The target's declaration (not its product's), up to the next one.
            let declared = try Regex("name: \"\(target)\",\\s*dependencies:")
            let start = try #require(manifest.firstMatch(of: declared)?.range, "\(target) is declared")
            let rest = manifest[start.upperBound...]
            let end = [".target(", ".executableTarget(", ".testTarget("].compactMap { rest.range(of: $0)?.lowerBound }
                .min()
            let declaration = rest[..<(end ?? rest.endIndex)]
            #expect(declaration.contains("\"MaxRuntime\""), "\(target)'s dependencies were found")
            for name in beneath {
                #expect(!declaration.contains(name), "\(target) depends on \(name)")
            }
            let sources = root.appendingPathComponent("Sources/\(target)")
            for file in try FileManager.default.contentsOfDirectory(atPath: sources.path) {
                let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
                for module in ["MaxStorage", "MaxSync", "MaxQuery", "AcmeAPI"] {
                    #expect(!text.contains("import \(module)\n"), "\(target)/\(file) imports \(module)")
                }
            }
        }
    }

    @Test func errorCodesAreUnique() throws {
        // Codes are static members spread over the modules: read them from the source.
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        let pattern = try Regex(#"static let (\w+) = Self\(\s*domain: "([a-z_]+)",\s*name: "([a-z_]+)""#)
        let declaration = try Regex(#"static let \w+ = Self\("#)
        var declarations = 0
        var seen: [String: String] = [:]
        var duplicates: [String] = []
        let files =
            FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            declarations += text.matches(of: declaration).count
            for match in text.matches(of: pattern) {
                let name = String(match.output[1].substring ?? "")
                let code = "\(match.output[2].substring ?? "").\(match.output[3].substring ?? "")"
                if let other = seen[code], other != name { duplicates.append("\(code): \(other) and \(name)") }
                if seen[code] != nil, seen[code] == name { duplicates.append("\(code) declared twice as \(name)") }
                seen[code] = name
            }
        }
        #expect(
            seen.count >= 100 && seen.count == declarations, "every code was read: \(seen.count) of \(declarations)")
        #expect(duplicates.isEmpty, "\(duplicates)")
    }
}

extension Endpoint {
    /// Decodes `arguments` as this endpoint's request type, as ``call(on:arguments:observer:)`` does.
    func call(decodingOnly arguments: JSONValue) throws {
        switch self {
        case .installations: _ = try APICoding.request(NoParameters.self, from: arguments)
        case .installation, .schema, .operations, .credentials:
            _ = try APICoding.request(InstallationRequest.self, from: arguments)
        case .status: _ = try APICoding.request(StatusRequest.self, from: arguments)
        case .search: _ = try APICoding.request(SearchRequest.self, from: arguments)
        case .count: _ = try APICoding.request(CountRequest.self, from: arguments)
        case .sql: _ = try APICoding.request(SQLRequest.self, from: arguments)
        case .runs: _ = try APICoding.request(RunsRequest.self, from: arguments)
        case .sync: _ = try APICoding.request(SyncRequest.self, from: arguments)
        case .invoke: _ = try APICoding.request(InvokeRequest.self, from: arguments)
        case .jobs: _ = try APICoding.request(JobsRequest.self, from: arguments)
        case .job, .cancelJob, .retryJob: _ = try APICoding.request(JobRequest.self, from: arguments)
        case .audit: _ = try APICoding.request(AuditRequest.self, from: arguments)
        case .validate: _ = try APICoding.request(NoParameters.self, from: arguments)
        case .diff, .apply: _ = try APICoding.request(ApplyRequest.self, from: arguments)
        }
    }
}
