import Foundation
import MaxConnector
import MaxCore
import MaxTestSupport
import Testing

/// Credentials through their whole life with the real processes: connect (token and OAuth), sync,
/// failures, re-authentication, key rotation, `max install` on a fresh clone, and references to
/// the environment in `max.json`.
struct CredentialLifecycleTests {
    @Test func canarySecretsNeverLeaveSealedStorage() async throws {
        let acme = try AcmeProcess(arguments: ["--token-ttl", "2"])
        let folder = try TemporaryDirectory(prefix: "canary")
        let configHome = try TemporaryDirectory(prefix: "canary-config")  // rotate-key stays in this test
        let environment = ["MAX_CONFIG_HOME": configHome.url.path]
        let wrongToken = "acme_" + String(repeating: "c4", count: 16)  // a canary the API refuses
        let canaries = [acme.apiKey, wrongToken, "acme_rt_", "acme_at_", "acme_code_"]
        let (outputs, leaks, samples) = try await CanaryScan.watchingProcessArguments(of: folder.url, for: canaries) {
            var outputs: [Outcome] = []
            func max(_ arguments: [String], _ extra: [String: String] = [:]) async throws -> Outcome {
                let outcome = try await runMax(
                    ["-C", folder.url.path] + arguments, environment: environment.merging(extra) { _, new in new })
                outputs.append(outcome)
                return outcome
            }
            _ = try await runMax(["init", folder.url.path])
            // Token: a wrong one first (refused, nothing kept), then the right one.
            let refused = try await max(
                ["connect", "acme", "--config", "baseURL=\(acme.url)", "--credential", "api_token=env:T"],
                ["T": wrongToken])
            #expect(refused.status == 2)
            let token = try await max(
                ["connect", "acme", "--config", "baseURL=\(acme.url)", "--credential", "api_token=env:T"],
                ["T": acme.apiKey])
            #expect(token.status == 0, "\(token.output)")
            // OAuth, as a second installation.
            let oauth = try await OAuthProcessTests.completeAuthorization(
                try MaxProcess(
                    [
                        "-C", folder.url.path, "connect", "acme", "--name", "acme-oauth", "--config",
                        "baseURL=\(acme.url)", "--config", "auth=oauth",
                    ], environment: environment))
            outputs.append(oauth)
            #expect(oauth.status == 0, "\(oauth.output)")
            #expect(try await max(["sync", "acme"]).status == 0)
            #expect(try await max(["sync", "acme-oauth"]).status == 0)
            // Failure paths: a re-authentication refused, a revoked grant, a missing master key.
            #expect(
                try await max(["connect", "acme", "--reauth", "--credential", "api_token=env:T"], ["T": wrongToken])
                    .status == 2)
            _ = try await EndToEndTests.api(acme, .delete, "/api/oauth/grants", .null)
            #expect(try await max(["sync", "acme-oauth", "--full"]).status == 1)
            #expect(try await max(["status"]).status == 1)
            // Rotation, then re-authentication of both under the new key.
            #expect(try await max(["credentials", "rotate-key"]).status == 0)
            #expect(try await max(["connect", "acme", "--reauth", "--credential", "api_token=-"]).status == 2)
            let reauth = try await runMax(
                ["-C", folder.url.path, "connect", "acme", "--reauth", "--credential", "api_token=-"],
                environment: environment, input: acme.apiKey + "\n")
            outputs.append(reauth)
            #expect(reauth.status == 0, "\(reauth.output)")
            let reauthOAuth = try await OAuthProcessTests.completeAuthorization(
                try MaxProcess(["-C", folder.url.path, "connect", "acme-oauth", "--reauth"], environment: environment))
            outputs.append(reauthOAuth)
            #expect(reauthOAuth.status == 0, "\(reauthOAuth.output)")
            // The access token lapses (on Acme's clock and in other `max` processes, which a test
            // cannot advance): the next sync refreshes it.
            try await Task.sleep(for: .seconds(2))
            #expect(try await max(["sync", "acme-oauth", "--full"]).status == 0)
            #expect(try await max(["sync", "acme", "--full"]).status == 0)
            #expect(try await max(["credentials", "ls", "acme-oauth"]).status == 0)
            #expect(try await max(["install"]).status == 0)
            return outputs
        }
        #expect(leaks.isEmpty, "process arguments held a secret: \(leaks)")
        #expect(samples > 0, "the arguments of running max processes were sampled")
        #expect(FileManager.default.fileExists(atPath: folder.file(".max/installations/acme-oauth/data.db").path))
        try CanaryScan.expectNoSecret(canaries, in: folder.url, outputs: outputs)
        let logs = try String(
            contentsOf: folder.url.appendingPathComponent(".max/logs/acme-oauth.log"), encoding: .utf8)
        #expect(logs.contains("credentials replace"), "re-authentication is audited, by name")
        // And in the audit log: the key's rotation and each re-authentication, by whom, how it ended.
        let audit = try await runMax(
            ["-C", folder.url.path, "audit", "-f", #"mode = "credentials""#, "--limit", "100", "-o", "ndjson"])
        let events = audit.stdout.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
            .filter { $0["operation"] != nil }
        let succeeded = events.filter { $0["outcome"] == "succeeded" }.map {
            "\($0["operation"]?.stringValue ?? "") \($0["installation"]?.stringValue ?? "")"
        }
        #expect(succeeded.contains("credentials.rotate-key "), "\(events)")
        #expect(succeeded.contains("credentials.reauth acme") && succeeded.contains("credentials.reauth acme-oauth"))
        #expect(events.allSatisfy { $0["caller"]?.stringValue?.hasPrefix("cli:") == true })
        try CanaryScan.expectNoSecret(canaries, in: folder.url, outputs: [audit])
    }

    @Test func installOnAFreshCloneReportsWhatIsMissingAndHowToFixIt() async throws {
        let acme = try AcmeProcess()
        let original = try await ResilienceProcessTests.connectedProject(acme)
        let clone = try TemporaryDirectory(prefix: "clone")
        try FileManager.default.copyItem(
            at: original.url.appendingPathComponent("max.json"), to: clone.file("max.json"))

        let first = try await runMax(["-C", clone.url.path, "install"])
        #expect(first.status == 3, "\(first.output)")
        #expect(first.stdout.contains("missing: api_token (store)"), "\(first.stdout)")
        #expect(first.stdout.contains("max connect acme --reauth"))
        #expect(first.stderr.contains("0 of 1 installation ready"))
        let folder = clone.file(".max/installations/acme")
        let mode = try FileManager.default.attributesOfItem(atPath: folder.path)[.posixPermissions] as? Int
        #expect(mode == 0o700, "the layout is back, private")
        #expect(try String(contentsOf: clone.file(".gitignore"), encoding: .utf8).contains(".max/"))
        let again = try await runMax(["-C", clone.url.path, "install", "-o", "json"])
        #expect(again.status == 3, "idempotent: the same answer")
        let row = try JSONValue(parsing: again.stdout).arrayValue?.first
        #expect(row?["ready"] == false)
        #expect(row?["fix"] == ["max connect acme --reauth"])

        // The fix it named works, and then the clone syncs.
        let reauth = try await runMax(
            ["-C", clone.url.path, "connect", "acme", "--reauth", "--credential", "api_token=env:T"],
            environment: ["T": acme.apiKey])
        #expect(reauth.status == 0, "\(reauth.output)")
        let ready = try await runMax(["-C", clone.url.path, "install"])
        #expect(ready.status == 0, "\(ready.output)")
        #expect(ready.stdout.contains("present (api_token from store)"))
        #expect(try await runMax(["-C", clone.url.path, "sync", "acme"]).status == 0)
    }

    @Test func environmentReferencesAreReadAtUseAndNeverStored() async throws {
        let acme = try AcmeProcess()
        let folder = try TemporaryDirectory(prefix: "env-ref")
        _ = try await runMax(["init", folder.url.path])
        let workspaces = try await EndToEndTests.api(acme, .get, "/api/workspaces", .null)
        let workspace = try #require(workspaces.arrayValue?.first?["id"]?.stringValue)
        try editInstallations(in: folder.url) { installations in
            installations["acme"] = [
                "id": "6c1d6c1e-1c55-4d4b-9a57-3d5f0a1f2e10", "connector": "acme@1.0.0",
                "connectedAt": "2026-11-24T00:00:00Z",
                "config": ["baseURL": .string(acme.url), "workspaceId": .string(workspace)],
                "credentials": ["api_token": "env:ACME_TOKEN"],
            ]
        }
        let unset = try await runMax(["-C", folder.url.path, "install"])
        #expect(unset.status == 3, "\(unset.output)")
        #expect(unset.stdout.contains("missing: api_token (env:ACME_TOKEN)"))
        #expect(unset.stdout.contains("export ACME_TOKEN=…"))
        let failed = try await runMax(["-C", folder.url.path, "sync", "acme"])
        #expect(failed.status == 2, "\(failed.output)")
        #expect(failed.stderr.contains("ACME_TOKEN"), "\(failed.stderr)")

        let environment = ["ACME_TOKEN": acme.apiKey]
        #expect(try await runMax(["-C", folder.url.path, "install"], environment: environment).status == 0)
        let synced = try await runMax(["-C", folder.url.path, "sync", "acme"], environment: environment)
        #expect(synced.status == 0, "\(synced.output)")
        let listed = try await runMax(["-C", folder.url.path, "credentials", "ls", "acme"])
        #expect(listed.stdout.contains("env:ACME_TOKEN"), "\(listed.output)")
        let stored = folder.file(".max/installations/acme/credentials.json")
        let bytes = FileManager.default.contents(atPath: stored.path) ?? Data()
        #expect(bytes.range(of: Data(acme.apiKey.utf8)) == nil)
        #expect(!String(decoding: bytes, as: UTF8.self).contains("api_token"), "the reference is not copied in")

        // A value where a reference belongs is refused without being repeated.
        try setInstallationKeys(in: folder.url, ["credentials": ["api_token": .string(acme.apiKey)]])
        let literal = try await runMax(["-C", folder.url.path, "ls"])
        #expect(literal.status == 2, "\(literal.output)")
        #expect(literal.stderr.contains("installations.acme.credentials.api_token"))
        #expect(!literal.output.contains(acme.apiKey))
    }
}
