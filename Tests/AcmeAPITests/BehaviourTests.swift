import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import MaxConnector
import MaxCore
import ServiceLifecycle
import Synchronization
import Testing

@testable import AcmeAPI

/// The opt-in behaviours: determinism, seeding, rate limits, fault injection, signed webhooks, OAuth.
struct BehaviourTests {
    @Test func theSameOptionsGiveByteIdenticalLists() async throws {
        let options = AcmeOptions.test(seed: 7) { $0.seeding.tasksPerProject = 40 }
        let first = try await AcmeServer.withRunning(options) {
            try await AcmeHarness($0).call(.get, "/api/tasks").text
        }
        let second = try await AcmeServer.withRunning(options) {
            try await AcmeHarness($0).call(.get, "/api/tasks").text
        }
        #expect(first == second)
        #expect(first.count > 10_000)
        let other = try await AcmeServer.withRunning(.test(seed: 8) { $0.seeding.tasksPerProject = 40 }) {
            try await AcmeHarness($0).call(.get, "/api/tasks").text
        }
        #expect(other != first, "another seed gives other data")
    }

    @Test func seedingAddsDataAndStatsCountIt() async throws {
        try await AcmeServer.withRunning(.test()) { ready in
            let api = AcmeHarness(ready)
            let reply = try await api.call(
                .post, "/api/seed",
                body: [
                    "workspaces": 2, "usersPerWorkspace": 1, "projectsPerWorkspace": 2, "tasksPerProject": 4,
                    "filesPerProject": 0,
                ])
            #expect(reply.status == 201)
            #expect(reply.json == ["workspaces": 2, "users": 4, "projects": 4, "tasks": 16, "files": 0])
            let stats = try await api.get("/api/stats")
            #expect(stats["workspaces"] == 3)
            #expect(stats["tasks"] == 46)
            let ids = try #require(try await api.get("/api/workspaces").arrayValue).compactMap { $0["id"]?.stringValue }
            #expect(Set(ids).count == 3)
        }
    }

    @Test func overTheRateLimitIs429WithRetryAfter() async throws {
        try await AcmeServer.withRunning(.test { $0.rateLimit = 3 }) { ready in
            let api = AcmeHarness(ready)
            // All at once, so they land within one second however loaded the machine is.
            let replies = try await withThrowingTaskGroup(of: (Int, String?, JSONValue).self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        let reply = try await api.call(.get, "/api/workspaces")
                        return (reply.status, reply.response.header("Retry-After"), reply.json)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let statuses = replies.map(\.0)
            let limited = replies.filter { $0.0 == 429 }
            let retryAfter = limited.first?.1
            for reply in limited { #expect(reply.2 == ["error": "Rate limit exceeded"]) }
            #expect(statuses.contains(429))
            #expect(statuses.filter { $0 == 200 }.count >= 3)
            #expect(retryAfter == "1")
            #expect(
                try await api.call(.get, "/api/health", key: .none).status == 200, "the open routes are not limited")
        }
    }

    @Test func injectedFailuresAreDeterministic() async throws {
        let options = AcmeOptions.test { $0.failRate = 0.4 }
        let run: @Sendable (AcmeServer.Ready) async throws -> [Int] = { ready in
            let api = AcmeHarness(ready)
            var statuses: [Int] = []
            for _ in 0..<40 { statuses.append(try await api.call(.get, "/api/workspaces").status) }
            return statuses
        }
        let first = try await AcmeServer.withRunning(options, run)
        let second = try await AcmeServer.withRunning(options, run)
        #expect(first == second)
        #expect(first.contains(200))
        #expect(first.contains { $0 == 500 || $0 == 503 })
        #expect(Set(first).isSubset(of: [200, 500, 503]))
    }

    @Test func addedLatencyIsFelt() async throws {
        try await AcmeServer.withRunning(.test { $0.latencyMilliseconds = 150 }) { ready in
            let api = AcmeHarness(ready)
            let clock = ContinuousClock()
            let elapsed = try await clock.measure { _ = try await api.call(.get, "/api/workspaces") }
            #expect(elapsed >= .milliseconds(150))
        }
    }
}

/// Receives webhook deliveries on a loopback Hummingbird server.
private final class Inbox: Sendable {
    struct Delivery: Sendable {
        let id: String
        let timestamp: String
        let signature: String
        let body: String
    }

    let deliveries = Mutex<[Delivery]>([])
    let failuresLeft = Mutex(1)
    /// Every attempt, failed or not, as it arrives.
    let attempts = Mutex(0)
    /// The accepted deliveries, as they arrive: what the test awaits (no deadline on a busy machine).
    let (accepted, acceptedContinuation) = AsyncStream<Delivery>.makeStream()

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("hook") { request, _ -> HTTPResponse.Status in
            var request = request
            let body = try await request.collectBody(upTo: 1_000_000)
            self.attempts.withLock { $0 += 1 }
            // Fail the first delivery, so the retry path is exercised.
            let fail = self.failuresLeft.withLock { left -> Bool in
                defer { left -= 1 }
                return left > 0
            }
            if fail { return .serviceUnavailable }
            func header(_ name: String) -> String {
                HTTPField.Name(name).flatMap { request.headers[$0] } ?? ""
            }
            let delivery = Delivery(
                id: header("webhook-id"), timestamp: header("webhook-timestamp"),
                signature: header("webhook-signature"),
                body: String(buffer: body))
            self.deliveries.withLock { $0.append(delivery) }
            self.acceptedContinuation.yield(delivery)
            return .ok
        }
        return router
    }
}

struct WebhookTests {
    @Test func deliveriesAreSignedAndRetried() async throws {
        let inbox = Inbox()
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let receiver = Application(
            router: inbox.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: AcmeServer.quietLogger)
        let services = ServiceGroup(
            configuration: .init(services: [receiver], gracefulShutdownSignals: [], logger: AcmeServer.quietLogger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await AcmeServer.withRunning(.test()) { ready in
                let api = AcmeHarness(ready)
                let registered = try await api.call(
                    .post, "/api/webhooks", body: ["url": .string("http://127.0.0.1:\(port)/hook")])
                #expect(registered.status == 201)
                #expect(isAcmeID(registered.json["id"], "wh_"))
                #expect(registered.json["active"] == true)
                let secret = try #require(registered.json["secret"]?.stringValue)
                #expect(secret.hasPrefix("whsec_"))
                let listed = try await api.get("/api/webhooks")
                #expect(listed.arrayValue?.first?["secret"] == nil, "the secret is shown once, at registration")

                _ = try await api.call(.post, "/api/workspaces", body: ["name": "Hooked"])
                // The retried delivery (the first attempt fails; the retry comes 500 ms later), as
                // the receiver accepts it: awaited, not polled against a deadline, which a loaded
                // machine running the whole suite once overran.
                let first = try await withThrowingTaskGroup(of: Inbox.Delivery?.self) { group in
                    group.addTask {
                        var accepted = inbox.accepted.makeAsyncIterator()
                        return await accepted.next()
                    }
                    group.addTask {
                        try await Task.sleep(for: .seconds(120))  // the bound on a hang, not a wait
                        return nil
                    }
                    let first = try await group.next() ?? nil
                    group.cancelAll()
                    return first
                }
                let delivery = try #require(first, "no delivery was accepted")
                #expect(inbox.attempts.withLock { $0 } == 2, "one failed attempt, then the retry")
                #expect(delivery.id == "evt_1")
                let body = try JSONValue(parsing: delivery.body)
                #expect(body["action"] == "create")
                #expect(body["payload"]?["name"] == "Hooked")
                let key = SymmetricKey(data: try #require(Data(base64Encoded: String(secret.dropFirst(6)))))
                let mac = HMAC<SHA256>.authenticationCode(
                    for: Data("\(delivery.id).\(delivery.timestamp).\(delivery.body)".utf8), using: key)
                #expect(delivery.signature == "v1," + Data(mac).base64EncodedString())
                #expect(abs((Double(delivery.timestamp) ?? 0) - Date().timeIntervalSince1970) < 60)

                let id = try #require(registered.json["id"]?.stringValue)
                #expect(try await api.call(.delete, "/api/webhooks/\(id)").json == ["ok": true])
                #expect(try await api.get("/api/webhooks").arrayValue?.isEmpty == true)
            }
            await services.triggerGracefulShutdown()
        }
    }
}

struct OAuthTests {
    static let verifier = "a-long-and-random-code-verifier-of-at-least-43-characters-1234567890"

    static func challenge(_ verifier: String) -> String {
        Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private func authorize(_ api: AcmeHarness, redirect: String = "http://127.0.0.1:9/callback") async throws -> String
    {
        let query = [
            "response_type=code", "client_id=max-cli", "redirect_uri=\(redirect)", "state=xyz",
            "code_challenge=\(Self.challenge(Self.verifier))", "code_challenge_method=S256",
        ].joined(separator: "&")
        let reply = try await api.call(.get, "/oauth/authorize?\(query)", key: .none)
        #expect(reply.status == 302)
        let location = try #require(reply.response.header("Location"))
        let items = URLComponents(string: location)?.queryItems ?? []
        #expect(location.hasPrefix("http://127.0.0.1:9/callback?"))
        #expect(items.first { $0.name == "state" }?.value == "xyz")
        return try #require(items.first { $0.name == "code" }?.value)
    }

    private func tokenCall(_ api: AcmeHarness, _ form: String, path: String = "/oauth/token") async throws
        -> AcmeHarness.Reply
    {
        let response = try await api.http.send(
            .init(
                .post, api.ready.url + path, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: Data(form.utf8)))
        let json = (try? JSONValue(parsing: String(decoding: response.body, as: UTF8.self))) ?? .null
        return AcmeHarness.Reply(status: response.status, json: json, response: response)
    }

    @Test func authorizationCodeWithPKCEAndRotatingRefreshTokens() async throws {
        try await AcmeServer.withRunning(.test()) { ready in
            let api = AcmeHarness(ready, followsRedirects: false)
            let code = try await authorize(api)
            let redirect = "http://127.0.0.1:9/callback"

            let wrongVerifier = try await tokenCall(
                api,
                "grant_type=authorization_code&code=\(code)&client_id=max-cli&redirect_uri=\(redirect)&code_verifier=nope"
            )
            #expect(wrongVerifier.status == 400)
            #expect(wrongVerifier.json["error"] == "invalid_grant")

            let code2 = try await authorize(api)
            let tokens = try await tokenCall(
                api,
                "grant_type=authorization_code&code=\(code2)&client_id=max-cli&redirect_uri=\(redirect)&code_verifier=\(Self.verifier)"
            )
            #expect(tokens.status == 200)
            #expect(tokens.json["token_type"] == "Bearer")
            #expect(tokens.json["expires_in"] == 3600)
            let access = try #require(tokens.json["access_token"]?.stringValue)
            let refresh = try #require(tokens.json["refresh_token"]?.stringValue)
            #expect(try await api.call(.get, "/api/workspaces", key: .custom(access)).status == 200)

            let reused = try await tokenCall(
                api,
                "grant_type=authorization_code&code=\(code2)&client_id=max-cli&redirect_uri=\(redirect)&code_verifier=\(Self.verifier)"
            )
            #expect(reused.json["error"] == "invalid_grant", "a code works once")

            let rotated = try await tokenCall(
                api, "grant_type=refresh_token&refresh_token=\(refresh)&client_id=max-cli")
            #expect(rotated.status == 200)
            let newRefresh = try #require(rotated.json["refresh_token"]?.stringValue)
            #expect(newRefresh != refresh)
            let replayed = try await tokenCall(
                api, "grant_type=refresh_token&refresh_token=\(refresh)&client_id=max-cli")
            #expect(replayed.status == 400)
            #expect(replayed.json["error"] == "invalid_grant", "the old refresh token stops working")
            let newAccess = try #require(rotated.json["access_token"]?.stringValue)
            #expect(try await api.call(.get, "/api/workspaces", key: .custom(newAccess)).status == 200)

            let unsupported = try await tokenCall(api, "grant_type=password")
            #expect(unsupported.json["error"] == "unsupported_grant_type")
            let badRedirect = try await api.call(
                .get,
                "/oauth/authorize?response_type=code&client_id=x&redirect_uri=https://evil.example/cb&code_challenge=\(Self.challenge(Self.verifier))",
                key: .none)
            #expect(badRedirect.status == 400)
        }
    }

    @Test func anAccessTokenLivesExactlyItsTTL() throws {
        let store = OAuthStore()
        let issued = Date(timeIntervalSince1970: 1_800_000_000)
        let code = store.issueCode(
            clientID: "max-cli", redirectURI: "http://127.0.0.1:9/callback",
            challenge: Self.challenge(Self.verifier), scope: "read", now: issued)
        let tokens = try store.exchange(
            code: code, clientID: "max-cli", redirectURI: "http://127.0.0.1:9/callback", verifier: Self.verifier,
            ttl: 3, now: issued)
        #expect(tokens.expiresIn == 3)
        #expect(store.isValidAccessToken(tokens.accessToken, now: issued.addingTimeInterval(2.999)))
        #expect(!store.isValidAccessToken(tokens.accessToken, now: issued.addingTimeInterval(3)))
    }

    @Test func anExpiredAccessTokenIsRefusedOverHTTP() async throws {
        // A TTL of zero: the token is expired the moment it is issued, whatever the machine's load.
        try await AcmeServer.withRunning(.test { $0.tokenTTL = 0 }) { ready in
            let api = AcmeHarness(ready, followsRedirects: false)
            let code = try await authorize(api)
            let tokens = try await tokenCall(
                api,
                "grant_type=authorization_code&code=\(code)&client_id=max-cli&redirect_uri=http://127.0.0.1:9/callback&code_verifier=\(Self.verifier)"
            )
            let access = try #require(tokens.json["access_token"]?.stringValue)
            #expect(tokens.json["expires_in"] == 0)
            #expect(try await api.call(.get, "/api/workspaces", key: .custom(access)).status == 403)
        }
    }

    /// Grants the client `max-cli` one authorization; returns its access and refresh tokens.
    private func grant(_ api: AcmeHarness) async throws -> (access: String, refresh: String) {
        let code = try await authorize(api)
        let tokens = try await tokenCall(
            api,
            "grant_type=authorization_code&code=\(code)&client_id=max-cli&redirect_uri=http://127.0.0.1:9/callback&code_verifier=\(Self.verifier)"
        )
        return (
            try #require(tokens.json["access_token"]?.stringValue),
            try #require(tokens.json["refresh_token"]?.stringValue)
        )
    }

    @Test func revokingARefreshTokenEndsItsGrantOnly() async throws {
        try await AcmeServer.withRunning(.test()) { ready in
            let api = AcmeHarness(ready, followsRedirects: false)
            let first = try await grant(api)
            let second = try await grant(api)
            let revoked = try await tokenCall(api, "token=\(first.refresh)", path: "/oauth/revoke")
            #expect(revoked.status == 200)
            #expect(try await api.call(.get, "/api/workspaces", key: .custom(first.access)).status == 403)
            let refreshed = try await tokenCall(
                api, "grant_type=refresh_token&refresh_token=\(first.refresh)&client_id=max-cli")
            #expect(refreshed.json["error"] == "invalid_grant")
            #expect(try await api.call(.get, "/api/workspaces", key: .custom(second.access)).status == 200)
            #expect(try await tokenCall(api, "token=unknown", path: "/oauth/revoke").status == 200)
            #expect(try await tokenCall(api, "", path: "/oauth/revoke").status == 400)

            // An admin removing every app's access ends the second grant too.
            let all = try await api.call(.delete, "/api/oauth/grants")
            #expect(all.json["revoked"] == 1)
            #expect(try await api.call(.get, "/api/workspaces", key: .custom(second.access)).status == 403)
            let stats = try await api.call(.get, "/api/stats").json["oauth"]
            #expect(stats?["exchanges"] == 2)
            #expect(stats?["revocations"] == 3)
        }
    }
}
