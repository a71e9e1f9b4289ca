import Foundation
import GRDB
import Hummingbird

/// Health, meta, seeding, stats and webhook registration.
enum AdminRoutes {
    struct RegisteredWebhook: Encodable {
        let id: String
        let url: String
        let createdAt: String
        let active: Bool
        let secret: String
    }

    static func add<Context: RequestContext>(to router: Router<Context>, state: AcmeState) {
        router.get("api/health") { _, _ in try Reply.json(["status": "ok", "tenant": state.options.tenant]) }
        router.get("api/meta") { _, _ in try Reply.json(["tenant": state.options.tenant, "apiKey": state.apiKey]) }
        router.get("api/stats") { _, _ in
            // The counts of the data, and (new) `requests` and `requestsPerSecond`: authenticated
            // requests so far by route and by second (Unix time), `/api/stats` itself excluded; and
            // `oauth`: the authorization codes exchanged, refresh tokens used and revocations.
            var stats = try await state.database.stats().mapValues(AnyJSON.int)
            stats["requests"] = .object(state.requestsByRoute.mapValues(AnyJSON.int))
            stats["requestsPerSecond"] = .object(state.requestsBySecond.mapValues(AnyJSON.int))
            let oauth = state.oauth.counts
            stats["oauth"] = .object([
                "exchanges": .int(oauth.exchanges), "refreshes": .int(oauth.refreshes),
                "revocations": .int(oauth.revocations),
            ])
            return try Reply.json(stats)
        }

        router.delete("api/oauth/grants") { _, _ in
            // (new) An admin removing the OAuth access of every app: all tokens stop working.
            try Reply.json(["revoked": state.oauth.revokeAll()])
        }

        router.post("api/holds/release") { request, _ in
            // (test support) Lets the writes held by --hold-writes and the reads held by
            // --hold-reads-after through, and holds no more unless `?keep=true`.
            let keep = request.uri.queryParameters["keep"] == "true"
            let released = state.writeHold.release(keepHolding: keep) + state.readHold.release(keepHolding: keep)
            return try Reply.json(["released": AnyJSON.int(released)])
        }

        router.post("api/seed") { request, _ -> Response in
            var request = request
            let body = try await Body.read(&request)
            var seeding = AcmeOptions.Seeding()
            seeding.workspaces = try body.int("workspaces") ?? seeding.workspaces
            seeding.usersPerWorkspace = try body.int("usersPerWorkspace") ?? seeding.usersPerWorkspace
            seeding.projectsPerWorkspace = try body.int("projectsPerWorkspace") ?? seeding.projectsPerWorkspace
            seeding.tasksPerProject = try body.int("tasksPerProject") ?? seeding.tasksPerProject
            seeding.filesPerProject = try body.int("filesPerProject") ?? seeding.filesPerProject
            let values = [
                seeding.workspaces, seeding.usersPerWorkspace, seeding.projectsPerWorkspace, seeding.tasksPerProject,
                seeding.filesPerProject,
            ]
            guard values.allSatisfy({ (0...1_000_000).contains($0) }) else {
                throw AcmeHTTPError.badRequest("seeding counts must be from 0 to 1000000")
            }
            let counts = try await AcmeSeeder(seed: state.options.seed).seed(seeding, into: state.database)
            return try Reply.json(counts, status: .created)
        }

        router.post("api/webhooks") { request, _ -> Response in
            var request = request
            let body = try await Body.read(&request)
            let url = try body.requiredString("url")
            guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme),
                parsed.host != nil
            else { throw AcmeHTTPError.badRequest("url must be an http(s) URL") }
            var random = SystemRandomNumberGenerator()
            let secretBytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &random) }
            let webhook = Webhook(
                id: "wh_" + AcmeRandom.hex(random.next()) + AcmeRandom.hex(random.next()), url: url,
                secret: "whsec_" + Data(secretBytes).base64EncodedString(), createdAt: AcmeTime.now(), active: true)
            try await state.database.writer.write { db in try webhook.insert(db) }
            return try Reply.json(
                RegisteredWebhook(
                    id: webhook.id, url: webhook.url, createdAt: webhook.createdAt, active: webhook.active,
                    secret: webhook.secret),
                status: .created)
        }
        router.get("api/webhooks") { _, _ -> Response in
            let hooks = try await state.database.list(
                Webhook.self, parentColumn: nil, parent: nil, after: nil, limit: nil)
            return try Reply.json(hooks)
        }
        router.delete("api/webhooks/:id") { _, context -> Response in
            let id = try context.parameters.require("id")
            try await state.database.writer.write { db in
                try db.execute(
                    sql: "UPDATE webhooks SET deletedAt = ?, active = 0 WHERE id = ? AND deletedAt IS NULL",
                    arguments: [AcmeTime.now(), id])
                guard db.changesCount > 0 else { throw AcmeHTTPError.notFound }
            }
            return try Reply.json(["ok": true])
        }
    }
}

extension Webhook: AcmeRecord {
    var updatedAt: String {
        get { createdAt }
        set {}
    }
}
