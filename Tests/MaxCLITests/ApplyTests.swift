import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// `max diff` and `max apply` through the `max` executable.
struct ApplyTests {
    @Test func aClonedProjectIsRebuiltAndASecondApplyChangesNothing() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let path = folder.url.path
        // A clone: max.json and .gitignore only.
        try FileManager.default.removeItem(at: folder.file(".max"))

        let diff = try await runMax(["-C", path, "diff"])
        #expect(diff.status == 0, "\(diff.output)")
        #expect(
            diff.stdout.hasPrefix(
                "+ create .max/ (private to you)\n+ create the folder of acme (its store is made by its first sync)\n! acme needs the credential api_token (store)"
            ), "\(diff.stdout)")
        #expect(!FileManager.default.fileExists(atPath: folder.file(".max").path), "diff changes nothing")

        let applied = try await runMax(["-C", path, "apply"])
        #expect(applied.status == 3, "missing credentials: \(applied.output)")
        #expect(applied.stdout.contains("max connect acme --reauth"), "\(applied.stdout)")
        #expect(FileManager.default.fileExists(atPath: folder.file(".max/installations/acme").path))

        let reauth = try await runMax(
            ["-C", path, "connect", "acme", "--reauth", "--credential", "api_token=env:T"],
            environment: ["T": acme.apiKey])
        try #require(reauth.status == 0, "\(reauth.output)")
        let again = try await runMax(["-C", path, "apply"])
        #expect(again.status == 0, "\(again.output)")
        #expect(
            again.stdout == "Nothing to change: .max/ matches max.json\nacme: healthy\n",
            "apply checks the source of each enabled installation: \(again.stdout)")
        let synced = try await runMax(["-C", path, "sync", "acme"])
        #expect(synced.status == 0, "\(synced.output)")
        let twice = try await runMax(["-C", path, "apply", "-o", "json", "--no-verify"])
        #expect(try JSONValue(parsing: twice.stdout) == ["changes": [], "checks": []], "\(twice.stdout)")

        // A source that does not answer: apply converges, then says so and exits 1.
        try setInstallationKeys(in: folder.url, baseURL: "http://127.0.0.1:9", [:])
        let down = try await runMax(["-C", path, "apply"])
        #expect(down.status == 1, "\(down.output)")
        #expect(down.stdout.contains("~ record the config of acme changed in max.json (baseURL)"), "\(down.stdout)")
        #expect(down.stdout.contains("acme: unhealthy"), "\(down.stdout)")
        let status = try await runMax(["-C", path, "status", "--history", "-o", "json"])
        // Neither the runtime files apply writes (applied.json, health.json) nor its output hold the token.
        try CanaryScan.expectNoSecret(
            [acme.apiKey], in: folder.url, outputs: [diff, applied, reauth, again, synced, twice, down, status])
    }

    @Test func pruneRemovesWhatMaxJSONNoLongerDeclaresAndAuditsIt() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let path = folder.url.path
        try await ResilienceProcessTests.connectAnother(acme, named: "acme-2", in: folder)
        try editInstallations(in: folder.url) { $0["acme-2"] = nil }
        let kept = folder.file(".max/installations/acme-2")

        let diff = try await runMax(["-C", path, "diff"])
        #expect(diff.stdout.contains("= keep .max/installations/acme-2"), "\(diff.stdout)")
        let plain = try await runMax(["-C", path, "apply"])
        #expect(plain.status == 0, "\(plain.output)")
        #expect(FileManager.default.fileExists(atPath: kept.path), "without --prune it stays")

        let pruneDiff = try await runMax(["-C", path, "diff", "--prune"])
        #expect(pruneDiff.stdout.contains("- remove .max/installations/acme-2"), "\(pruneDiff.stdout)")
        let pruned = try await runMax(["-C", path, "apply", "--prune"])
        #expect(pruned.status == 0, "\(pruned.output)")
        #expect(!FileManager.default.fileExists(atPath: kept.path), "its credentials and data are gone")
        let audit = try await runMax(["-C", path, "audit", "-o", "ndjson", "--limit", "200"])
        let prunes = audit.stdout.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }.filter {
            $0["operation"] == "prune"
        }
        #expect(prunes.map { $0["installation"] } == ["acme-2"], "\(audit.output)")
        let again = try await runMax(["-C", path, "apply", "--prune", "--no-verify"])
        #expect(again.stdout == "Nothing to change: .max/ matches max.json\n", "\(again.stdout)")
    }
}
