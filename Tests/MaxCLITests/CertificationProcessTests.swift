import Foundation
import MaxCore
import MaxTestSupport
import SourceSimulators
import Testing

/// `max connector certify` through the `max` executable: the bundled and built-in connectors pass
/// against their simulators, a connector that takes a refused page for the end of the list fails
/// with a report that says so, and `max install` can require a passing report.
struct CertificationProcessTests {
    /// The report `certify` wrote for `connector` in `folder`'s `certification/`.
    static func report(_ folder: URL, _ connector: String) throws -> JSONValue {
        let data = try Data(contentsOf: folder.appendingPathComponent("certification/\(connector).json"))
        return try JSONValue(parsing: String(decoding: data, as: UTF8.self))
    }

    /// The ids of the checks of `report` that ended `status`.
    static func checks(_ report: JSONValue, _ status: String) -> [String] {
        (report["checks"]?.arrayValue ?? []).filter { $0["status"]?.stringValue == status }.compactMap {
            $0["id"]?.stringValue
        }
    }

    /// Certifies `arguments` in a new project; expects a pass, every phase run, and the Markdown
    /// beside the JSON.
    static func expectPass(_ arguments: [String], environment: [String: String], secret: String) async throws {
        let folder = try TemporaryDirectory(prefix: "certify")
        _ = try await runMax(["init", folder.url.path])
        let outcome = try await runMax(
            ["-C", folder.url.path, "connector", "certify"] + arguments, environment: environment)
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(outcome.stdout.hasPrefix("PASSED"), "\(outcome.stdout)")
        let report = try Self.report(folder.url, arguments[0])
        #expect(report["passed"] == true)
        #expect(Self.checks(report, "failed").isEmpty, "\(report.prettyJSONText)")
        // Every phase ran: no fault phase went without a fault.
        for id in [
            "sync.baseline", "records.types", "operations.contract", "faults.server-errors",
            "faults.rate-limit-storm", "faults.rate-limit-exhausted", "faults.timeouts", "faults.malformed-bodies",
            "load", "fuzz.normalisation", "security.egress", "security.secrets",
        ] {
            #expect(Self.checks(report, "passed").contains(id), "\(id) did not pass: \(report.prettyJSONText)")
        }
        let operations = report["checks"]?.arrayValue?.first { $0["id"] == "operations.contract" }
        #expect((operations?["figures"]?["invoked"]?.intValue ?? 0) >= 1, "an example was invoked")
        let markdown = try String(
            contentsOf: folder.url.appendingPathComponent("certification/\(arguments[0]).md"), encoding: .utf8)
        #expect(markdown.contains("**PASSED**"))
        // The canary: the credential is nowhere in what certify wrote or said.
        #expect(!outcome.output.contains(secret) && !markdown.contains(secret) && !report.jsonText.contains(secret))
    }

    @Test func acmePassesAgainstAcmeServer() async throws {
        let acme = try AcmeProcess()
        let project = try #require(try await EndToEndTests.apiList(acme, "/api/projects").first)
        let user = try #require(try await EndToEndTests.apiList(acme, "/api/users").first)
        let example: JSONValue = [
            "projectId": project["id"] ?? .null, "title": "Certified", "createdById": user["id"] ?? .null,
        ]
        try await Self.expectPass(
            [
                "acme", "--config", "baseURL=\(acme.url)", "--credential", "api_token=env:T", "--example",
                "createTask=\(example.jsonText)",
            ], environment: ["T": acme.apiKey], secret: acme.apiKey)
    }

    @Test func githubPassesAgainstItsSimulator() async throws {
        try await SimulatorServer.withRunning(GitHubSimulator()) { url in
            try await Self.expectPass(
                [
                    "github", "--config", "apiURL=\(url)", "--config", "owner=octo-org", "--credential", "token=env:T",
                    "--example", #"createIssue={"repository": "octo-org/repo-1", "title": "Certified"}"#,
                ], environment: ["T": GitHubConnectorTests.token], secret: GitHubConnectorTests.token)
        }
    }

    @Test func linearPassesAgainstItsSimulator() async throws {
        let simulator = LinearSimulator()
        try await SimulatorServer.withRunning(simulator) { url in
            let team = try #require(simulator.records("teams").first?["id"]?.stringValue)
            try await Self.expectPass(
                [
                    "linear", "--config", "apiURL=\(url)/graphql", "--credential", "api_key=env:K", "--example",
                    #"createIssue={"teamId": "\#(team)", "title": "Certified"}"#,
                ], environment: ["K": LinearSimulator.Options().apiKey], secret: LinearSimulator.Options().apiKey)
        }
    }

    @Test func aConnectorThatTakesA429ForTheEndOfTheListFailsWithAPreciseReport() async throws {
        let acme = try AcmeProcess()
        let folder = try TemporaryDirectory(prefix: "certify-tasks")
        _ = try await runMax(["init", folder.url.path])
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/connectors/tasks.py")
        try editProjectFile(in: folder.url) { $0["connectors"] = ["tasks": .string("file:\(fixture.path)")] }
        let outcome = try await runMax(
            [
                "-C", folder.url.path, "connector", "certify", "tasks", "--config", "baseURL=\(acme.url)",
                "--credential", "api_token=env:T",
            ], environment: ["T": acme.apiKey])
        #expect(outcome.status == 1, "\(outcome.output)")
        #expect(outcome.stdout.hasPrefix("FAILED"), "\(outcome.stdout)")
        #expect(outcome.stderr.contains("error[certify.failed]"), "\(outcome.stderr)")
        let report = try Self.report(folder.url, "tasks")
        #expect(report["passed"] == false)
        // Precisely the one phase it mishandles: everything else passes (Max's retries absorb
        // 429 storms for it).
        #expect(Self.checks(report, "failed") == ["faults.rate-limit-exhausted"], "\(report.prettyJSONText)")
        #expect(Self.checks(report, "passed").contains("faults.rate-limit-storm"))
        let check = try #require(report["checks"]?.arrayValue?.first { $0["id"] == "faults.rate-limit-exhausted" })
        let findings = (check["findings"]?.arrayValue ?? []).compactMap(\.stringValue)
        let tasks = try await EndToEndTests.apiList(acme, "/api/tasks").count
        #expect(
            findings.contains {
                $0.contains("reported success but wrote 5 Task records where the fault-free sync wrote \(tasks)")
            }, "\(findings)")
        #expect(
            findings.contains { $0.contains("was answered 429") && $0.contains("did not ask for it again") },
            "\(findings)")
        let markdown = try String(
            contentsOf: folder.url.appendingPathComponent("certification/tasks.md"), encoding: .utf8)
        #expect(markdown.contains("## 429 past the retries: failed"), "\(markdown)")
        #expect(!outcome.output.contains(acme.apiKey) && !markdown.contains(acme.apiKey))
    }

    @Test func installCanRequireAPassingReportForTheConnectorsFiles() async throws {
        try await SimulatorServer.withRunning(ManifestConnectorTests.Misbehaving()) { url in
            let folder = try TemporaryDirectory(prefix: "certify-install")
            let path = folder.url.path
            _ = try await runMax(["init", path])
            let file = folder.url.appendingPathComponent("connectors/odd.yaml")
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            let manifest = ManifestConnectorTests.manifest(path: "/items", records: "items", pagination: "{type: none}")
            try manifest.write(to: file, atomically: true, encoding: .utf8)
            try editProjectFile(in: folder.url) {
                $0["connectors"] = ["odd": "file:./connectors/odd.yaml"]
                $0["trust"] = ["unsigned": ["odd"], "requireCertification": true]
            }
            let uncertified = try await runMax(["-C", path, "install"])
            #expect(uncertified.status != 0, "\(uncertified.output)")
            #expect(uncertified.stderr.contains("error[connector.not_certified]"), "\(uncertified.stderr)")
            #expect(uncertified.stderr.contains("max connector certify odd"), "\(uncertified.stderr)")

            let certified = try await runMax(["-C", path, "connector", "certify", "odd", "--config", "url=\(url)"])
            #expect(certified.status == 0, "\(certified.output)")
            let report = try Self.report(folder.url, "odd")
            #expect(report["connector"]?["digest"]?.stringValue?.isEmpty == false)
            #expect(try await runMax(["-C", path, "install"]).status == 0)

            try (manifest + "# changed after certification\n").write(to: file, atomically: true, encoding: .utf8)
            let changed = try await runMax(["-C", path, "install"])
            #expect(changed.stderr.contains("error[connector.not_certified]"), "\(changed.stderr)")
            #expect(changed.stderr.contains("its files changed after it was certified"), "\(changed.stderr)")
        }
    }
}
