import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// Connectors out of process: the Python fixture (`Tests/Fixtures/connectors/notes.py`) over the
/// connector protocol, misbehaving fixtures, and a built-in connector run through
/// `max connector host`.
struct SubprocessConnectorTests {
    /// The Python connector.
    static let notes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/connectors/notes.py")

    /// A project whose `connectors` table names the Python connector.
    static func notesProject() async throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory(prefix: "subprocess")
        _ = try await runMax(["init", folder.url.path])
        let url = folder.file("max.json")
        var file = try JSONValue(parsing: String(contentsOf: url, encoding: .utf8)).objectValue ?? [:]
        file["connectors"] = ["notes": .string("file:" + notes.path)]
        try JSONValue.object(file).prettyJSONText.write(to: url, atomically: true, encoding: .utf8)
        return folder
    }

    static func connectNotes(_ folder: TemporaryDirectory, name: String, key: String, config: [String] = [])
        async throws -> Outcome
    {
        try await runMax(
            ["-C", folder.url.path, "connect", "notes", "--name", name, "--credential", "api_key=env:KEY"]
                + config.flatMap { ["--config", $0] }, environment: ["KEY": key])
    }

    @Test func aPythonConnectorConnectsSyncsAndActsOverThePipe() async throws {
        let folder = try await Self.notesProject()
        let key = "nk_canary_" + UUID().uuidString.lowercased()

        // Onboarding runs its validation in the connector, with the key it asks Max for.
        let refused = try await Self.connectNotes(folder, name: "notes", key: "wrong")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("the api_key must start with nk_"), "\(refused.stderr)")
        let connected = try await Self.connectNotes(folder, name: "notes", key: key)
        try #require(connected.status == 0, "\(connected.stderr)")
        let listed = try JSONValue(
            parsing: try await runMax(["-C", folder.url.path, "connectors", "-o", "json"]).stdout)
        let notes = listed.arrayValue?.first { $0["name"] == "notes" }
        #expect(notes?["version"] == "1.0.0", "\(listed)")
        #expect(notes?["source"]?.stringValue?.hasPrefix("file:") == true)
        #expect(listed.arrayValue?.contains { $0["name"] == "git" && $0["source"] == "built-in" } == true)

        let synced = try await runMax(["-C", folder.url.path, "sync", "notes"])
        #expect(synced.status == 0, "\(synced.stderr)")
        func count(_ type: String, _ filter: String? = nil) async throws -> String {
            try await runMax(
                ["-C", folder.url.path, "count", "notes", type] + (filter.map { ["--filter", $0] } ?? [])
            )
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try await count("Note") == "25")
        #expect(try await count("NotesUser") == "3")
        // Values arrive typed by the schema: refs, dates, ints.
        #expect(try await count("Note", #"author = "u1""#) == "8")
        #expect(try await count("Note", #"created >= "2026-01-20""#) == "6")
        #expect(try await count("Note", "words > 200") == "4")

        // An operation, written through to the store.
        let added = try await runMax([
            "-C", folder.url.path, "invoke", "notes", "addNote", "--input", #"{"title": "From Max"}"#,
        ])
        #expect(added.status == 0, "\(added.stderr)")
        #expect(try await count("Note", #"title = "From Max""#) == "1")
        let invalid = try await runMax(["-C", folder.url.path, "invoke", "notes", "addNote", "--input", "{}"])
        #expect(invalid.stderr.contains("error[operation.invalid_input]"), "\(invalid.stderr)")

        // The connector had the key, and it was in neither its arguments nor its environment.
        let inspected = try await runMax(["-C", folder.url.path, "invoke", "notes", "inspect", "-o", "json"])
        let data = try JSONValue(parsing: inspected.stdout)["data"]
        #expect(data?["secretReceived"] == true, "\(inspected.output)")
        #expect(data?["argvHasSecret"] == false)
        #expect(data?["environHasSecret"] == false)
        try CanaryScan.expectNoSecret(
            [key], in: folder.url, outputs: [refused, connected, synced, added, invalid, inspected])
    }

    @Test(arguments: [
        ("crash", "connector.crashed"), ("hang", "connector.timeout"), ("garbage", "connector.protocol"),
        ("huge", "connector.protocol"), ("memory", "connector.crashed"),
    ])
    func aMisbehavingConnectorFailsItsTasksClearlyAndLeavesOthersAlone(fault: String, code: String) async throws {
        let folder = try await Self.notesProject()
        for (name, config) in [("good", [String]()), ("bad", ["fault=\(fault)"])] {
            let connected = try await Self.connectNotes(folder, name: name, key: "nk_test", config: config)
            try #require(connected.status == 0, "\(connected.stderr)")
            // Short for the hang; long enough for 20 MB through a pipe on a busy machine otherwise.
            let seconds: JSONValue = name == "bad" && fault == "hang" ? 2 : 30
            try setInstallationKeys(
                in: folder.url, of: name, ["limits": ["callTimeoutSeconds": seconds, "memoryMB": 256]])
        }
        let started = ContinuousClock.now
        let bad = try await runMax(["-C", folder.url.path, "sync", "bad", "--progress", "none"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("error[\(code)]"), "\(bad.stderr)")
        #expect(!bad.stderr.contains("Fatal error"), "Max itself never crashes")
        #expect(ContinuousClock.now - started < .seconds(60))
        // What came before the fault is kept, and the run says it is partial.
        let runs = try JSONValue(
            parsing: try await runMax(["-C", folder.url.path, "runs", "bad", "-o", "json"]).stdout)
        #expect(runs.arrayValue?.first?["status"] == "partial", "\(runs)")

        let good = try await runMax(["-C", folder.url.path, "sync", "good"])
        #expect(good.status == 0, "\(good.stderr)")
        let count = try await runMax(["-C", folder.url.path, "count", "good", "Note"])
        #expect(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "25")
    }

    /// Out-of-range limits are refused with their key and exit 2, before any connector runs: the
    /// sizes that used to crash Max (SIGILL) or the connector (a misleading SIGSEGV) among them.
    @Test(arguments: [
        (JSONValue.double(9.3e18), "memoryMB"), (.double(1e300), "memoryMB"), (.int(1 << 43), "memoryMB"),
        (.int(15), "memoryMB"), (.double(100.5), "memoryMB"), (.string("512"), "memoryMB"),
        (.int(0), "callTimeoutSeconds"), (.double(1e19), "callTimeoutSeconds"), (.int(5), "cpuSeconds"),
    ])
    func outOfRangeLimitsAreRefusedWithTheirKey(value: JSONValue, key: String) async throws {
        let folder = try await Self.notesProject()
        let connected = try await Self.connectNotes(folder, name: "notes", key: "nk_test")
        try #require(connected.status == 0, "\(connected.stderr)")
        try setInstallationKeys(in: folder.url, of: "notes", ["limits": [key: value]])
        for command in [["status", "notes"], ["sync", "notes"]] {
            let refused = try await runMax(["-C", folder.url.path] + command)
            #expect(refused.status == 2, "\(command): \(refused.output)")
            #expect(refused.output.contains("installations.notes.limits.\(key)"), "\(refused.output)")
            if command[0] == "sync" {
                #expect(refused.stderr.contains("error[project.invalid_config]"), "\(refused.stderr)")
            }
        }
    }

    /// The `connectors` table's key is the name the project uses, even when the connector calls
    /// itself something else: the installation records that key, so it resolves again.
    @Test func aConnectorIsKnownByItsKeyInTheTable() async throws {
        let folder = try TemporaryDirectory(prefix: "renamed")
        _ = try await runMax(["init", folder.url.path])
        try editProjectFile(in: folder.url) { $0["connectors"] = ["jottings": .string("file:" + Self.notes.path)] }
        let connected = try await runMax(
            ["-C", folder.url.path, "connect", "jottings", "--credential", "api_key=env:KEY"],
            environment: ["KEY": "nk_test"])
        #expect(connected.status == 0, "\(connected.output)")
        #expect(connected.stdout.contains("Connected jottings as jottings"), "\(connected.stdout)")
        let synced = try await runMax(["-C", folder.url.path, "sync", "jottings"])
        #expect(synced.status == 0, "\(synced.output)")
        let count = try await runMax(["-C", folder.url.path, "count", "jottings", "Note"])
        #expect(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "25", "\(count.output)")
        let file = try JSONValue(parsing: String(contentsOf: folder.file("max.json"), encoding: .utf8))
        #expect(file["installations"]?["jottings"]?["connector"] == "jottings@1.0.0")
    }

    @Test func aBuiltInConnectorRunsOutOfProcessAsItDoesInProcess() async throws {
        let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "3", "--tasks-per-project", "40"])
        let inProcess = try await ResilienceProcessTests.connectedProject(acme)
        let outOfProcess = try await ResilienceProcessTests.connectedProject(acme)
        try setInstallationKeys(in: outOfProcess.url, ["provider": "subprocess"])
        var answers: [JSONValue] = []
        for folder in [inProcess, outOfProcess] {
            let synced = try await runMax(["-C", folder.url.path, "sync", "acme"])
            #expect(synced.status == 0, "\(synced.stderr)")
            let found = try await runMax([
                "-C", folder.url.path, "search", "acme", "AcmeTask", "--limit", "1000", "-o", "json",
            ])
            answers.append(try JSONValue(parsing: found.stdout)["data"] ?? .null)
        }
        #expect(answers[0] == answers[1])
        #expect((answers[1].arrayValue?.count ?? 0) == 120)
        // Its requests went through Max's client for the installation: counted there as in process.
        var requests: [Int] = []
        for folder in [inProcess, outOfProcess] {
            let runs = try JSONValue(
                parsing: try await runMax(["-C", folder.url.path, "runs", "acme", "-o", "json"]).stdout)
            requests.append(runs.arrayValue?.first?["requests"]?.intValue ?? 0)
        }
        #expect(requests[0] > 0)
        #expect(requests[1] == requests[0], "\(requests)")

        // Operations too, with the secret passed over the pipe.
        let input = try await OperationProcessTests.taskInput(acme, title: "Made out of process")
        let created = try await runMax([
            "-C", outOfProcess.url.path, "invoke", "acme", "createTask", "--input", input,
        ])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(try await OperationProcessTests.tasks(acme, titled: "Made out of process") == 1)
        try CanaryScan.expectNoSecret([acme.apiKey], in: outOfProcess.url, outputs: [created])
    }

    @Test func aMissingOrUnrunnableProgramOrAMissingTagSaysWhatToFix() async throws {
        let folder = try TemporaryDirectory(prefix: "sources")
        _ = try await runMax(["init", folder.url.path])
        try Data("not a program\n".utf8).write(to: folder.file("plain.txt"))
        let repository = folder.file("repository")
        try FileManager.default.createDirectory(at: repository, withIntermediateDirectories: true)
        try GitConnectorTests.git(repository, ["init", "--quiet"])
        try Data("# empty\n".utf8).write(to: repository.appendingPathComponent("README.md"))
        try GitConnectorTests.git(repository, ["add", "."])
        try GitConnectorTests.git(repository, ["commit", "--quiet", "-m", "first"])
        try editProjectFile(in: folder.url) { file in
            file["connectors"] = ["missing": "file:./bin/missing", "plain": "file:./plain.txt"]
        }

        let missing = try await runMax(["-C", folder.url.path, "connect", "missing"])
        #expect(missing.status == 4, "\(missing.output)")
        #expect(
            missing.stderr.contains(
                "error[connector.not_found]: the missing connector's program \(folder.file("bin/missing").path) does not exist (file:./bin/missing)"
            ), "\(missing.stderr)")
        #expect(missing.stderr.contains("hint: fix connectors.missing in max.json"))
        let plain = try await runMax(["-C", folder.url.path, "connect", "plain"])
        #expect(plain.status == 2, "\(plain.output)")
        #expect(plain.stderr.contains("error[connector.not_runnable]"), "\(plain.stderr)")
        #expect(plain.stderr.contains("hint: make it executable (chmod +x "))
        let listed = try await runMax(["-C", folder.url.path, "connectors", "-o", "json"])
        let codes = try JSONValue(parsing: listed.stdout).arrayValue?.compactMap { $0["error"]?["code"]?.stringValue }
        #expect(codes?.sorted() == ["connector.not_found", "connector.not_runnable"], "\(listed.stdout)")
        // As text, the table cuts long cells, so each reason follows it whole, with its hint.
        let table = try await runMax(["-C", folder.url.path, "connectors"])
        #expect(table.status == 0, "\(table.output)")
        #expect(
            table.stdout.contains(
                "missing: error[connector.not_found]: the missing connector's program \(folder.file("bin/missing").path) does not exist (file:./bin/missing)\n  hint: fix connectors.missing in max.json"
            ), "\(table.stdout)")
        #expect(table.stdout.contains("plain: error[connector.not_runnable]:"), "\(table.stdout)")

        // A tag the repository lacks fails max install every time: the clone whose checkout failed
        // is not kept to be built from its default branch on the next try.
        try editProjectFile(in: folder.url) { file in
            file["connectors"] = ["tagged": .string("git+file://\(repository.path)#v9")]
        }
        for attempt in 1...2 {
            let install = try await runMax(["-C", folder.url.path, "install"])
            #expect(install.status == 1, "attempt \(attempt): \(install.output)")
            #expect(
                install.stderr.contains("error[connector.build_failed]: git checkout failed for the tagged connector"),
                "attempt \(attempt): \(install.stderr)")
            #expect(install.stderr.contains("has the tag or branch 'v9'"), "attempt \(attempt): \(install.stderr)")
        }
    }

    @Test func aPackageMustBeBuiltAndABadSourceSaysWhy() async throws {
        let folder = try TemporaryDirectory(prefix: "packages")
        _ = try await runMax(["init", folder.url.path])
        // A new package: listed, but not runnable until max install builds it.
        let made = try await runMax(["-C", folder.url.path, "connector", "new", "hello"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.file("connectors/hello/Package.swift").path))
        let early = try await runMax(["-C", folder.url.path, "connect", "hello"])
        #expect(early.status != 0)
        #expect(early.stderr.contains("error[connector.not_installed]"), "\(early.stderr)")
        #expect(early.stderr.contains("max install"))
        let again = try await runMax(["-C", folder.url.path, "connector", "new", "hello"])
        #expect(again.stderr.contains("error[connector.exists]"), "\(again.stderr)")
        let badName = try await runMax(["-C", folder.url.path, "connector", "new", "Hello_World"])
        #expect(badName.stderr.contains("error[connector.invalid_name]"), "\(badName.stderr)")

        // A git source that cannot be cloned fails max install with git's reason, naming it.
        try editProjectFile(in: folder.url) { file in
            file["connectors"] = ["broken": "git+file:///nonexistent/repository.git#v1"]
        }
        let install = try await runMax(["-C", folder.url.path, "install"])
        #expect(install.status != 0)
        #expect(install.stderr.contains("error[connector.build_failed]"), "\(install.stderr)")
        #expect(install.stderr.contains("git clone failed for the broken connector"))
    }

    @Test func aConnectorsRequestsGoThroughTheInstallationsClient() async throws {
        // Acme fails the first authenticated request (a 5xx) and serves the second.
        let seed = try #require(acmeSeed(failRate: 0.5, requests: 1...2) { $0 == 1 })
        let acme = try AcmeProcess(arguments: ["--fail-rate", "0.5", "--seed", String(seed)])
        let folder = try await Self.notesProject()
        try #require(try await Self.connectNotes(folder, name: "notes", key: "nk_test").status == 0)
        // The sandbox lets the connector reach only the hosts its installation allows.
        try setInstallationKeys(in: folder.url, of: "notes", ["egress": ["127.0.0.1"]])
        let input = JSONValue.object(["url": .string(acme.url + "/api/workspaces"), "token": .string(acme.apiKey)])
        let fetched = try await runMax([
            "-C", folder.url.path, "invoke", "notes", "fetch", "--input", input.jsonText, "-o", "json",
        ])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        let data = try JSONValue(parsing: fetched.stdout)["data"]
        #expect(data?["status"] == 200, "Max's client retried the 5xx: \(fetched.stdout)")
        #expect((data?["body"]?.arrayValue?.count ?? 0) == 1)
        let audit = try await runMax(["-C", folder.url.path, "audit", "notes", "-o", "ndjson"])
        let event = try audit.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
            .first { $0["operation"] == "fetch" }
        #expect(event?["retryCount"] == 1, "\(audit.stdout)")
    }
}
