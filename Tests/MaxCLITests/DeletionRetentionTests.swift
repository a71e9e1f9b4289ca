import Foundation
import MaxConnector
import MaxCore
import MaxRuntime
import MaxTestSupport
import Testing

/// Deleting an installation (SPEC-hardening §12).
///
/// Credentials are wiped at once, data and logs kept for the retention and restorable, then
/// purged; audit events are purged after their own retention. Disconnect and restore run as the real command; the days pass on a manual clock, as arguments
/// of the workspace's `restore`, `delete` and `purge`.
struct DeletionRetentionTests {
    private func exists(_ folder: TemporaryDirectory, _ path: String) -> Bool {
        FileManager.default.fileExists(atPath: folder.url.appendingPathComponent(path).path)
    }

    /// The folders under `.max/deleted/`.
    private func deleted(_ folder: TemporaryDirectory) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.file(".max/deleted").path)) ?? []).sorted()
    }

    private func count(_ folder: TemporaryDirectory, _ name: String) async throws -> Outcome {
        try await runMax(["-C", folder.url.path, "count", name, "AcmeTask"])
    }

    @Test func deleteRestoreWithinTheRetentionAndPurgeAfterIt() async throws {
        let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "2"])
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let path = folder.url.path
        let other = try await runMax(
            [
                "-C", path, "connect", "acme", "--name", "other", "--config", "baseURL=\(acme.url)", "--credential",
                "api_token=env:T",
            ], environment: ["T": acme.apiKey])
        try #require(other.status == 0, "\(other.output)")
        try editProjectFile(in: folder.url) { $0["retention"] = ["deletedInstallations": "7d", "audit": "30d"] }
        for name in ["acme", "other"] { try #require(try await runMax(["-C", path, "sync", name]).status == 0) }
        let tasks = try await count(folder, "acme").stdout
        let id = try #require(try Project(root: folder.url).load().installations["acme"]?.id)

        // Delete: the credentials go at once, the data and logs move to .max/deleted/.
        let removed = try await runMax(["-C", path, "disconnect", "acme", "--yes"])
        #expect(removed.status == 0, "\(removed.output)")
        #expect(removed.stdout.contains("credentials wiped; data kept until "), "\(removed.stdout)")
        #expect(removed.stderr.contains("max restore acme"))
        #expect(!exists(folder, ".max/installations/acme") && !exists(folder, ".max/logs/acme.log"))
        let trash = try #require(deleted(folder).first, "a folder in .max/deleted/")
        #expect(trash.hasPrefix("acme@"))
        #expect(exists(folder, ".max/deleted/\(trash)/installation/data.db"))
        #expect(exists(folder, ".max/deleted/\(trash)/logs/acme.log"))
        #expect(!exists(folder, ".max/deleted/\(trash)/installation/credentials.json"), "credentials wiped")
        #expect(try Project(root: folder.url).load().installations["acme"] == nil)
        #expect(try await count(folder, "acme").status != 0)
        #expect(try await count(folder, "other").status == 0, "the other installation is untouched")
        let listed = try await runMax(["-C", path, "restore", "-o", "json"])
        let entry = try #require(try JSONValue(parsing: listed.stdout).arrayValue?.first, "\(listed.output)")
        #expect(entry["name"] == "acme" && entry["id"]?.stringValue == id)
        let workspace = MaxWorkspace(project: Project(root: folder.url), registry: ConnectorRegistry(local: [:]))
        let deletedAt = try #require(try workspace.deletedInstallations().first?.deletedAt)
        let purgeAfter = try #require(try workspace.deletedInstallations().first?.purgeAfter)
        #expect(abs(purgeAfter.timeIntervalSince(deletedAt) - 7 * 86_400) < 0.01)

        // Restore within the retention (a day later): max.json, data and logs are back, the
        // credentials are not; re-entering them makes it sync again.
        let day: TimeInterval = 86_400
        _ = try await workspace.restore("acme", caller: "test", now: deletedAt.addingTimeInterval(day))
        #expect(try Project(root: folder.url).load().installations["acme"]?.id == id)
        #expect(try await count(folder, "acme").stdout == tasks)
        #expect(exists(folder, ".max/logs/acme.log") && deleted(folder).isEmpty)
        let unauthenticated = try await runMax(["-C", path, "sync", "acme"])
        #expect(unauthenticated.status != 0 && unauthenticated.stderr.contains("credentials"))
        let reauth = try await runMax(
            ["-C", path, "connect", "acme", "--reauth", "--credential", "api_token=env:T"],
            environment: ["T": acme.apiKey])
        #expect(reauth.status == 0, "\(reauth.output)")
        #expect(try await runMax(["-C", path, "sync", "acme"]).status == 0)

        // Delete again two days in; six days later it is kept, past seven it is purged.
        let again = deletedAt.addingTimeInterval(2 * day)
        let deletion = try await workspace.delete("acme", mode: .retain, caller: "test", now: again)
        #expect(deletion.kept?.purgeAfter == again.addingTimeInterval(7 * day))
        #expect(try await workspace.purge(now: again.addingTimeInterval(6 * day), caller: "test").installations.isEmpty)
        #expect(deleted(folder).count == 1)
        let dry = try await workspace.purge(now: again.addingTimeInterval(8 * day), dryRun: true, caller: "test")
        #expect(dry.installations.map(\.name) == ["acme"] && deleted(folder).count == 1, "a dry run removes nothing")
        let purged = try await workspace.purge(now: again.addingTimeInterval(8 * day), caller: "test")
        #expect(purged.installations.map(\.name) == ["acme"])
        #expect(deleted(folder).isEmpty)
        let gone = await #expect(throws: MaxError.self) {
            try await workspace.restore("acme", caller: "test", now: again.addingTimeInterval(9 * day))
        }
        #expect(gone?.code == .installationNotFound)

        // Every step is audited; 40 days on, the 30-day audit retention purges them all but its own.
        let audit = try await runMax(
            ["-C", path, "audit", "-f", #"mode = "lifecycle""#, "--limit", "100", "-o", "ndjson"])
        let steps = audit.stdout.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
            .compactMap { $0["operation"]?.stringValue }
        #expect(
            Set(steps) == ["installation.delete", "installation.restore", "installation.purge"]
                && steps.filter { $0 == "installation.delete" }.count == 2, "\(steps)")
        let events = try await workspace.purge(now: again.addingTimeInterval(40 * day), caller: "test").auditEvents
        #expect(events >= 6, "syncs, credentials, deletes, restore and purge: \(events)")
        let left = try await runMax(["-C", path, "audit", "--limit", "100", "-o", "ndjson"])
        let remaining = left.stdout.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
        #expect(remaining.compactMap { $0["operation"]?.stringValue } == ["audit.purge"], "\(left.stdout)")
        try CanaryScan.expectNoSecret(
            [acme.apiKey], in: folder.url, outputs: [removed, listed, unauthenticated, reauth, audit, left])
    }

    /// `max serve` purges what is past its retention when it starts (and hourly after).
    @Test func servePurgesWhatIsPastItsRetention() async throws {
        let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "1"])
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let workspace = MaxWorkspace(project: Project(root: folder.url), registry: ConnectorRegistry(local: [:]))
        // Deleted eight days ago (on the test's clock): a day past the default retention.
        let deletion = try await workspace.delete(
            "acme", mode: .retain, caller: "test", now: Date().addingTimeInterval(-8 * 86_400))
        #expect(deletion.kept != nil && deleted(folder).count == 1)
        let (server, base) = try await startServe(folder.url)
        try #require(base.hasPrefix("http://"), "\(server.stderrSoFar)")
        // A real wait: the purge runs in the server, another process on its own clock; polled
        // (25 ms apart, 5 s at most) until the folder is gone.
        for _ in 0..<200 where !deleted(folder).isEmpty { try await Task.sleep(for: .milliseconds(25)) }
        #expect(deleted(folder).isEmpty, "serve purged it")
        server.send(SIGTERM)
        let stopped = try await server.outcome()
        #expect(stopped.stderr.contains("purged what is past its retention"), "\(stopped.stderr)")
        let audit = try await runMax(
            ["-C", folder.url.path, "audit", "-f", #"operation = "installation.purge""#, "-o", "ndjson"])
        #expect(audit.stdout.contains(#""caller":"serve""#), "\(audit.stdout)")
    }

    /// On PostgreSQL the tables stay in the database under a renamed schema, come back with
    /// `max restore`, and are dropped by `max purge`.
    @Test(.enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.missingMessage)))
    func onPostgreSQLTheSchemaIsKeptRestoredAndDropped() async throws {
        let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "1"])
        try await PostgresTestServer.with { server in
            let folder = try await WorkerProcessTests.sharedProject(acme, server)
            let environment = WorkerProcessTests.environment(server)
            func max(_ arguments: [String]) async throws -> Outcome {
                try await runMax(["-C", folder.url.path] + arguments, environment: environment)
            }
            func schemas() async throws -> [String] {
                try await WorkerProcessTests.query(
                    server,
                    "SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace WHERE nspname LIKE '%acme%'"
                ).split(separator: ",").map(String.init)
            }
            #expect(try await max(["sync", "acme"]).status == 0)
            let tasks = try await max(["count", "acme", "AcmeTask"]).stdout
            #expect(try await schemas() == ["acme"])

            let removed = try await max(["disconnect", "acme", "--yes"])
            #expect(removed.status == 0, "\(removed.output)")
            let renamed = try await schemas()
            #expect(renamed.count == 1 && renamed.first?.hasPrefix("_deleted_acme_") == true, "\(renamed)")
            let restored = try await max(["restore", "acme"])
            #expect(restored.status == 0, "\(restored.output)")
            #expect(try await schemas() == ["acme"])
            #expect(try await max(["count", "acme", "AcmeTask"]).stdout == tasks)

            #expect(try await max(["disconnect", "acme", "--yes"]).status == 0)
            let purged = try await max(["purge", "--all"])
            #expect(
                purged.status == 0 && purged.stdout.contains("Purged 1 deleted installation (acme)"), "\(purged.output)"
            )
            #expect(try await schemas().isEmpty)
        }
    }

    @Test func purgeAtOnceAndMalformedRetentionSayWhatToDo() async throws {
        let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "1"])
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let path = folder.url.path
        let conflicting = try await runMax(["-C", path, "disconnect", "acme", "--yes", "--purge", "--keep-data"])
        #expect(conflicting.status == 2 && conflicting.stderr.contains("contradict"))
        let purged = try await runMax(["-C", path, "disconnect", "acme", "--yes", "--purge"])
        #expect(purged.status == 0 && purged.stdout == "Disconnected acme\n", "\(purged.output)")
        #expect(!exists(folder, ".max/installations/acme") && deleted(folder).isEmpty)
        let nothing = try await runMax(["-C", path, "restore", "acme"])
        #expect(nothing.status != 0 && nothing.stderr.contains("no deleted installation named 'acme' is kept"))
        try editProjectFile(in: folder.url) { $0["retention"] = ["deletedInstallations": "a week"] }
        let malformed = try await runMax(["-C", path, "purge"])
        #expect(malformed.status == 2, "\(malformed.output)")
        #expect(malformed.stderr.contains("retention.deletedInstallations must be a duration"), "\(malformed.stderr)")
    }
}
