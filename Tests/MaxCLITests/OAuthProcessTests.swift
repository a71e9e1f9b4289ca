import Foundation
import MaxConnector
import MaxCore
import MaxCredentials
import MaxRuntime
import MaxTestSupport
import Testing

/// OAuth 2.0 with the real processes: `max connect acme --config auth=oauth` completed by following
/// the `authorize:` line, against an Acme whose access tokens live two seconds.
struct OAuthProcessTests {
    /// Follows an authorization URL as a browser would: Acme approves at once and redirects to
    /// the loopback port `max` listens on, which answers the page.
    static func approve(_ url: String) async throws {
        let browser = ConnectorHTTPClient(timeout: .seconds(20), followsRedirects: true)
        let response = try await browser.send(.init(.get, url))
        #expect(response.status == 200, "Max's loopback receiver took the redirect")
    }

    /// Waits for the one `authorize:` line of a running `max`, follows it, and returns the outcome.
    static func completeAuthorization(_ process: MaxProcess) async throws -> Outcome {
        var url: String?
        for _ in 0..<600 where process.isRunning && url == nil {
            url = process.stderrSoFar.split(separator: "\n").first { $0.hasPrefix("authorize: ") }
                .map { String($0.dropFirst("authorize: ".count)) }
            if url == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        if let url {
            try await approve(url)
        } else {
            Issue.record("no authorize: line came: \(process.stderrSoFar)")
        }
        let outcome = try await process.outcome()
        let lines = outcome.stderr.split(separator: "\n").filter { $0.hasPrefix("authorize:") }
        #expect(lines.count == 1, "one line starts with authorize:, the URL")
        return outcome
    }

    /// Acme's OAuth counters: exchanges, refreshes, revocations.
    static func oauthCount(_ acme: AcmeProcess, _ name: String) async throws -> Int {
        try await EndToEndTests.api(acme, .get, "/api/stats", .null)["oauth"]?[name]?.intValue ?? -1
    }

    @Test func connectSyncPastTheTTLRevokeAndReauthenticate() async throws {
        let acme = try AcmeProcess(arguments: ["--token-ttl", "2", "--projects-per-workspace", "20"])
        let folder = try TemporaryDirectory(prefix: "oauth")
        var outputs: [Outcome] = []
        _ = try await runMax(["init", folder.url.path])
        let connected = try await Self.completeAuthorization(
            try MaxProcess([
                "-C", folder.url.path, "connect", "acme", "--config", "baseURL=\(acme.url)", "--config", "auth=oauth",
            ]))
        outputs.append(connected)
        try #require(connected.status == 0, "\(connected.output)")
        #expect(connected.stdout.hasPrefix("Connected acme as acme ("))
        let listed = try await runMax(["-C", folder.url.path, "credentials", "ls", "acme", "-o", "json"])
        let keys = try JSONValue(parsing: listed.stdout).arrayValue?.compactMap { $0["key"]?.stringValue }
        #expect(keys == ["access_token", "refresh_token"])

        // ~70 requests at 15 a second: the sync outlives several access tokens.
        try setInstallationKeys(in: folder.url, ["rateLimit": ["rate": 15, "burst": 1, "concurrency": 2]])
        let refreshesBefore = try await Self.oauthCount(acme, "refreshes")
        let started = ContinuousClock.now
        let synced = try await runMax(["-C", folder.url.path, "sync", "acme"])
        let elapsed = ContinuousClock.now - started
        outputs.append(synced)
        #expect(synced.status == 0, "\(synced.output)")
        #expect(elapsed > .seconds(3), "the sync lasted longer than a token: \(elapsed)")
        #expect(try await Self.oauthCount(acme, "refreshes") - refreshesBefore >= 1, "tokens were refreshed")
        try await ResilienceProcessTests.expectStoreEqualsTheAPI(folder, acme)

        // The tenant's admin removes Max's access: the refresh token stops working.
        _ = try await EndToEndTests.api(acme, .delete, "/api/oauth/grants", .null)
        let refused = try await runMax(["-C", folder.url.path, "sync", "acme", "--full"])
        outputs.append(refused)
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.stderr.contains("error[credentials.expired]"), "\(refused.stderr)")
        #expect(refused.stderr.contains("\"max connect acme --reauth\""), "the hint names the installation")
        let inList = try await runMax(["-C", folder.url.path, "ls", "-o", "json"])
        #expect(try JSONValue(parsing: inList.stdout).arrayValue?.first?["status"] == "credential_expired")
        let status = try await runMax(["-C", folder.url.path, "status", "-o", "json"])
        outputs.append(status)
        #expect(status.status == 1)
        let row = try JSONValue(parsing: status.stdout).arrayValue?.first
        #expect(row?["status"] == "credential_expired", "\(status.stdout)")
        #expect(row?["hint"]?.stringValue?.contains("max connect acme --reauth") == true)

        // Re-authentication keeps the installation: max.json is not even rewritten.
        let projectFile = folder.url.appendingPathComponent("max.json")
        let before = try Data(contentsOf: projectFile)
        let reauthenticated = try await Self.completeAuthorization(
            try MaxProcess(["-C", folder.url.path, "connect", "acme", "--reauth"]))
        outputs.append(reauthenticated)
        #expect(reauthenticated.status == 0, "\(reauthenticated.output)")
        #expect(reauthenticated.stdout.contains("Re-authenticated acme"))
        #expect(try Data(contentsOf: projectFile) == before)
        let again = try await runMax(["-C", folder.url.path, "sync", "acme"])
        outputs.append(again)
        #expect(again.status == 0, "\(again.output)")
        let healthy = try await runMax(["-C", folder.url.path, "status", "acme", "-o", "json"])
        #expect(try JSONValue(parsing: healthy.stdout).arrayValue?.first?["status"] == "healthy")

        #expect(FileManager.default.fileExists(atPath: folder.file(".max/installations/acme/data.db").path))
        try CanaryScan.expectNoSecret(["acme_rt_", "acme_at_", "acme_code_"], in: folder.url, outputs: outputs)
    }

    /// The OAuth tokens stored for `name`, read with the tests' master key.
    static func storedTokens(_ folder: URL, _ name: String) async throws -> (refresh: String, access: String) {
        let record = try #require(try Project(root: folder).load().installations[name])
        let environment = ["MAX_CONFIG_HOME": MaxProcess.configHome.path]
        let store = FileCredentialStore(
            url: try Project(root: folder).credentialsURL(name), installation: record.id,
            keys: { try MasterKeyring.load(environment: environment, configFolder: MaxProcess.configHome) })
        let refresh = try #require(try await store.secret(named: "refresh_token")).revealed
        let access = try await store.get(CredentialKey<OAuth2AccessToken>("access_token")).token
        return (refresh, access)
    }

    /// Rotation: re-authorising revokes the old tokens at Acme (RFC 7009), which then refuses
    /// them, runs a health check with the new ones, and is audited with what it revoked.
    @Test func reauthorizationRevokesTheOldTokensAtAcme() async throws {
        let acme = try AcmeProcess()
        let folder = try TemporaryDirectory(prefix: "oauth-rotate")
        _ = try await runMax(["init", folder.url.path])
        let connected = try await Self.completeAuthorization(
            try MaxProcess([
                "-C", folder.url.path, "connect", "acme", "--config", "baseURL=\(acme.url)", "--config", "auth=oauth",
            ]))
        try #require(connected.status == 0, "\(connected.output)")
        let old = try await Self.storedTokens(folder.url, "acme")
        func workspaces(_ token: String) async throws -> Int {
            try await ConnectorHTTPClient.shared.send(
                .init(.get, acme.url + "/api/workspaces", headers: [("Authorization", "Bearer \(token)")])
            ).status
        }
        func refresh(_ token: String) async throws -> (status: Int, body: String) {
            let response = try await ConnectorHTTPClient.shared.send(
                .init(
                    .post, acme.url + "/oauth/token",
                    headers: [("Content-Type", "application/x-www-form-urlencoded")],
                    body: Data("grant_type=refresh_token&client_id=max&refresh_token=\(token)".utf8)))
            return (response.status, String(decoding: response.body, as: UTF8.self))
        }
        #expect(try await workspaces(old.access) == 200, "the old access token works before")
        let revocationsBefore = try await Self.oauthCount(acme, "revocations")

        let reauthorized = try await Self.completeAuthorization(
            try MaxProcess(["-C", folder.url.path, "connect", "acme", "--reauth"]))
        #expect(reauthorized.status == 0, "\(reauthorized.output)")
        #expect(reauthorized.stderr.contains("Revoked the old refresh_token and access_token at Acme"))
        #expect(reauthorized.stderr.contains("health check with the new credentials: healthy"))
        #expect(try await Self.oauthCount(acme, "revocations") - revocationsBefore == 2)

        // Acme refuses the old tokens; the new ones work.
        let oldAccess = try await workspaces(old.access)
        #expect(oldAccess == 403, "Acme answers a wrong or inactive token 403: \(oldAccess)")
        let refused = try await refresh(old.refresh)
        #expect(refused.status == 400 && refused.body.contains("invalid_grant"), "\(refused)")
        let new = try await Self.storedTokens(folder.url, "acme")
        #expect(new.refresh != old.refresh && new.access != old.access)
        #expect(try await workspaces(new.access) == 200)
        #expect(try await runMax(["-C", folder.url.path, "sync", "acme"]).status == 0)

        // The audit event says what was revoked and what the check found, never a token.
        let audit = try await runMax(
            ["-C", folder.url.path, "audit", "-f", #"operation = "credentials.reauth""#, "-o", "ndjson"])
        let event = try #require(
            audit.stdout.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }.first)
        #expect(event["outcome"] == "succeeded" && event["caller"]?.stringValue?.hasPrefix("cli:") == true)
        let context = try JSONValue(parsing: event["context"]?.stringValue ?? "")
        #expect(context["revoked"] == ["refresh_token", "access_token"], "\(context)")
        #expect(context["health"] == "healthy")
        try CanaryScan.expectNoSecret(
            [old.refresh, old.access, new.refresh, new.access], in: folder.url,
            outputs: [connected, reauthorized, audit])

        // Disconnecting revokes the current tokens too, before wiping them.
        let disconnected = try await runMax(["-C", folder.url.path, "disconnect", "acme", "--yes"])
        #expect(disconnected.status == 0, "\(disconnected.output)")
        #expect(disconnected.stderr.contains("Revoked the old refresh_token and access_token at Acme"))
        #expect(![new.refresh, new.access].contains { disconnected.output.contains($0) })
        #expect(try await workspaces(new.access) == 403)
        #expect(try await refresh(new.refresh).status == 400)
    }

    @Test func reauthWithAWrongTokenChangesNothing() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let credentials = folder.url.appendingPathComponent(".max/installations/acme/credentials.json")
        let before = try Data(contentsOf: credentials)
        let wrong = "acme_" + String(repeating: "7", count: 32)
        let refused = try await runMax(
            ["-C", folder.url.path, "connect", "acme", "--reauth", "--credential", "api_token=env:T"],
            environment: ["T": wrong])
        #expect(refused.status == 2, "\(refused.output)")
        #expect(refused.stderr.contains("the API token was rejected"))
        #expect(try Data(contentsOf: credentials) == before, "a failed re-authentication writes nothing")
        let unknown = try await runMax(["-C", folder.url.path, "connect", "nothing", "--reauth"])
        #expect(unknown.status == 4, "\(unknown.output)")
        let misuse = try await runMax(["-C", folder.url.path, "connect", "acme", "--reauth", "--config", "a=b"])
        #expect(misuse.status == 2)
        #expect(misuse.stderr.contains("--reauth keeps the installation's config"))
        try CanaryScan.expectNoSecret([wrong, acme.apiKey], in: folder.url, outputs: [refused, unknown, misuse])
    }
}
