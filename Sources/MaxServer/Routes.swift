import Foundation
import Hummingbird
import Logging
import MaxCore
import MaxRuntime
import MaxStorage
import MaxSync

/// The `/v1` endpoints, each a thin adapter over the façade.
struct Routes: Sendable {
    let facade: MaxFacade
    let metrics: ServerMetrics
    let syncer: WebhookSyncer
    let logger: Logger

    func add(to router: Router<BasicRequestContext>) {
        let facade = facade
        let metrics = metrics
        let syncer = syncer
        let logger = logger
        router.post("v1/webhooks/:name") { request, context in
            let name = try context.parameters.require("name")
            var request = request
            let body = Data(try await request.collectBody(upTo: 1 << 20).readableBytesView)
            do {
                try await WebhookReceiver(workspace: facade.workspace).accept(
                    installation: name, id: Self.header(request, "webhook-id"),
                    timestamp: Self.header(request, "webhook-timestamp"),
                    signature: Self.header(request, "webhook-signature"), body: body)
            } catch let error as MaxError {
                logger.notice(
                    "webhook delivery rejected", metadata: ["installation": "\(name)", "error.code": "\(error.code)"])
                throw error
            }
            syncer.request(name)
            return JSONResponse.make(["accepted": true], status: .accepted)
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
        router.get("v1/installations/:name/schema") { _, context in
            let name = try context.parameters.require("name")
            return JSONResponse.make(MaxFacade.json(try await MaxFacade.schema(of: name, in: facade.workspace)))
        }
        router.get("v1/installations/:name/search") { request, context in
            let query = request.uri.queryParameters
            func value(_ key: String) -> String? { query[Substring(key)].map(String.init) }
            let page = try await facade.search(
                .init(
                    installation: try context.parameters.require("name"), entityType: value("entityType") ?? "",
                    filter: value("filter"), fields: value("fields"), orderBy: value("orderBy"),
                    limit: value("limit").flatMap(Int.init) ?? 100, cursor: value("cursor"),
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
        router.post("v1/installations/:name/sync") { _, context in
            let name = try context.parameters.require("name")
            let summary = try await facade.workspace.sync(name)
            return JSONResponse.make([
                "runId": .string(summary.runID), "status": .string(summary.status),
                "entities": .int(summary.totalEntities), "tasksFailed": .int(summary.tasksFailed),
            ])
        }
        router.get("v1/installations/:name/runs") { _, context in
            let runs = try await facade.runs(installation: try context.parameters.require("name"))
            return JSONResponse.make(.array(runs.map(MaxFacade.json)))
        }
    }

    static func header(_ request: Request, _ name: String) -> String? {
        request.headers.first { $0.name.canonicalName == name }?.value
    }
}
