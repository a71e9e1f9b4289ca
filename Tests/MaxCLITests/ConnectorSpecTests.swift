import Foundation
import MaxConnector
import MaxCore
import MaxCredentials
import MaxRuntime
import MaxTestSupport
import Testing

/// `Connector` documents (SPEC-hardening §19.3) through `max diff -f` and `max apply -f`.
struct ConnectorSpecTests {
    static func document(_ acme: AcmeProcess, workspace: String, credentials: String) -> String {
        """
        # The sample source, declared.
        apiVersion: max/v1alpha1
        kind: Connector
        metadata:
          name: ops-acme
          owner: {type: group, id: 7b2c}
        spec:
          type: acme
          typeVersion: 1
          enabled: true
          config:
            baseURL: \(acme.url)
            workspaceId: \(workspace)
          credentials:
        \(credentials)
          limits:
            maxParallelInvocations: 2
            rateLimit: {rps: 50, burst: 10}
          sync: {every: 15m}
        """
    }

    @Test func aDocumentIsShownAppliedAndSyncedAndASecondApplyChangesNothing() async throws {
        let acme = try AcmeProcess()
        let folder = try TemporaryDirectory(prefix: "spec")
        _ = try await runMax(["init", folder.url.path])
        let workspaces = try await EndToEndTests.api(acme, .get, "/api/workspaces", .null)
        let workspace = try #require(workspaces.arrayValue?.first?["id"]?.stringValue)
        let spec = folder.file("ops-acme.yaml")
        try Self.document(
            acme, workspace: workspace,
            credentials: """
                    mode: secretRef
                    secretRef: {provider: env, keys: {api_token: OPS_ACME_TOKEN}}
                """
        ).write(to: spec, atomically: true, encoding: .utf8)
        let path = folder.url.path
        let environment = ["OPS_ACME_TOKEN": acme.apiKey]

        let diff = try await runMax(["-C", path, "diff", "-f", spec.path], environment: environment)
        #expect(diff.status == 0, "\(diff.output)")
        #expect(
            diff.stdout.contains("+ add ops-acme (acme@1.0.0) to max.json from its Connector document"),
            "\(diff.stdout)")
        #expect(diff.stdout.contains("+ create the folder of ops-acme"), "\(diff.stdout)")
        #expect(try await runMax(["-C", path, "ls", "-o", "json"]).stdout.contains("ops-acme") == false)

        let applied = try await runMax(["-C", path, "apply", "-f", spec.path], environment: environment)
        #expect(applied.status == 0, "\(applied.output)")
        #expect(applied.stdout.contains("ops-acme: healthy"), "connectivity verified: \(applied.stdout)")
        let record = try #require(try Project.find(from: folder.url).load().installations["ops-acme"])
        #expect(record.connector == "acme@1.0.0")
        #expect(record.credentialReferences["api_token"]?.reference == "env:OPS_ACME_TOKEN")
        #expect(record.otherKeys["rateLimit"] == ["rate": 50, "burst": 10])
        #expect(record.otherKeys["operations"] == ["maxParallel": 2])
        #expect(record.otherKeys["sync"] == ["every": "15m"])
        #expect(record.otherKeys["metadata"] == ["owner": ["type": "group", "id": "7b2c"]])

        let synced = try await runMax(["-C", path, "sync", "ops-acme"], environment: environment)
        #expect(synced.status == 0, "\(synced.output)")
        let again = try await runMax(["-C", path, "apply", "-f", spec.path, "--no-verify"], environment: environment)
        #expect(again.stdout == "Nothing to change: .max/ matches max.json\n", "\(again.output)")

        // Disabling it in the document is an update, recorded and audited.
        let disabled = try String(contentsOf: spec, encoding: .utf8).replacing("enabled: true", with: "enabled: false")
        try disabled.write(to: spec, atomically: true, encoding: .utf8)
        let update = try await runMax(["-C", path, "apply", "-f", spec.path], environment: environment)
        #expect(update.stdout.contains("~ update ops-acme in max.json from its Connector document (enabled)"))
        #expect(update.stdout.contains("~ disable ops-acme"), "\(update.stdout)")
        #expect(try await runMax(["-C", path, "sync", "ops-acme"], environment: environment).status == 1)
    }

    @Test(
        arguments: [
            ("    mode: plain\n    password: hunter2-canary", "spec.credentials.password is not a reference"),
            (
                "    mode: secretRef\n    secretRef: {provider: env, keys: {api_token: acme_live_canary_123}}",
                "is not an environment variable's name"
            ),
            (
                "    mode: secretRef\n    secretRef: {provider: env, value: acme_live_canary_123}",
                "is not part of a reference"
            ),
        ])
    func aDocumentCarryingASecretIsRefusedWithoutRepeatingIt(_ credentials: String, _ reason: String) async throws {
        let acme = try AcmeProcess()
        let folder = try TemporaryDirectory(prefix: "spec-secret")
        _ = try await runMax(["init", folder.url.path])
        let spec = folder.file("spec.yaml")
        try Self.document(acme, workspace: "ws_1", credentials: credentials).write(
            to: spec, atomically: true, encoding: .utf8)
        let before = try String(contentsOf: folder.file("max.json"), encoding: .utf8)
        for command in [["apply", "-f", spec.path], ["diff", "-f", spec.path]] {
            let outcome = try await runMax(["-C", folder.url.path] + command)
            #expect(outcome.status == 2, "\(outcome.output)")
            #expect(outcome.stderr.contains("error[spec.plain_secret]"), "\(outcome.stderr)")
            #expect(outcome.stderr.contains(reason), "\(outcome.stderr)")
            #expect(!outcome.output.contains("canary"), "the value is never repeated")
        }
        #expect(try String(contentsOf: folder.file("max.json"), encoding: .utf8) == before, "nothing written")
    }

    /// `max apply -f` of a document with `mode: oauth` and `extra` added to its config.
    private static func applyOAuthDocument(configuring extra: String) async throws -> (AcmeProcess, Outcome) {
        let acme = try AcmeProcess()
        let folder = try TemporaryDirectory(prefix: "spec-oauth")
        _ = try await runMax(["init", folder.url.path])
        let spec = folder.file("spec.yaml")
        let text = Self.document(acme, workspace: "ws_1", credentials: "    mode: oauth")
            .replacing("    workspaceId: ws_1", with: "    workspaceId: ws_1\n    \(extra)")
        try text.write(to: spec, atomically: true, encoding: .utf8)
        return (acme, try await runMax(["-C", folder.url.path, "apply", "-f", spec.path]))
    }

    @Test func aSecretPutInTheConfigIsRefused() async throws {
        let (_, outcome) = try await Self.applyOAuthDocument(configuring: "api_token: canary_value_42")
        #expect(outcome.status == 2, "\(outcome.output)")
        #expect(outcome.stderr.contains("config.api_token"), "\(outcome.stderr)")
        #expect(!outcome.output.contains("canary"))
    }

    @Test func anOAuthDocumentWaitsForItsAuthorizationWithItsURL() async throws {
        let (acme, outcome) = try await Self.applyOAuthDocument(configuring: "auth: oauth")
        #expect(outcome.status == 3, "waiting for a credential: \(outcome.output)")
        #expect(
            outcome.stdout.contains("authorize Max at \(acme.url)/oauth/authorize: max connect ops-acme --reauth"),
            "\(outcome.stdout)")
    }
}
