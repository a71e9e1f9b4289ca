import ArgumentParser
import Foundation
import MaxCertification
import MaxCore
import MaxCredentials
import MaxRuntime

/// `max connector certify <connector>`: the certification suite against a source.
struct ConnectorCertify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certify", abstract: "Certify a connector against its source: the §15 suite, with a report.",
        discussion: """
            Connects the connector in a throwaway project with the --config and --credential \
            given (as max connect takes them), every http(s) URL of its config pointed at a \
            fault-injecting proxy in front of that source (its simulator, or the real service), \
            and checks: its definition; a fault-free sync (the baseline) whose values fit their \
            types; its operations' contracts (an input their schema refuses is refused before \
            reaching the source; with --example, the output matches the output schema and a \
            repeated idempotency key does not reach the source again); full syncs through 5xx \
            answers, 429 storms (retried no sooner than Retry-After), a 429 that outlasts the \
            retries, requests left unanswered (a 2 s request timeout meanwhile) and bodies cut \
            short, each of which must write what the baseline wrote or fail with a classified \
            error, losing and corrupting nothing; a short load test (--load installations syncing \
            at once); fuzzed JSON answers (nothing may crash, every stored value must fit its type, \
            and a clean sync must restore the baseline); and the security checklist (no \
            credential value in any file, log or output; every request to the source).

            Writes <name>.json and <name>.md to --out (default: the project's certification/ \
            folder, or ./certification), and exits 1 when a check fails. With "trust": \
            {"requireCertification": true} in max.json, max install refuses a connector of the \
            connectors table without a passing report in certification/ for its current files.

            Operations change the source: certify a connector with --example against a simulator \
            or a test account. For example:
              max connector certify acme --config baseURL=http://127.0.0.1:8080 \\
                --credential api_token=env:ACME_TOKEN
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The connector: a built-in, or one of the project's connectors table.") var connector: String
    @Option(help: "A config value, as key=value (as for max connect). Repeatable.") var config: [String] = []
    @Option(help: "A secret's source, as key=env:VAR, key=file:PATH or key=-. Repeatable.")
    var credential: [String] = []
    @Option(help: "An example input of an operation, as id=JSON or id=@file. Repeatable.") var example: [String] = []
    @Option(help: "Installations that sync at once in the load test.") var load = 3
    @Option(help: "The fuzzer's seed (the same seed mutates the same way).") var seed: UInt64 = 1
    @Option(help: "Where to write the report (default: the project's certification/ folder).") var out: String?
    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: text or json (the report).")
    var output: OutputFormat = .text

    func validate() throws {
        guard (1...16).contains(load) else { throw ValidationError("--load must be from 1 to 16") }
        guard [.text, .json].contains(output) else { throw ValidationError("-o takes text or json") }
    }

    func run() async throws {
        let project = try? Project.find(from: global.startURL)
        var values: [String: String] = [:]
        for pair in config {
            let (key, value) = try ConnectCommand.split(pair, flag: "--config")
            values[key] = value
        }
        var secrets: [String: Secret] = [:]
        for pair in credential {
            let (key, value) = try ConnectCommand.split(pair, flag: "--credential")
            secrets[key] = try CredentialSource(parsing: value, key: key).read(key: key)
        }
        var options = CertificationSuite.Options(connector: connector, config: values, credentials: secrets)
        options.examples = try examples()
        options.loadInstallations = load
        options.seed = seed
        let suite = CertificationSuite(
            options: options, registry: BuiltInConnectors.registry(), project: project,
            progress: { Terminal.err($0) })
        Terminal.err("certifying \(connector) (a few minutes: every phase is a full sync)")
        let report = try await suite.run()
        let folder =
            out.map { URL(fileURLWithPath: $0, relativeTo: global.startURL) }
            ?? (project.map(\.certificationURL) ?? global.startURL.appendingPathComponent("certification"))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let json = folder.appendingPathComponent("\(connector).json")
        let markdown = folder.appendingPathComponent("\(connector).md")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(report).write(to: json, options: .atomic)
        try Data(report.markdown.utf8).write(to: markdown, options: .atomic)
        if output == .json {
            try JSONOutput.pretty(report)
        } else {
            let failed = report.checks.filter { $0.status == .failed }
            Terminal.out(
                "\(report.passed ? "PASSED" : "FAILED"): \(report.connector.name) \(report.connector.version), \(report.checks.filter { $0.status == .passed }.count) of \(report.checks.count) checks passed"
                    + (failed.isEmpty ? "" : "; failed: \(failed.map(\.id).joined(separator: ", "))"))
            Terminal.out("report: \(json.path), \(markdown.path)")
        }
        guard report.passed else {
            let failed = report.checks.filter { $0.status == .failed }
            throw MaxError(
                .certificationFailed,
                "the \(connector) connector failed \(failed.count) of \(report.checks.count) checks: "
                    + failed.map { "\($0.id) (\($0.findings.first ?? $0.summary))" }.joined(separator: "; "),
                hint: "read \(markdown.path) for what each check found", context: ["connector": connector])
        }
    }

    /// `--example id=JSON` and `id=@file`, by operation id.
    func examples() throws -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for pair in example {
            let (id, text) = try ConnectCommand.split(pair, flag: "--example")
            let json: String
            if text.hasPrefix("@") {
                let url = URL(fileURLWithPath: String(text.dropFirst()), relativeTo: global.startURL)
                guard let data = FileManager.default.contents(atPath: url.path) else {
                    throw ValidationError("--example \(id): cannot read \(url.path)")
                }
                json = String(decoding: data, as: UTF8.self)
            } else {
                json = text
            }
            do {
                result[id] = try JSONValue(parsing: json)
            } catch {
                throw ValidationError("--example \(id) is not JSON: \(MaxError.wrapping(error).message)")
            }
        }
        return result
    }
}
