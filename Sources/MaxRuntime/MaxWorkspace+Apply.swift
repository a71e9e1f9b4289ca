public import Foundation
import MaxConnector
public import MaxCore

/// What `max apply` would change to make `.max/` match `max.json` (`max diff` prints it).
///
/// The drift rule: `max.json` wins. What it declares and `.max/` lacks is created; what `.max/`
/// holds and it no longer declares is removed only with `--prune`; a change made to `max.json` by
/// hand since the last apply (a config, `disabled`, a connector version) is recorded and audited;
/// what apply cannot create (secrets) is reported with the command that provides it; and while
/// `max.json` has problems (what `max validate` reports), apply changes nothing.
public struct ApplyPlan: Sendable, Codable, Hashable {
    /// One change.
    public struct Change: Sendable, Codable, Hashable {
        /// `create-runtime`, `ignore-runtime`, `create-installation`, `upgrade` (a connector
        /// version and its config migrated), `configure` (a config changed since the last apply),
        /// `disable`, `enable`, `prune`; and what apply does not do: `missing-credential` (the
        /// hint says what provides it) and `invalid` (a problem in `max.json`, which stops apply).
        public var action: String
        /// The installation, when the change is about one.
        public var installation: String?
        /// What it is, for a person.
        public var description: String
        /// What to run, for what apply does not do.
        public var hint: String?

        /// A change.
        public init(action: String, installation: String? = nil, description: String, hint: String? = nil) {
            self.action = action
            self.installation = installation
            self.description = description
            self.hint = hint
        }
    }

    /// One installation's connectivity, checked by apply after converging.
    public struct Check: Sendable, Codable, Hashable {
        /// The installation.
        public var installation: String
        /// `healthy`, `degraded`, `unhealthy` or `credential_expired`.
        public var status: String
        /// Why it is not healthy.
        public var reason: String?

        /// A check.
        public init(installation: String, status: String, reason: String? = nil) {
            self.installation = installation
            self.status = status
            self.reason = reason
        }
    }

    /// The changes, in the order apply makes them.
    public var changes: [Change]
    /// The connectivity checks apply made (none from `max diff`, or with `verify` off).
    public var checks: [Check] = []

    /// A plan.
    public init(changes: [Change], checks: [Check] = []) {
        self.changes = changes
        self.checks = checks
    }

    /// Whether `.max/` already matches (nothing apply would do; missing credentials aside).
    public var isConverged: Bool { changes.allSatisfy { $0.action == "missing-credential" } }

    /// Whether `max.json` has problems that stop apply.
    public var isBlocked: Bool { changes.contains { $0.action == "invalid" } }

    /// The error apply stops with when `max.json` has problems.
    public var blockingError: MaxError? {
        let problems = changes.filter { $0.action == "invalid" }
        guard !problems.isEmpty else { return nil }
        return MaxError(
            .invalidProjectFile,
            "max.json has \(problems.count) problem\(problems.count == 1 ? "" : "s"); apply changes nothing until they are fixed: "
                + problems.map(\.description).joined(separator: "; "),
            hint: "max validate lists each one with its path")
    }
}

extension MaxWorkspace {
    /// What ``apply(prune:verify:caller:environment:)`` would change, changing nothing.
    ///
    /// - Parameters:
    ///   - prune: Whether folders of installations `max.json` no longer declares are removed.
    ///   - specs: Connector documents to merge into `max.json` first (in memory: their changes
    ///     lead the plan, and the rest is planned for `max.json` as they would leave it).
    ///   - environment: Where `env:` references are read (for missing credentials).
    /// - Returns: The plan.
    /// - Throws: `project.invalid_config` for a `max.json` that does not parse; what
    ///   ``merge(_:write:caller:at:)`` throws for the documents.
    public func plan(
        prune: Bool = false, merging specs: [ConnectorSpec] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> ApplyPlan {
        var file = try project.load()
        let merged = try await mergedRecords(specs, into: file)
        for entry in merged { file.installations[entry.name] = entry.record }
        var changes = merged.map(\.change)
        for problem in await validate(file, environment: environment) where problem.error.code != .credentialMissing {
            changes.append(
                .init(
                    action: "invalid", installation: Self.installation(in: problem.path),
                    description: "\(problem.path): \(problem.error.message)",
                    hint: problem.error.hint ?? "fix max.json (max validate lists every problem)"))
        }
        let fileManager = FileManager.default
        if !fileManager.fileExists(atPath: project.runtimeURL.path) {
            changes.append(.init(action: "create-runtime", description: "create .max/ (private to you)"))
        }
        if !project.ignoresRuntimeFolder {
            changes.append(.init(action: "ignore-runtime", description: "add .max/ to .gitignore"))
        }
        for name in file.installations.keys.sorted() {
            guard let record = file.installations[name] else { continue }
            if !fileManager.fileExists(atPath: try project.installationURL(name).path) {
                changes.append(
                    .init(
                        action: "create-installation", installation: name,
                        description: "create the folder of \(name) (its store is made by its first sync)"))
            }
            changes += await drift(of: name, record)
            let readiness = await readiness(name, record, environment: environment)
            for credential in readiness.missing {
                changes.append(
                    .init(
                        action: "missing-credential", installation: name,
                        description: "\(name) needs the credential \(credential.name) (\(credential.source))",
                        hint: readiness.fixes.joined(separator: "; ")))
            }
        }
        let folders = (try? fileManager.contentsOfDirectory(atPath: project.installationsURL.path)) ?? []
        for name in folders.sorted() where file.installations[name] == nil && !name.hasPrefix(".") {
            changes.append(
                .init(
                    action: "prune", installation: name,
                    description: prune
                        ? "remove .max/installations/\(name): no longer in max.json (its credentials and data)"
                        : "keep .max/installations/\(name), no longer in max.json (--prune removes it)"))
        }
        return ApplyPlan(changes: changes)
    }

    /// How `record` differs from what apply last recorded, and the connector upgrade it waits for.
    private func drift(of name: String, _ record: InstallationRecord) async -> [ApplyPlan.Change] {
        var changes: [ApplyPlan.Change] = []
        if record.remoteURL == nil, let module = try? await module(for: record),
            let upgrade = try? ConnectorUpgrade.of(record, to: module)
        {
            changes.append(
                .init(action: "upgrade", installation: name, description: "upgrade \(name): \(upgrade.summary)"))
        }
        guard let applied = appliedState(of: name) else { return changes }
        if applied.config != record.config {
            let before = applied.config.objectValue ?? [:]
            let after = record.config.objectValue ?? [:]
            let keys = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }.sorted()
            changes.append(
                .init(
                    action: "configure", installation: name,
                    description:
                        "record the config of \(name) changed in max.json (\(keys.joined(separator: ", "))): its next sync reads with it",
                    hint: "max sync \(name) --full reads everything again with it"))
        }
        if applied.disabled != record.isDisabled {
            changes.append(
                record.isDisabled
                    ? .init(action: "disable", installation: name, description: "disable \(name): it is not synced")
                    : .init(action: "enable", installation: name, description: "enable \(name): it is synced again"))
        }
        return changes
    }

    /// The installation a problem's path is about (`installations.acme.config.x` → `acme`).
    private static func installation(in path: String) -> String? {
        let parts = path.split(separator: ".")
        return parts.count > 1 && parts[0] == "installations" ? String(parts[1]) : nil
    }

    /// Makes `.max/` match `max.json` (see ``ApplyPlan``).
    ///
    /// It creates what is missing, moves installations to the connector versions installed
    /// (migrating their configs, whose notes it reports), records changes made to `max.json` by
    /// hand, removes with `prune` the folders of installations `max.json` no longer declares
    /// (credentials wiped), and records an audit event per change. With `verify`, it then asks the
    /// source of each enabled installation that has its credentials whether it works (the
    /// answers join their health history). Idempotent: a second apply changes nothing.
    ///
    /// With `specs`, the documents are merged into `max.json` first
    /// (``merge(_:write:caller:at:)``); nothing is written when `max.json`, as they would leave it,
    /// has problems.
    ///
    /// - Parameters:
    ///   - prune: Remove what `max.json` no longer declares.
    ///   - specs: Connector documents to merge into `max.json` first.
    ///   - verify: Check the connectivity of enabled installations afterwards.
    ///   - caller: Who asked, for the audit events.
    ///   - environment: Where `env:` references are read.
    /// - Returns: The plan it carried out (missing credentials are reported, not made), with the
    ///   checks.
    /// - Throws: `project.invalid_config` when `max.json` has problems (nothing changes then);
    ///   `project.*`; `sync.already_running` when a folder to prune is in use.
    @discardableResult
    public func apply(
        prune: Bool = false, merging specs: [ConnectorSpec] = [], verify: Bool = false, caller: String = "cli",
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> ApplyPlan {
        var merged: [ApplyPlan.Change] = []
        if !specs.isEmpty {
            let preview = try await plan(prune: prune, merging: specs, environment: environment)
            if let error = preview.blockingError { throw error }
            merged = try await merge(specs, write: true, caller: caller)
        }
        var plan = try await plan(prune: prune, environment: environment)
        if let error = plan.blockingError { throw error }
        try Project.initialise(at: project.root, force: true)
        for change in plan.changes {
            switch change.action {
            case "create-installation":
                guard let name = change.installation else { continue }
                try project.prepareInstallationFolder(name)
            case "upgrade":
                guard let name = change.installation else { continue }
                try await upgrade(name)
            case "prune" where prune:
                guard let name = change.installation else { continue }
                try remove(name)
            case "configure", "disable", "enable":
                break  // max.json already says it: recording it below is the change
            default:
                continue
            }
            let id = "apply_" + UUID().uuidString.lowercased()
            await AuditLog(project: project).record(
                AuditLog.Event(
                    requestID: id, correlationID: id, caller: caller, installation: change.installation ?? "",
                    operation: change.action, mode: "admin", outcome: "succeeded", durationMs: 0)
            ) { _ in }
        }
        for (name, record) in try installations() {
            try recordApplied(record, of: name)
        }
        plan.changes = merged + plan.changes
        if verify {
            plan.checks = await verifyConnectivity(
                skipping: Set(
                    plan.changes.compactMap { change in
                        change.action == "missing-credential" ? change.installation : nil
                    }))
        }
        return plan
    }

    /// Moves `name` to the installed version of its connector: migrated config, new version and
    /// config version written to `max.json` (checked against the connector's schema first).
    private func upgrade(_ name: String) async throws {
        let record = try record(name)
        let module = try await module(for: record)
        guard let upgrade = try ConnectorUpgrade.of(record, to: module) else { return }
        try module.configSchema.check(upgrade.config, connector: upgrade.connector)
        try project.update { file in
            guard var current = file.installations[name] else { return }
            var connector = current.connector
            if current.connectorVersion != nil, let at = connector.lastIndex(of: "@") {
                connector = String(connector[..<at])
            }
            current.connector = "\(connector)@\(upgrade.toVersion)"
            current.config = upgrade.config
            current.configVersion = upgrade.toConfigVersion
            file.installations[name] = current
        }
    }

    /// Removes an installation's folder, under its lock.
    private func remove(_ name: String) throws {
        let lock = try InstallationLock.acquire(name, in: project, for: "prune \(name)")
        defer { withExtendedLifetime(lock) {} }
        let folder = try project.installationURL(name)
        OpenStores.evict(under: folder)
        do {
            try FileManager.default.removeItem(at: folder)
        } catch {
            throw MaxError(
                .projectWriteFailed, "cannot remove \(folder.path): \(error.localizedDescription)",
                hint: "remove it by hand: rm -r \(folder.path)", context: ["path": folder.path])
        }
    }

    /// Checks each enabled local installation not in `skipped`, one after another.
    private func verifyConnectivity(skipping skipped: Set<String>) async -> [ApplyPlan.Check] {
        var checks: [ApplyPlan.Check] = []
        for (name, record) in (try? installations()) ?? []
        where record.remoteURL == nil && !record.isDisabled && !skipped.contains(name) {
            do {
                let status = try await checkHealth(of: name, seconds: 15)
                checks.append(.init(installation: name, status: status.name, reason: status.reason))
            } catch {
                checks.append(.init(installation: name, status: "unhealthy", reason: MaxError.wrapping(error).message))
            }
        }
        return checks
    }
}
