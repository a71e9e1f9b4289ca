import Foundation
import MaxCore
import MaxRuntime
import MaxTestSupport
import Testing

/// Subprocess connectors in their sandbox (SPEC-hardening §7).
///
/// The real `max` runs the Python fixture trying to get out: a host outside its egress allowlist, a connection and a name lookup
/// of its own, the project's `.max/`, and more memory than its limit. Each is refused or stopped,
/// logged, and fails its sync with a clear error, while an installation that behaves syncs.
@Suite(.enabled(if: ConnectorSandbox.namespacesWork, "this machine cannot make user, network and mount namespaces"))
struct SandboxProcessTests {
    @Test func aConnectorCannotLeaveItsSandboxAndOthersWorkOn() async throws {
        let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "1"])
        let folder = try await SubprocessConnectorTests.notesProject()
        let port = try #require(URL(string: acme.url)?.port)
        let faults: [(name: String, fault: String)] = [
            ("egress", "egress:http://localhost:\(port)/api/workspaces"),
            ("connect", "connect:127.0.0.1:\(port)"),
            ("resolve", "resolve:acme-sandbox-test.example"),
            ("files", "read:" + folder.file(".max").path),
            ("memory", "memory"),
        ]
        for (name, config) in [("good", [String]())] + faults.map({ ($0.name, ["fault=\($0.fault)"]) }) {
            let connected = try await SubprocessConnectorTests.connectNotes(
                folder, name: name, key: "nk_test", config: config)
            try #require(connected.status == 0, "\(connected.output)")
            // 127.0.0.1 is allowed, localhost is not: the egress probe asks for localhost.
            try setInstallationKeys(
                in: folder.url, of: name, ["egress": ["127.0.0.1"], "limits": ["memoryMB": 256]])
        }
        // What each attempt must end in: the sync's error says it, and so does the log.
        let expected: [String: String] = [
            "egress": "refused by Max: [sandbox.egress_denied] the notes connector may not reach localhost",
            "connect": "tried connect 127.0.0.1:\(port): failed:",
            "resolve": "tried resolve acme-sandbox-test.example: failed:",
            "files": "tried read \(folder.file(".max").path): failed: [Errno 13] Permission denied",
        ]
        for (name, _) in faults {
            let synced = try await runMax(["-C", folder.url.path, "sync", name, "--progress", "none"])
            #expect(synced.status != 0, "\(name): \(synced.output)")
            #expect(!synced.output.contains("escaped"), "\(name) got out: \(synced.output)")
            let log = try String(contentsOf: folder.file(".max/logs/\(name).log"), encoding: .utf8)
            if let message = expected[name] {
                #expect(synced.stderr.contains(message), "\(name): \(synced.stderr)")
                #expect(log.contains(message), "\(name)'s log says what it tried")
            } else {
                #expect(synced.stderr.contains("error[connector.crashed]"), "memory: \(synced.stderr)")
                #expect(log.contains("MemoryError"), "the connector's own words are in its log")
            }
        }
        let egressLog = try String(contentsOf: folder.file(".max/logs/egress.log"), encoding: .utf8)
        #expect(egressLog.contains("egress refused") && egressLog.contains("localhost"), "Max logs the refusal")

        // Outside the sandbox, the same connection and folder are reachable: it is the sandbox
        // that held them in.
        try setInstallationKeys(in: folder.url, of: "connect", ["sandbox": false])
        let unsandboxed = try await runMax(["-C", folder.url.path, "sync", "connect", "--progress", "none"])
        #expect(unsandboxed.stderr.contains("escaped: connected to 127.0.0.1:\(port)"), "\(unsandboxed.stderr)")

        // A killed Max's connector folder (here, one of a process that is gone) is removed by the
        // next Max that starts a connector; each Max removes its own when its connector exits.
        let ended = try MaxProcess(["--version"])
        _ = try await ended.outcome()
        let left = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("max-connector-\(ended.pid)-left-by-a-killed-max", isDirectory: true)
        try FileManager.default.createDirectory(at: left, withIntermediateDirectories: true)
        let syncing = try MaxProcess(["-C", folder.url.path, "sync", "good"])
        let good = try await syncing.outcome()
        #expect(good.status == 0, "\(good.output)")
        #expect(!FileManager.default.fileExists(atPath: left.path), "the leftover was removed")
        let own = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())
            .filter { $0.hasPrefix("max-connector-\(syncing.pid)-") }
        #expect(own.isEmpty, "the sync's own connector folder went with it: \(own)")
        #expect(try await runMax(["-C", folder.url.path, "count", "good", "Note"]).stdout == "25\n")
    }

    /// A program inside the project's `.max/` (where `max install` puts what it builds) still runs,
    /// and still sees nothing else there.
    @Test func aConnectorBuiltIntoDotMaxRunsAndSeesNothingElseThere() async throws {
        let folder = try await SubprocessConnectorTests.notesProject()
        let bin = folder.file(".max/connectors/notes-0123/bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: SubprocessConnectorTests.notes, to: bin.appendingPathComponent("notes.py"))
        try editProjectFile(in: folder.url) {
            $0["connectors"] = ["notes": "file:./.max/connectors/notes-0123/bin/notes.py"]
        }
        for (name, config) in [
            ("good", [String]()), ("prying", ["fault=read:" + folder.file(".max/installations").path]),
        ] {
            let connected = try await SubprocessConnectorTests.connectNotes(
                folder, name: name, key: "nk_test", config: config)
            try #require(connected.status == 0, "\(connected.output)")
        }
        let good = try await runMax(["-C", folder.url.path, "sync", "good"])
        #expect(good.status == 0, "\(good.output)")
        let prying = try await runMax(["-C", folder.url.path, "sync", "prying", "--progress", "none"])
        #expect(prying.stderr.contains("failed: [Errno 2] No such file or directory"), "\(prying.stderr)")
    }

    @Test func aMalformedSandboxSettingNamesTheKey() async throws {
        let folder = try await SubprocessConnectorTests.notesProject()
        let connected = try await SubprocessConnectorTests.connectNotes(folder, name: "notes", key: "nk_test")
        try #require(connected.status == 0, "\(connected.output)")
        for (keys, message) in [
            (["egress": JSONValue.array(["https://api.example.com"])], "'installations.notes.egress' must be"),
            (["sandbox": "no"], "'installations.notes.sandbox' must be true or false"),
        ] {
            try setInstallationKeys(in: folder.url, of: "notes", keys)
            let refused = try await runMax(["-C", folder.url.path, "sync", "notes"])
            #expect(refused.status == 2 && refused.stderr.contains(message), "\(refused.output)")
            try setInstallationKeys(in: folder.url, of: "notes", ["egress": [], "sandbox": true])
        }
    }
}
