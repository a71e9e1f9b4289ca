import ArgumentParser
import Foundation
import MaxCore
import MaxRuntime

struct InstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Rebuild .max/ from max.json and report which installations lack credentials.",
        discussion: """
            First it installs the connectors of max.json's "connectors" table that need building: \
            a git+<url>#<tag> source is cloned, a Swift package (a file: folder with a \
            Package.swift) is built with swift build -c release in .max/connectors/swift-build, \
            one build folder for all of them (the first package compiles Max's SDK and its \
            dependencies, minutes on two cores; the next only itself), a copy of each program is \
            kept in its connector's folder, and pinned in .max/connectors.json (source, git \
            revision, version, executable). An executable file: source needs nothing.

            On a fresh clone (max.json only), creates .max/ and each installation's private \
            folder, then checks each installation: its connector is known, and every credential \
            it needs is stored (sealed in .max/) or, when max.json references it \
            ("credentials": {"api_token": "env:ACME_TOKEN"}), its variable is set. For each \
            missing credential it prints the command that fixes it. Nothing is ever deleted: \
            running it again changes nothing.

            Exit codes: 0 when every installation is ready, 3 when some lack credentials, else \
            the exit code of the error found.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Output format: text, json or ndjson.") var output: OutputFormat = .text

    func validate() throws {
        try output.require(oneOf: [.text, .json, .ndjson], for: "install")
    }

    func run() async throws {
        let workspace = try global.workspace()
        try await workspace.checkManifests { Terminal.err($0) }
        let built = try await ConnectorInstaller(project: workspace.project).installAll { Terminal.err($0) }
        if !built.isEmpty {
            Terminal.err(
                "pinned in .max/connectors.json: " + built.map { "\($0.name) \($0.version)" }.joined(separator: ", "))
        }
        let reports = try await workspace.install()
        let rows = reports.map(Self.json)
        switch output {
        case .json: Terminal.out(JSONValue.array(rows).prettyJSONText)
        case .ndjson: rows.forEach { Terminal.out($0.jsonText) }
        default:
            Table.print(
                headers: ["NAME", "CONNECTOR", "CREDENTIALS", "FIX"],
                rows: reports.map { report in
                    [
                        report.name, report.connector, Self.credentialsColumn(report),
                        report.fixes.joined(separator: "; "),
                    ]
                })
            let ready = reports.filter(\.isReady).count
            Terminal.err(
                reports.isEmpty
                    ? "No installations in max.json: .max/ is ready (next: max connect <connector>)"
                    : "\(ready) of \(reports.count) installation\(reports.count == 1 ? "" : "s") ready"
                        + (ready == reports.count ? " (next: max sync <installation>)" : ""))
        }
        let errors = reports.compactMap(\.error)
        if !errors.isEmpty { throw PartialSuccess(code: ErrorReporter.exitCode(forAll: errors)) }
        if reports.contains(where: { !$0.isReady }) { throw PartialSuccess(code: 3) }
    }

    static func credentialsColumn(_ report: InstallationReadiness) -> String {
        if let error = report.error { return "error: \(error.message)" }
        if report.credentials.isEmpty { return "none needed" }
        let missing = report.missing
        if missing.isEmpty {
            return "present (" + report.credentials.map { "\($0.name) from \($0.source)" }.joined(separator: ", ") + ")"
        }
        return "missing: " + missing.map { "\($0.name) (\($0.source))" }.joined(separator: ", ")
    }

    static func json(_ report: InstallationReadiness) -> JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(report.name), "connector": .string(report.connector), "ready": .bool(report.isReady),
            "credentials": .array(
                report.credentials.map {
                    ["name": .string($0.name), "source": .string($0.source), "present": .bool($0.present)]
                }),
            "fix": .array(report.fixes.map(JSONValue.string)),
        ]
        if let error = report.error { object["error"] = error.json }
        return .object(object)
    }
}
