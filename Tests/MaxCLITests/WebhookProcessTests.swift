import Foundation
import MaxConnector
import MaxCore
import MaxCredentials
import MaxRuntime
import MaxTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Webhooks in: Acme pushes a change to `max serve`, which checks it and syncs; forged, stale and
/// replayed deliveries are refused and change nothing.
struct WebhookProcessTests {
    static func post(_ url: String, headers: [(String, String)], body: String) async throws -> (Int, JSONValue) {
        let response = try await ConnectorHTTPClient(timeout: .seconds(20)).send(
            .init(.post, url, headers: headers + [("Content-Type", "application/json")], body: Data(body.utf8)))
        return (response.status, (try? JSONValue(parsing: String(decoding: response.body, as: UTF8.self))) ?? .null)
    }

    static func syncEvents(_ folder: TemporaryDirectory) async throws -> Int {
        let audit = try await runMax([
            "-C", folder.url.path, "audit", "acme", "-f", #"operation = "sync""#, "-o", "ndjson",
        ])
        return audit.stdout.split(separator: "\n").count
    }

    @Test func aSignedChangeShowsUpAndForgeriesChangeNothing() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        #expect(try await runMax(["-C", folder.url.path, "sync", "acme"]).status == 0)
        let (server, base) = try await startServe(folder.url)
        try #require(!base.isEmpty, "\(server.stderrSoFar)")
        let hook = base + "/v1/webhooks/acme"
        let registered = try await runMax(["-C", folder.url.path, "webhooks", "register", "acme", "--url", hook])
        #expect(registered.status == 0, "\(registered.output)")
        #expect(!registered.output.contains("whsec_"))

        // A change in Acme arrives signed, and a sync brings it in.
        let task = try #require(try await EndToEndTests.apiList(acme, "/api/tasks").first?["id"]?.stringValue)
        let user = try #require(try await EndToEndTests.apiList(acme, "/api/users").first?["id"]?.stringValue)
        let started = ContinuousClock.now
        _ = try await EndToEndTests.api(
            acme, .patch, "/api/tasks/\(task)", ["title": "Changed upstream", "lastModifiedById": .string(user)])
        var seen = false
        for _ in 0..<100 where !seen {
            let count = try await runMax([
                "-C", folder.url.path, "count", "acme", "AcmeTask", "-f", #"title = "Changed upstream""#,
            ])
            seen = count.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1"
            if !seen { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(seen, "the change reached the local store")
        // Under a second on an idle machine (Acme's delivery, the sync, and each polling max count
        // process). Nothing but the webhook syncs this project, so the bound only needs to be
        // prompt, with room for a test run sharing two cores with other work.
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .seconds(15), "\(elapsed)")

        // Deliveries forged with the stored secret (read here as the node itself would).
        let record = try MaxWorkspace(project: Project(root: folder.url), registry: ConnectorRegistry(local: [:]))
            .record("acme")
        let store = FileCredentialStore(
            url: folder.file(".max/installations/acme/credentials.json"), installation: record.id,
            keys: { try MasterKeyring.load(environment: [:], configFolder: MaxProcess.configHome) })
        let name = try #require(try await store.names().first { $0.hasPrefix("webhook_secret_") })
        let secret = try #require(try await store.secret(named: name)).revealed
        let before = try await Self.syncEvents(folder)
        let body = #"{"action":"update","entityType":"task","entityId":"\#(task)","sequence":999999}"#
        func signed(_ id: String, _ timestamp: Int, _ signedBody: String) -> [(String, String)] {
            [
                ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
                (
                    "webhook-signature",
                    WebhookSignature.sign(
                        secret: secret, id: id, timestamp: String(timestamp), body: Data(signedBody.utf8))
                ),
            ]
        }
        let now = Int(Date().timeIntervalSince1970)
        let tampered = try await Self.post(hook, headers: signed("evt_forged_1", now, body), body: body + " ")
        #expect(tampered.0 == 401)
        #expect(tampered.1["error"]?["code"] == "webhook.invalid_signature")
        let stale = try await Self.post(hook, headers: signed("evt_forged_2", now - 600, body), body: body)
        #expect(stale.0 == 400)
        #expect(stale.1["error"]?["code"] == "webhook.stale")
        let unsigned = try await Self.post(hook, headers: [], body: body)
        #expect(unsigned.0 == 401)
        let good = signed("evt_forged_3", now, body)
        #expect(try await Self.post(hook, headers: good, body: body).0 == 202)
        let replayed = try await Self.post(hook, headers: good, body: body)
        #expect(replayed.0 == 409)
        #expect(replayed.1["error"]?["code"] == "webhook.replayed")
        // A fixed wait: it shows that no refused delivery starts a sync, and nothing announces the
        // absence of one (the accepted delivery's sync was already seen above).
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await Self.syncEvents(folder) == before + 1, "only the accepted delivery synced")
        server.send(SIGTERM)
        let stopped = try await server.outcome()
        #expect(stopped.stderr.components(separatedBy: "webhook delivery rejected").count - 1 == 4, "\(stopped.stderr)")
        #expect(!stopped.output.contains(secret))
    }
}
