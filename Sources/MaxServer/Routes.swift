import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MaxConnector
import MaxCore
import MaxMCP
import MaxRuntime

/// The routes of `max serve`: one per ``Endpoint`` (its arguments read from the path, the query,
/// the headers and the body as the endpoint declares them; its typed result as JSON), plus the
/// webhook receiver, MCP over HTTP and the metrics.
struct Routes: Sendable {
    let api: MaxNodes
    let metrics: ServerMetrics
    let syncer: WebhookSyncer
    let logger: Logger
    /// How long a request body may take to arrive.
    let bodyTimeout: Duration

    func add(to router: Router<MaxRequestContext>) {
        let api = api
        let metrics = metrics
        let syncer = syncer
        let logger = logger
        let bodyTimeout = bodyTimeout
        router.post("v1/webhooks/:name") { request, context in
            let name = try context.parameters.require("name")
            let body = Data(try await Self.body(of: request, upTo: 1 << 20, within: bodyTimeout).readableBytesView)
            do {
                try await WebhookReceiver(workspace: api.workspace).accept(
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
        let mcp = MaxMCPHTTPEndpoint(api: api)
        for method in [HTTPRequest.Method.post, .get, .delete] {
            router.on("mcp", method: method) { request, context in
                let body = try await Self.body(of: request, upTo: 4 << 20, within: bodyTimeout)
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName] = field.value }
                let answer = await mcp.handle(
                    method: request.method.rawValue, headers: headers,
                    body: body.readableBytes == 0 ? nil : Data(body.readableBytesView), allowed: context.allowed,
                    caller: "mcp:\(context.caller)", principal: context.principal, scope: context.scope)
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
        for endpoint in Endpoint.allCases {
            let method = HTTPRequest.Method(rawValue: endpoint.method) ?? .get
            router.on(RouterPath(String(endpoint.path.dropFirst())), method: method) { request, context in
                try await Self.answer(
                    endpoint, request: request, context: context, api: api, metrics: metrics, bodyTimeout: bodyTimeout)
            }
        }
    }

    /// Calls `endpoint` for `request`: its arguments, the caller's node, the typed answer.
    static func answer(
        _ endpoint: Endpoint, request: Request, context: MaxRequestContext, api: MaxNodes, metrics: ServerMetrics,
        bodyTimeout: Duration
    ) async throws -> Response {
        let hasBody = endpoint.parameters.contains { $0.location == .body }
        let body =
            hasBody ? Data(try await Self.body(of: request, upTo: 1 << 20, within: bodyTimeout).readableBytesView) : nil
        var path: [String: String] = [:]
        for parameter in endpoint.parameters where parameter.location == .path {
            path[parameter.name] = context.parameters.get(parameter.name)
        }
        let arguments = try endpoint.arguments(
            path: path, query: request.uri.queryParameters.map { (String($0.key), String($0.value)) },
            header: { Self.header(request, $0.lowercased()) }, body: body)
        let caller = MaxNodes(local: api.local.calling(as: context.caller, requestID: context.requestID))
        let installation = arguments["installation"]?.stringValue ?? ""
        let access = AccessControl(workspace: api.workspace)
        try await access.authorize(
            endpoint, arguments: arguments, principal: context.principal, scope: context.scope, caller: context.caller)
        var answer: APIAnswer
        let started = ContinuousClock.now
        do {
            answer = try await endpoint.call(
                on: caller, arguments: arguments, observer: metrics.syncObserver(for: installation))
            answer = try answer.visible(to: context.principal, in: api.workspace)
        } catch {
            Self.record(
                endpoint, installation: installation, arguments: arguments, answer: nil, metrics: metrics,
                error: MaxError.wrapping(error), duration: ContinuousClock.now - started)
            throw error
        }
        Self.record(
            endpoint, installation: installation, arguments: arguments, answer: answer, metrics: metrics, error: nil,
            duration: ContinuousClock.now - started)
        var response = Response(
            status: .init(code: answer.status), headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: try answer.data())))
        if let location = answer.location { response.headers[.location] = location }
        return response
    }

    /// Counts syncs and operation calls in the metrics.
    private static func record(
        _ endpoint: Endpoint, installation: String, arguments: JSONValue, answer: APIAnswer?, metrics: ServerMetrics,
        error: MaxError?, duration: Duration
    ) {
        switch endpoint {
        case .sync:
            let summary = answer?.value as? SyncSummary
            metrics.recordSync(
                installation: installation, status: summary?.status ?? "error", entities: summary?.totalEntities ?? 0,
                duration: duration)
        case .invoke:
            let outcome =
                if let error { error.code.description } else if answer?.status == 202 { "enqueued" } else {
                    "completed"
                }
            metrics.recordInvocation(
                installation: installation, operation: arguments["operation"]?.stringValue ?? "", outcome: outcome,
                duration: duration)
        default: break
        }
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

    /// Runs a sync for a webhook delivery, counted in the metrics.
    static func sync(_ name: String, caller: String, api: MaxNodes, metrics: ServerMetrics, full: Bool = false)
        async throws -> SyncSummary
    {
        let started = ContinuousClock.now
        do {
            let summary = try await MaxNodes(local: api.local.calling(as: caller)).sync(
                SyncRequest(installation: name, full: full), observer: metrics.syncObserver(for: name))
            metrics.recordSync(
                installation: name, status: summary.status, entities: summary.totalEntities,
                duration: ContinuousClock.now - started)
            return summary
        } catch {
            metrics.recordSync(
                installation: name, status: "error", entities: 0, duration: ContinuousClock.now - started)
            throw error
        }
    }
}
