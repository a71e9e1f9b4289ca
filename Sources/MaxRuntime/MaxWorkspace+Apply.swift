public import Foundation
import MaxConnector
import MaxCore

/// What `max apply` would change to make `.max/` match `max.json` (`max diff` prints it).
///
/// The drift rule: `max.json` wins. What it declares and `.max/` lacks is created; what `.max/`
/// holds and it no longer declares is removed only with `--prune`; what apply cannot create
/// (secrets) is reported with the command that provides it.
public struct ApplyPlan: Sendable, Codable, Hashable {
    /// One change.
    public struct Change: Sendable, Codable, Hashable {
        /// `create-runtime`, `ignore-runtime`, `create-installation`, `prune`, or
        /// `missing-credential` (which apply cannot make: the hint says what does).
        public var action: String
        /// The installation, when the change is about one.
        public var installation: String?
        /// What it is, for a person.
        public var description: String
        /// What to run, for what apply does not do.
        public var hint: String?
    }

    /// The changes, in the order apply makes them.
    public var changes: [Change]

    /// Whether `.max/` already matches (nothing apply would do; missing credentials aside).
    public var isConverged: Bool { changes.allSatisfy { $0.action == "missing-credential" } }
}

extension MaxWorkspace {
    /// What ``apply(prune:environment:)`` would change, changing nothing.
    ///
    /// - Parameters:
    ///   - prune: Whether folders of installations `max.json` no longer declares are removed.
    ///   - environment: Where `env:` references are read (for missing credentials).
    /// - Returns: The plan.
    /// - Throws: `project.invalid_config` for a `max.json` that does not parse.
    public func plan(prune: Bool = false, environment: [String: String] = ProcessInfo.processInfo.environment)
        async throws -> ApplyPlan
    {
        let file = try project.load()
        var changes: [ApplyPlan.Change] = []
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

    /// Makes `.max/` match `max.json` (see ``ApplyPlan``).
    ///
    /// It creates what is missing, removes with `prune` the folders of installations `max.json` no
    /// longer declares (credentials wiped), and records an audit event per change. Idempotent: a
    /// second apply changes nothing.
    ///
    /// - Parameters:
    ///   - prune: Remove what `max.json` no longer declares.
    ///   - caller: Who asked, for the audit events.
    ///   - environment: Where `env:` references are read.
    /// - Returns: The plan it carried out (missing credentials are reported, not made).
    /// - Throws: `project.*`; `sync.already_running` when a folder to prune is in use.
    @discardableResult
    public func apply(
        prune: Bool = false, caller: String = "cli",
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> ApplyPlan {
        let plan = try await plan(prune: prune, environment: environment)
        try Project.initialise(at: project.root, force: true)
        for change in plan.changes {
            switch change.action {
            case "create-installation":
                guard let name = change.installation else { continue }
                try project.prepareInstallationFolder(name)
            case "prune" where prune:
                guard let name = change.installation else { continue }
                let lock = try InstallationLock.acquire(name, in: project, for: "prune \(name)")
                let folder = try project.installationURL(name)
                OpenStores.evict(under: folder)
                do {
                    try FileManager.default.removeItem(at: folder)
                } catch {
                    withExtendedLifetime(lock) {}
                    throw MaxError(
                        .projectWriteFailed, "cannot remove \(folder.path): \(error.localizedDescription)",
                        hint: "remove it by hand: rm -r \(folder.path)", context: ["path": folder.path])
                }
                withExtendedLifetime(lock) {}
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
        return plan
    }
}
