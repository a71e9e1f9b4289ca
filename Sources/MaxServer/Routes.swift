import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MaxConnector
import MaxCore
import MaxMCP
import MaxRuntime
import MaxStorage
import MaxSync

/// The `/v1` endpoints, each a thin adapter over the façade.
struct Routes: Sendable {
    let facade: MaxFacade
    let metrics: ServerMetrics
    let syncer: WebhookSyncer
    let logger: Logger
    /// How long a request body may take to arrive.
    let bodyTimeout: Duration

    func add(to router: Router<MaxRequestContext>) {
        let facade = facade
        let metrics = metrics
        let syncer = syncer
        let logger = logger
        let bodyTimeout = bodyTimeout
        router.post("v1/webhooks/:name") { request, context in
            let name = try context.parameters.require("name")
            let body = Data(try await Self.body(of: request, upTo: 1 << 20, within: bodyTimeout).readableBytesView)
            do {
                try await WebhookReceiver(workspace: facade.workspace).accept(
                    installation: name, id: Self.header(request, "webhook-id"),
                    timestamp: Self.header(request, "webhook-timestamp"),
                    signature: Self.header(request, "webhook-signature"), body: body)
            } catch let error as MaxError {
                logger.notice(
                    "webhook delivery rejected", metadata: ["installation": "\(name)", "error.code": "\(error.code)"])
                // Deliveries carry no token: an unknown name says nothing of the project.
                if error.code == .installationNotFound {
                    throw MaxError(.serveNoWebhook, "there is no webhook endpoint at this path")
                }
                throw error
            }
            syncer.request(name)
            return JSONResponse.make(["accepted": true], status: .accepted)
        }
        // MCP over HTTP: the tools the token's scope allows, one JSON answer per message.
        let mcp = MaxMCPHTTPEndpoint(facade: facade)
        for method in [HTTPRequest.Method.post, .get, .delete] {
            router.on("mcp", method: method) { request, context in
                let body = try await Self.body(of: request, upTo: 4 << 20, within: bodyTimeout)
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName] = field.value }
                let answer = await mcp.handle(
                    method: request.method.rawValue, headers: headers,
                    body: body.readableBytes == 0 ? nil : Data(body.readableBytesView), allowed: context.allowed,
                    caller: "mcp:\(context.caller)")
                var fields = HTTPFields()
                for (name, value) in answer.headers {
                    if let name = HTTPField.Name(name) { fields[name] = value }
                }
                return Response(
                    status: .init(code: answer.status), headers: fields,
                    body: .init(byteBuffer: ByteBuffer(bytes: answer.body ?? Data())))
            }
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.text)))
        }
        router.get("v1/installations") { _, _ in
            var rows: [JSONValue] = []
            for (name, _) in try facade.workspace.installations() { rows.append(try await facade.summary(of: name)) }
            return JSONResponse.make(.array(rows))
        }
        router.get("v1/installations/:name") { _, context in
            JSONResponse.make(try await facade.summary(of: try context.parameters.require("name")))
        }
        router.get("v1/installations/:name/schema") { request, context in
            let name = try context.parameters.require("name")
            let schema = try await MaxFacade.schema(of: name, in: facade.workspace)
            // `form=definition`: the whole definition, which another Max node reads back.
            return JSONResponse.make(
                request.uri.queryParameters["form"] == "definition"
                    ? try MaxFacade.definition(schema) : MaxFacade.json(schema))
        }
        router.get("v1/installations/:name/search") { request, context in
            let query = request.uri.queryParameters
            func value(_ key: String) -> String? { query[Substring(key)].map(String.init) }
            let page = try await facade.search(
                .init(
                    installation: try context.parameters.require("name"), entityType: value("entityType") ?? "",
                    filter: value("filter"), fields: value("fields"), orderBy: value("orderBy"),
                    limit: try Self.integer(value("limit"), named: "limit") ?? 100, cursor: value("cursor"),
                    includeDeleted: value("includeDeleted") == "true"))
            var body: [String: JSONValue] = [
                "type": .string(page.entityType), "data": .array(page.records.map(\.jsonObject)),
                "hasMore": .bool(page.hasMore), "fields": .array(page.fields.map(JSONValue.string)),
            ]
            body["cursor"] = page.cursor.map(JSONValue.string) ?? .null
            return JSONResponse.make(.object(body))
        }
        router.get("v1/installations/:name/count") { request, context in
            let query = request.uri.queryParameters
            let count = try await facade.count(
                installation: try context.parameters.require("name"),
                entityType: query["entityType"].map(String.init) ?? "", filter: query["filter"].map(String.init),
                includeDeleted: query["includeDeleted"] == "true")
            return JSONResponse.make(["count": .int(count)])
        }
        router.post("v1/installations/:name/sync") { request, context in
            let name = try context.parameters.require("name")
            let query = request.uri.queryParameters
            let summary = try await Self.sync(
                name, full: query["full"] == "true", restart: query["restart"] == "true", caller: context.caller,
                facade: facade, metrics: metrics)
            return JSONResponse.make(MaxFacade.json(summary))
        }
        router.get("v1/installations/:name/operations") { _, context in
            let name = try context.parameters.require("name")
            return JSONResponse.make(
                MaxFacade.json(operationsOf: try await facade.operations(of: name), installation: name))
        }
        router.post("v1/installations/:name/operations/:operation") { request, context in
            let name = try context.parameters.require("name")
            let operation = try context.parameters.require("operation")
            let body = try await Self.body(of: request, upTo: 1 << 20, within: bodyTimeout)
            let text = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
            let input: JSONValue
            do {
                input = text.isEmpty ? [:] : try JSONValue(parsing: text)
            } catch let error as MaxError {
                throw MaxError(
                    .operationInvalidInput, "the request body is not JSON: \(error.message)",
                    hint: "send the operation's input as a JSON object", cause: error)
            }
            let outcome: OperationInvoker.Outcome
            do {
                outcome = try await facade.invoke(
                    .init(
                        installation: name, operation: operation, input: input,
                        idempotencyKey: Self.header(request, "idempotency-key"),
                        async: request.uri.queryParameters["async"] == "true", requestID: context.requestID),
                    caller: context.caller)
            } catch let error as MaxError {
                metrics.recordInvocation(installation: name, operation: operation, outcome: error.code.description)
                throw error
            }
            switch outcome {
            case .completed:
                metrics.recordInvocation(installation: name, operation: operation, outcome: "completed")
                return JSONResponse.make(MaxFacade.json(outcome))
            case .enqueued(let job):
                metrics.recordInvocation(installation: name, operation: operation, outcome: "enqueued")
                // This process is `max serve`: the runner is `max jobs work`, as after `max invoke`.
                JobRunner.startInBackground(for: facade.workspace.project)
                var response = JSONResponse.make(MaxFacade.json(outcome), status: .accepted)
                response.headers[.location] = "/v1/jobs/\(job.id)"
                return response
            }
        }
        router.get("v1/jobs") { request, _ in
            let query = request.uri.queryParameters
            var state: JobRecord.State?
            if let given = query["state"].map(String.init) {
                guard let parsed = JobRecord.State(rawValue: given) else {
                    throw MaxError(
                        .serveBadRequest, "there is no job state \"\(given)\"",
                        hint: "use one of " + JobRecord.State.allCases.map(\.rawValue).joined(separator: ", "))
                }
                state = parsed
            }
            let installation = query["installation"].map(String.init)
            if let installation { _ = try facade.workspace.record(installation) }
            return JSONResponse.make(
                .array(try facade.jobs(installation: installation, state: state).map(MaxFacade.json)))
        }
        router.get("v1/jobs/:id") { _, context in
            JSONResponse.make(MaxFacade.json(try facade.job(try context.parameters.require("id"))))
        }
        router.get("v1/installations/:name/runs") { request, context in
            let limit = try Self.integer(request.uri.queryParameters["limit"].map(String.init), named: "limit") ?? 20
            guard (1...1000).contains(limit) else {
                throw MaxError(.serveBadRequest, "limit must be between 1 and 1000", hint: "pass ?limit=20")
            }
            let runs = try await facade.runs(installation: try context.parameters.require("name"), limit: limit)
            return JSONResponse.make(.array(runs.map(MaxFacade.json)))
        }
    }

    /// A query parameter that must be a whole number when given.
    ///
    /// - Throws: `serve.bad_request` naming the parameter.
    static func integer(_ text: String?, named name: String) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text) else {
            throw MaxError(
                .serveBadRequest, "\(name) must be a whole number, not '\(text.prefix(40))'", hint: "pass ?\(name)=20")
        }
        return value
    }

    /// The body of `request`, at most `limit` bytes, which must arrive within `timeout`.
    ///
    /// - Throws: 413 (Hummingbird's) for a larger body; `serve.request_timeout` (408) for a late one.
    static func body(of request: Request, upTo limit: Int, within timeout: Duration) async throws -> ByteBuffer {
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                var request = request
                return try await request.collectBody(upTo: limit)
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let body = try await group.next() ?? nil else {
                throw MaxError(
                    .serveRequestTimeout, "the request body did not arrive within \(timeout.components.seconds) s",
                    hint: "send the whole body at once")
            }
            return body
        }
    }

    static func header(_ request: Request, _ name: String) -> String? {
        request.headers.first { $0.name.canonicalName == name }?.value
    }

    /// Runs a sync for the server (an endpoint or a webhook), counted in the metrics.
    static func sync(
        _ name: String, full: Bool, restart: Bool = false, caller: String, facade: MaxFacade, metrics: ServerMetrics
    ) async throws -> SyncSummary {
        do {
            let summary = try await facade.sync(
                name, restart: restart, full: full, caller: caller, observer: metrics.syncObserver(for: name))
            metrics.recordSync(installation: name, status: summary.status, entities: summary.totalEntities)
            return summary
        } catch {
            metrics.recordSync(installation: name, status: "error", entities: 0)
            throw error
        }
    }
}
