import ArgumentParser
import Foundation
import MaxCore
import MaxRuntime

/// `max apply`: make `.max/` match `max.json`.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract:
            "Make .max/ match max.json: create what is missing, and with --prune remove what it no longer declares.",
        discussion: """
            max.json wins. Apply creates .max/ (private to you), its .gitignore entry and each \
            installation's folder; moves installations to the connector versions installed, \
            migrating their config (each migration's note is printed); records configs, \
            "disabled" and versions changed in max.json by hand; and with --prune removes the \
            folders (credentials and data) of installations max.json no longer declares. Each \
            change is an audit event; a second apply changes nothing. Then it asks the source of \
            each enabled installation this project serves itself, whose credentials are there, \
            whether it works (--no-verify skips that).

            With -f FILE (YAML or JSON; - for standard input), the Connector documents in it \
            (apiVersion max/v1alpha1, kind Connector) are merged into max.json first: each creates \
            or updates the installation it names. Secrets in them are references only (secretRef \
            with provider env or store, or mode oauth); a document carrying a secret's value is \
            refused and nothing is written. See docs/desired-state.md.

            While max.json has problems (see max validate) apply changes nothing and exits 2. \
            Missing credentials are listed with what provides them and make it exit 3; an \
            installation whose source does not work makes it exit 1.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Flag(help: "Remove the folders of installations max.json no longer declares.") var prune = false
    @Flag(name: .customLong("verify"), inversion: .prefixedNo, help: "Check each enabled installation's source after.")
    var verify = true
    @Option(name: .shortAndLong, help: "Output format: text or json.") var output: OutputFormat = .text
    @Option(name: .shortAndLong, help: "A file of Connector documents to merge into max.json first (- for stdin).")
    var file: String?

    func validate() throws { try output.require(oneOf: [.text, .json], for: "apply") }

    func run() async throws {
        let plan = try await global.api().apply(
            ApplyRequest(prune: prune, verify: verify, spec: try file.map(Self.documents)))
        Self.print(plan, output: output, done: true)
        if plan.changes.contains(where: { $0.action == "missing-credential" }) { throw PartialSuccess(code: 3) }
        if plan.checks.contains(where: { $0.status != "healthy" }) { throw PartialSuccess(code: 1) }
    }

    /// The Connector documents of `path` (`-`: standard input), checked, as a request carries them.
    ///
    /// - Throws: `spec.invalid` when it cannot be read or is not documents; `spec.plain_secret`.
    static func documents(_ path: String) throws -> JSONValue {
        if path == "-" {
            let text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            return try ConnectorSpec.list(in: text, source: "standard input")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MaxError(
                .invalidSpec, "cannot read \(path)", hint: "check the path given to -f", context: ["path": path])
        }
        return try ConnectorSpec.list(in: String(decoding: data, as: UTF8.self), source: path)
    }

    static func print(_ plan: ApplyPlan, output: OutputFormat, done: Bool) {
        if output == .json {
            let changes = JSONValue.array(
                plan.changes.map { change in
                    [
                        "action": .string(change.action),
                        "installation": change.installation.map(JSONValue.string) ?? .null,
                        "description": .string(change.description),
                        "hint": change.hint.map(JSONValue.string) ?? .null,
                    ]
                })
            guard done else { return Terminal.out(changes.prettyJSONText) }
            let checks = JSONValue.array(
                plan.checks.map { check in
                    [
                        "installation": .string(check.installation), "status": .string(check.status),
                        "reason": check.reason.map(JSONValue.string) ?? .null,
                    ]
                })
            Terminal.out(JSONValue.object(["changes": changes, "checks": checks]).prettyJSONText)
            return
        }
        if plan.changes.isEmpty {
            Terminal.out(done ? "Nothing to change: .max/ matches max.json" : "No changes: .max/ matches max.json")
        }
        for change in plan.changes {
            let mark =
                switch change.action {
                case "prune": change.description.hasPrefix("keep") ? "=" : "-"
                case "missing-credential", "invalid": "!"
                case "update-from-spec": "~"
                case "configure", "upgrade", "disable", "enable": "~"
                default: "+"
                }
            Terminal.out("\(mark) \(change.description)")
            if let hint = change.hint { Terminal.out("  hint: \(hint)") }
        }
        for check in plan.checks {
            Terminal.out("\(check.installation): \(check.status)\(check.reason.map { ": \($0)" } ?? "")")
        }
    }
}
