import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// The project's catalog (SPEC-hardening §13): a deprecated connector syncs with a warning naming
/// its replacement, a retired one is refused while its data still answers, a feature turned off is
/// refused, and `max connectors` shows each.
struct ConnectorCatalogTests {
    @Test func deprecatedWarnsRetiredRefusesAndFeaturesTurnOff() async throws {
        let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "1"])
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let path = folder.url.path
        func catalog(_ entry: JSONValue) throws {
            try editProjectFile(in: folder.url) { $0["catalog"] = ["acme": entry] }
        }

        try catalog(["lifecycle": "deprecated", "replacement": "acme-next"])
        let warned = try await runMax(["-C", path, "sync", "acme"])
        #expect(warned.status == 0, "\(warned.output)")
        #expect(
            warned.stderr.contains(
                "warning: the acme connector is deprecated; its replacement is acme-next (max connect acme-next)"),
            "\(warned.stderr)")
        let listed = try await runMax(["-C", path, "connectors", "-o", "json"])
        let row = try JSONValue(parsing: listed.stdout).arrayValue?.first { $0["name"] == "acme" }
        #expect(row?["lifecycle"] == "deprecated" && row?["replacement"] == "acme-next", "\(listed.stdout)")
        let table = try await runMax(["-C", path, "connectors"], environment: ["COLUMNS": "200"])
        #expect(table.stdout.contains("deprecated → acme-next"), "\(table.stdout)")

        try catalog(["lifecycle": "retired", "replacement": "acme-next"])
        let retired = try await runMax(["-C", path, "sync", "acme"])
        #expect(retired.status != 0)
        #expect(
            retired.stderr.contains("error[connector.retired]: the acme connector is retired: acme no longer syncs"),
            "\(retired.stderr)")
        #expect(retired.stderr.contains("max connect acme-next"))
        #expect(try await runMax(["-C", path, "count", "acme", "AcmeTask"]).status == 0, "its data still answers")

        try catalog(["features": ["operations": false]])
        #expect(try await runMax(["-C", path, "sync", "acme"]).status == 0)
        let (project, user) = try await OperationProcessTests.ids(acme)
        let input = JSONValue.object(["projectId": .string(project), "title": "Off", "createdById": .string(user)])
        let refused = try await runMax(["-C", path, "invoke", "acme", "createTask", "--input", input.jsonText])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("error[connector.feature_disabled]"), "\(refused.stderr)")
        #expect(try await OperationProcessTests.tasks(acme, titled: "Off") == 0, "nothing was sent")
        let off = try await runMax(["-C", path, "connectors"], environment: ["COLUMNS": "200"])
        #expect(off.stdout.contains("active (off: operations)"), "\(off.stdout)")

        try catalog(["lifecycle": "sunset"])
        let malformed = try await runMax(["-C", path, "ls"])
        #expect(
            malformed.status == 2
                && malformed.stderr.contains("catalog.acme.lifecycle must be active, deprecated or retired"))
    }
}
