public import Foundation
import MaxConnector
import MaxCore
import MaxCredentials

extension MaxWorkspace {
    /// Merges `Connector` documents into `max.json`.
    ///
    /// Each creates or updates the installation it names (its id and connection time kept), with
    /// its connector version, config, `disabled`, credential references, limits and schedule.
    /// Nothing is written unless every document is valid; each installation created or changed is
    /// an audit event.
    ///
    /// - Parameters:
    ///   - specs: The documents.
    ///   - write: Whether to write `max.json` (`false`: only say what would change).
    ///   - caller: Who asked, for the audit events.
    ///   - date: The time recorded as a new installation's `connectedAt`.
    /// - Returns: One change per installation created (`create-from-spec`) or changed
    ///   (`update-from-spec`); none for a document `max.json` already matches.
    /// - Throws: `connector.not_found`, `connector.not_installed` (a `typeVersion` this Max does
    ///   not have), `connector.invalid_config` (naming each problem as `spec.config.…`),
    ///   `spec.invalid`, `spec.plain_secret` (a config key that is one of the connector's
    ///   credentials); `project.*`.
    public func merge(_ specs: [ConnectorSpec], write: Bool, caller: String = "cli", at date: Date = Date())
        async throws -> [ApplyPlan.Change]
    {
        let records = try await mergedRecords(specs, into: try project.load(), at: date)
        guard write, !records.isEmpty else { return records.map(\.change) }
        try project.update { file in
            for (name, record, _) in records { file.installations[name] = record }
        }
        for (name, _, change) in records {
            let id = "apply_" + UUID().uuidString.lowercased()
            await AuditLog(project: project).record(
                AuditLog.Event(
                    requestID: id, correlationID: id, caller: caller, installation: name, operation: change.action,
                    mode: "admin", outcome: "succeeded", durationMs: 0)
            ) { _ in }
        }
        return records.map(\.change)
    }

    /// The entries `specs` would write into `file`, each with its change; none for a document
    /// `file` already matches.
    func mergedRecords(_ specs: [ConnectorSpec], into file: ProjectFile, at date: Date = Date()) async throws
        -> [(name: String, record: InstallationRecord, change: ApplyPlan.Change)]
    {
        var records: [(name: String, record: InstallationRecord, change: ApplyPlan.Change)] = []
        for spec in specs {
            let existing = file.installations[spec.name]
            let record = try await record(for: spec, existing: existing, at: date)
            guard record != existing else { continue }
            var changed: [String] = []
            if let existing {
                if existing.connector != record.connector { changed.append("connector") }
                if existing.config != record.config { changed.append("config") }
                if existing.isDisabled != record.isDisabled { changed.append("enabled") }
                if existing.credentialReferences != record.credentialReferences { changed.append("credentials") }
                if existing.otherKeys != record.otherKeys, changed.isEmpty {
                    changed.append("limits, sync or metadata")
                }
            }
            let change =
                existing == nil
                ? ApplyPlan.Change(
                    action: "create-from-spec", installation: spec.name,
                    description: "add \(spec.name) (\(record.connector)) to max.json from its Connector document")
                : ApplyPlan.Change(
                    action: "update-from-spec", installation: spec.name,
                    description:
                        "update \(spec.name) in max.json from its Connector document (\(changed.joined(separator: ", ")))"
                )
            records.append((spec.name, record, change))
        }
        return records
    }

    /// The `max.json` entry a document asks for.
    private func record(for spec: ConnectorSpec, existing: InstallationRecord?, at date: Date) async throws
        -> InstallationRecord
    {
        let module = try await connectorModule(named: spec.type)
        let installed = module.info.version
        if let asked = spec.typeVersion, !Self.version(installed, satisfies: asked) {
            throw MaxError(
                .connectorNotInstalled,
                "\(spec.name) asks for \(spec.type) version \(asked); this Max has \(spec.type) \(installed)",
                hint:
                    "ask for typeVersion \(installed.split(separator: ".").first ?? "1"), or use a Max with that version",
                context: ["connector": spec.type, "version": asked])
        }
        let schema = module.configSchema
        let problems = schema.problems(in: spec.config)
        if !problems.isEmpty {
            throw MaxError(
                .invalidConfig,
                "\(spec.name)'s Connector document: "
                    + problems.map { "spec.\($0.path) \($0.message)" }.joined(separator: "; "),
                hint: "see the \(spec.type) config's schema: max connectors \(spec.type)",
                context: ["installation": spec.name, "connector": spec.type])
        }
        let credentialNames = module.onboarding.credentialNames
        if let key = spec.config.objectValue?.keys.sorted().first(where: credentialNames.contains) {
            throw ConnectorSpec.plainSecret(
                "\(spec.name)'s Connector document has spec.config.\(key), which is a credential of \(spec.type); a secret's value never goes in the document",
                source: spec.name)
        }
        var record =
            existing
            ?? InstallationRecord(
                id: UUID().uuidString.lowercased(), connector: "\(spec.type)@\(installed)",
                connectedAt: ISO8601.format(date), config: spec.config)
        if existing?.connectorName != spec.type { record.connector = "\(spec.type)@\(installed)" }
        if existing == nil || record.config != spec.config {
            record.config = spec.config
            record.configVersion = schema.version
        }
        record.otherKeys["disabled"] = spec.enabled ? nil : .bool(true)
        switch spec.credentials {
        case .environment(let variables):
            if let unknown = variables.keys.sorted().first(where: { !credentialNames.contains($0) }) {
                throw ConnectorSpec.invalid(
                    "\(spec.name): spec.credentials.secretRef.keys.\(unknown) is not a credential of \(spec.type) (\(credentialNames.joined(separator: ", ")))",
                    source: spec.name)
            }
            record.credentialReferences = variables.mapValues { .environment($0) }
        case .store, .oauth, .none:
            record.credentialReferences = [:]
        }
        record.otherKeys["sync"] = spec.sync
        try Self.limits(spec, into: &record)
        record.otherKeys["metadata"] = spec.metadata.isEmpty ? nil : .object(spec.metadata)
        return record
    }

    /// `spec.limits` as `max.json` keys: `maxParallelInvocations` → `operations.maxParallel`,
    /// `rateLimit.rps`/`burst` → `rateLimit.rate`/`burst`.
    private static func limits(_ spec: ConnectorSpec, into record: inout InstallationRecord) throws {
        guard let limits = spec.limits else {
            record.otherKeys["rateLimit"] = nil
            record.otherKeys["operations"] = nil
            return
        }
        guard let object = limits.objectValue else {
            throw ConnectorSpec.invalid("\(spec.name): spec.limits must be a map", source: spec.name)
        }
        for key in object.keys.sorted() where !["maxParallelInvocations", "rateLimit"].contains(key) {
            throw ConnectorSpec.invalid(
                "\(spec.name): spec.limits.\(key) is not a limit (maxParallelInvocations, rateLimit)", source: spec.name
            )
        }
        if let parallel = object["maxParallelInvocations"] {
            record.otherKeys["operations"] = ["maxParallel": parallel]
        }
        if let rate = object["rateLimit"] {
            guard let rps = rate["rps"] else {
                throw ConnectorSpec.invalid("\(spec.name): spec.limits.rateLimit.rps is required", source: spec.name)
            }
            var converted: [String: JSONValue] = ["rate": rps]
            if let burst = rate["burst"] { converted["burst"] = burst }
            record.otherKeys["rateLimit"] = .object(converted)
        }
    }

    /// Whether `installed` is the version asked for: the same major version (`1`), or the same
    /// version or a later one of its major (`1.2.0`).
    static func version(_ installed: String, satisfies asked: String) -> Bool {
        if let major = Int(asked) { return installed.split(separator: ".").first.flatMap { Int($0) } == major }
        guard let want = OperationCompatibility.Version(asked), let have = OperationCompatibility.Version(installed)
        else { return asked == installed }
        return have.major == want.major && have >= want
    }
}
