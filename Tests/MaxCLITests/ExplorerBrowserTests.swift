import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// Chromium, its WebDriver and Python's Selenium, when this machine has them (`.ci/run` installs
/// them).
enum Browser {
    /// `/usr/bin/env`, to run `python3` with Selenium, when all three are installed.
    static let env: URL? = {
        let fileManager = FileManager.default
        guard fileManager.isExecutableFile(atPath: "/usr/bin/chromium"),
            fileManager.isExecutableFile(atPath: "/usr/bin/chromedriver")
        else { return nil }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import selenium"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return nil }
        probe.waitUntilExit()
        return probe.terminationStatus == 0 ? URL(fileURLWithPath: "/usr/bin/env") : nil
    }()

    static let missing =
        "the browser tests need chromium and chromium-driver (Debian) and Python's selenium (pip); .ci/run installs them"
}

/// The explorer in a real browser: headless Chromium driven by Selenium's WebDriver client
/// (`Tests/Browser/explorer_test.py`), against `max serve` on a synced Acme project.
///
/// Screenshots of the main pages go to `.build/screenshots/`, or to the folder in
/// `MAX_SCREENSHOTS` (`MAX_SCREENSHOTS=docs/screenshots swift test --filter ExplorerBrowserTests`
/// refreshes the README's).
@Suite(.enabled(if: Browser.env != nil, Comment(rawValue: Browser.missing)))
struct ExplorerBrowserTests {
    /// The package's root, from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func signInFilterPageFollowRefsAndEscape() async throws {
        let env = try #require(Browser.env)
        let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "2", "--tasks-per-project", "15"])
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        // A task whose title is markup: the page must show it as text.
        let xss = "<script>alert('max')</script> <img src=x onerror=alert(1)>"
        let input = try await OperationProcessTests.taskInput(acme, title: xss)
        let created = try await runMax(["-C", folder.url.path, "invoke", "acme", "createTask", "--input", input])
        try #require(created.status == 0, "\(created.output)")
        let synced = try await runMax(["-C", folder.url.path, "sync", "acme"])
        try #require(synced.status == 0, "\(synced.output)")
        let token = try await createServeToken(folder.url, scope: "read")
        let operate = try await createServeToken(folder.url, scope: "operate")
        let project = try #require(try await EndToEndTests.apiList(acme, "/api/projects").first?["id"]?.stringValue)
        let user = try #require(try await EndToEndTests.apiList(acme, "/api/users").first?["id"]?.stringValue)
        let (server, url) = try await startServe(folder.url)
        try #require(url.hasPrefix("http://"), "\(server.stderrSoFar)")

        let shots =
            ProcessInfo.processInfo.environment["MAX_SCREENSHOTS"].map {
                URL(fileURLWithPath: $0, relativeTo: Self.root)
            } ?? Self.root.appendingPathComponent(".build/screenshots")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        let script = Self.root.appendingPathComponent("Tests/Browser/explorer_test.py").path
        let browser = try MaxProcess(
            ["python3", script, url, token, operate, shots.path, xss, project, user], executable: env)
        let outcome = try await browser.outcome()
        server.send(SIGTERM)
        _ = try await server.outcome()

        let lines = outcome.stdout.split(separator: "\n")
        let checks = try JSONValue(parsing: String(lines.last ?? "[]")).arrayValue ?? []
        #expect(checks.count >= 20, "every check ran: \(outcome.output)")
        for check in checks {
            #expect(check["ok"] == true, "\(check["name"]?.stringValue ?? ""): \(check["detail"]?.stringValue ?? "")")
        }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        for page in ["installations", "installation", "table", "invalid-filter", "record", "runs", "operation"] {
            #expect(FileManager.default.fileExists(atPath: shots.appendingPathComponent("\(page).png").path), "\(page)")
        }
        #expect(!outcome.output.contains(token), "the token never shows in the browser's output")
        // The task made through the form is at Acme, and audited as the explorer's.
        #expect(try await OperationProcessTests.tasks(acme, titled: "Made in the explorer") == 1)
        let audit = try await runMax(["-C", folder.url.path, "audit", "-f", #"operation = "createTask""#, "-o", "json"])
        #expect(audit.stdout.contains("explorer:"), "\(audit.stdout)")
    }
}
