import Foundation
import MaxTestSupport
import Testing

/// `max disconnect` wipes what the installation left in `.max/`, and only that.
struct DisconnectTests {
    private func exists(_ folder: TemporaryDirectory, _ path: String) -> Bool {
        FileManager.default.fileExists(atPath: folder.url.appendingPathComponent(path).path)
    }

    @Test func disconnectWipesCredentialsDataAndLogsAndKeepDataKeepsTheLastTwo() async throws {
        let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "2"])
        for keepData in [false, true] {
            let folder = try await ResilienceProcessTests.connectedProject(acme)
            let path = folder.url.path
            // A second installation whose files must survive the first one's removal.
            let other = try await runMax(
                [
                    "-C", path, "connect", "acme", "--name", "other", "--config", "baseURL=\(acme.url)",
                    "--credential", "api_token=env:T",
                ], environment: ["T": acme.apiKey])
            try #require(other.status == 0, "\(other.stderr)")
            for name in ["acme", "other"] {
                let synced = try await runMax(["-C", path, "sync", name])
                try #require(synced.status == 0, "\(synced.stderr)")
            }
            #expect(exists(folder, ".max/logs/acme.log") && exists(folder, ".max/installations/acme/data.db"))

            let removed = try await runMax(
                ["-C", path, "disconnect", "acme", "--yes"] + (keepData ? ["--keep-data"] : []))
            #expect(removed.status == 0, "\(removed.stderr)")
            #expect(!exists(folder, ".max/installations/acme/credentials.json"))
            #expect(exists(folder, ".max/installations/acme/data.db") == keepData)
            #expect(exists(folder, ".max/logs/acme.log") == keepData)
            #expect(
                !(try String(contentsOf: folder.url.appendingPathComponent("max.json"), encoding: .utf8))
                    .contains("\"acme\""))
            for kept in [
                ".max/installations/other/credentials.json", ".max/installations/other/data.db", ".max/logs/other.log",
            ] {
                #expect(exists(folder, kept), "\(kept)")
            }
        }
    }
}
