public import Foundation
import MaxConnector
import MaxCore
import MaxCredentials
import MaxPostgresStore
import MaxStore

/// Deleting an installation (SPEC-hardening §12): its credentials are wiped at once (and its OAuth
/// tokens revoked where the connector can), its data and logs kept for the project's retention,
/// restorable, then purged; audit events are purged after their own retention.
extension MaxWorkspace {
    /// How the schemas of deleted installations begin.
    static let deletedSchemaPrefix = "_deleted_"

    /// `.max/deleted/`.
    var deletedURL: URL { project.runtimeURL.appendingPathComponent("deleted", isDirectory: true) }

    /// The project's retention periods (`max.json`'s `"retention"`).
    ///
    /// - Throws: `project.invalid_config`.
    public func retention() throws -> ProjectRetention {
        try ProjectRetention(json: project.load().otherKeys["retention"])
    }

    /// Deletes an installation: revokes its OAuth tokens at the provider where its connector
    /// declares how, wipes its credentials, removes it from `max.json` and forgets its jobs and
    /// idempotency records; then keeps its data and logs for the retention (`.retain`), leaves
    /// them in place (`.keepData`), or removes them (`.purge`, or a retention of zero).
    ///
    /// It is an audit event (`installation.delete`, mode `lifecycle`), and expired deletions are
    /// purged after it. A name with no entry in `max.json` whose folder is still there
    /// (``isLeftover(_:)``) has that folder removed.
    ///
    /// - Parameters:
    ///   - name: The installation.
    ///   - mode: What becomes of its data.
    ///   - caller: Who asked, for the audit log and the record (`cli:<user>`).
    ///   - now: The time of the deletion.
    /// - Returns: What was kept and revoked.
    /// - Throws: `sync.already_running` while a sync of it runs; `installation.not_found`;
    ///   `project.write_failed` when a file cannot be moved or removed; PostgreSQL errors.
    public func delete(_ name: String, mode: DeletionMode, caller: String, now: Date = Date()) async throws
        -> Deletion
    {
        if try isLeftover(name) {
            try await disconnect(name, keepData: false)
            return Deletion(kept: nil, revoked: [], provider: nil, revocationError: nil)
        }
        let record = try record(name)
        let retention = try retention()
        let lock = try InstallationLock.acquire(name, in: project, for: "disconnect \(name)")
        defer { withExtendedLifetime(lock) {} }
        // The provider forgets Max's tokens before Max does (best effort: a refusal is reported).
        var revocation = TokenRevocation.Outcome()
        if record.remoteURL == nil, let module = try? await module(for: record) {
            let store = try credentials(for: name, installation: record.id)
            let held = await TokenRevocation.held(
                by: module.onboarding, config: record.config.objectValue ?? [:], in: store)
            // Through the installation's TLS, like its other requests (none if it cannot be read).
            let tls = try? await tls(of: name, record)?.settings
            revocation = await ConnectorHTTPClient.$installationTLS.withValue(tls) { await held.revoke() }
        }
        let keep = mode == .retain && retention.deletedInstallations > .zero
        var kept: DeletedInstallation?
        if keep {
            kept = try await moveToDeleted(name, record, retention: retention, caller: caller, now: now)
        } else {
            try await disconnect(name, keepData: mode == .keepData, locked: true)
            if mode != .keepData, let shared = try storage().postgres {
                try await PostgresEntityStore.dropNamespace(try shared.settings(for: name, connections: 1))
            }
        }
        var context: [String: JSONValue] = [
            "data": .string(keep ? "kept" : mode == .keepData ? "left in place" : "purged"),
            "revoked": .array(revocation.revoked.map(JSONValue.string)),
        ]
        context["purgeAfter"] = kept.map { .string(ISO8601.format($0.purgeAfter)) }
        context["revocationError"] = revocation.error.map { .string($0.code.description) }
        await recordLifecycle("installation.delete", installation: name, caller: caller, context: context, at: now)
        _ = try? await purge(now: now, caller: caller)
        return Deletion(
            kept: kept, revoked: revocation.revoked, provider: revocation.provider, revocationError: revocation.error)
    }

    /// Wipes the credentials, takes the entry out of `max.json`, and moves the folder and logs to
    /// `.max/deleted/<name>@<time>/` (renaming its PostgreSQL schema), under the installation's lock.
    private func moveToDeleted(
        _ name: String, _ record: InstallationRecord, retention: ProjectRetention, caller: String, now: Date
    ) async throws -> DeletedInstallation {
        let stamp = Self.stamp(now)
        let folderName = "\(name)@\(stamp)"
        let target = deletedURL.appendingPathComponent(folderName, isDirectory: true)
        var deleted = DeletedInstallation(
            name: name, id: record.id, connector: record.connector, entry: record.json, deletedAt: now,
            purgeAfter: now.addingTimeInterval(retention.deletedInstallations.timeInterval), deletedBy: caller,
            schema: nil, folder: folderName)
        let folder = try project.installationURL(name)
        let credentials = try project.credentialsURL(name)
        try project.update { file in file.installations[name] = nil }
        try Self.remove(credentials, of: name)
        try await forgetOperationRecords(of: name)
        try project.refuseLink(at: deletedURL)
        try Project.makePrivateFolder(deletedURL)
        try Project.makePrivateFolder(target)
        OpenStores.evict(under: folder)
        try Self.move(folder, to: target.appendingPathComponent("installation", isDirectory: true), of: name)
        let logs = target.appendingPathComponent("logs", isDirectory: true)
        for url in try project.logURLs(name) where FileManager.default.fileExists(atPath: url.path) {
            try Project.makePrivateFolder(logs)
            try Self.move(url, to: logs.appendingPathComponent(url.lastPathComponent), of: name)
        }
        if let shared = try storage().postgres {
            let schema = Self.deletedSchemaPrefix + String(name.prefix(32)) + "_" + stamp.lowercased()
            if try await PostgresEntityStore.renameNamespace(try shared.settings(for: name, connections: 1), to: schema)
            {
                deleted.schema = schema
            }
        }
        try AtomicFile.write(
            try APICoding.data(deleted), to: target.appendingPathComponent("deleted.json"), permissions: 0o600)
        return deleted
    }

    /// The deleted installations kept now, oldest first.
    ///
    /// - Throws: `project.unsafe_path`.
    public func deletedInstallations() throws -> [DeletedInstallation] {
        try project.refuseLink(at: deletedURL)
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: deletedURL.path)) ?? []
        return folders.compactMap { folder -> DeletedInstallation? in
            let url = deletedURL.appendingPathComponent(folder).appendingPathComponent("deleted.json")
            guard (try? project.refuseLink(at: url)) != nil, let data = FileManager.default.contents(atPath: url.path),
                var deleted = try? APICoding.decode(DeletedInstallation.self, from: data)
            else { return nil }
            deleted.folder = folder
            return deleted
        }.sorted { ($0.deletedAt, $0.name) < ($1.deletedAt, $1.name) }
    }

    /// Brings back the latest deletion of `name` kept now.
    ///
    /// Its entry in `max.json`, its data and logs (and its PostgreSQL schema) come back. Its credentials were wiped at deletion: it needs
    /// `max connect <name> --reauth` before it syncs again.
    ///
    /// Deletions past their retention are purged first, so only one within it comes back. It is
    /// an audit event (`installation.restore`).
    ///
    /// - Parameters:
    ///   - name: The installation's name.
    ///   - caller: Who asked.
    ///   - now: The time now.
    /// - Returns: What was restored.
    /// - Throws: `installation.not_found` when none is kept; `installation.exists` when the name is
    ///   taken; `installation.leftover` when a folder of that name is in the way.
    public func restore(_ name: String, caller: String, now: Date = Date()) async throws -> DeletedInstallation {
        try Project.validate(installationName: name)
        _ = try? await purge(now: now, caller: caller)
        guard let deleted = try deletedInstallations().last(where: { $0.name == name }) else {
            throw MaxError(
                .installationNotFound, "no deleted installation named '\(name)' is kept",
                hint: "\"max restore\" lists what can be restored; past its retention, a deletion is purged",
                context: ["installation": name])
        }
        let record = try InstallationRecord(json: deleted.entry, name: name, path: "deleted.json")
        let source = deletedURL.appendingPathComponent(deleted.folder, isDirectory: true)
        try await project.withLockAwaiting {
            guard try project.load().installations[name] == nil else {
                throw MaxError(
                    .installationExists, "an installation named '\(name)' exists already",
                    hint: "disconnect it first (\"max disconnect \(name)\"), then restore",
                    context: ["installation": name])
            }
            let folder = try project.installationURL(name)
            guard !FileManager.default.fileExists(atPath: folder.path) else {
                throw MaxError(
                    .installationLeftover, "\(folder.path) is in the way of restoring \(name)",
                    hint: "remove it with \"max disconnect \(name) --yes\", then restore",
                    context: ["installation": name, "path": folder.path])
            }
            if let schema = deleted.schema, schema.hasPrefix(Self.deletedSchemaPrefix),
                let shared = try storage().postgres
            {
                var moved = try shared.settings(for: name, connections: 1)
                moved.namespace = schema
                _ = try await PostgresEntityStore.renameNamespace(moved, to: name)
            }
            let saved = source.appendingPathComponent("installation", isDirectory: true)
            if FileManager.default.fileExists(atPath: saved.path) {
                try Project.makePrivateFolder(project.installationsURL)
                try Self.move(saved, to: folder, of: name)
            }
            for url in try project.logURLs(name) {
                let log = source.appendingPathComponent("logs").appendingPathComponent(url.lastPathComponent)
                if FileManager.default.fileExists(atPath: log.path) { try Self.move(log, to: url, of: name) }
            }
            var file = try project.load()
            file.installations[name] = record
            try project.save(file)
        }
        try? FileManager.default.removeItem(at: source)
        await recordLifecycle(
            "installation.restore", installation: name, caller: caller,
            context: ["deletedAt": .string(ISO8601.format(deleted.deletedAt))], at: now)
        return deleted
    }

    /// Removes for good the deletions past their retention (every one when `everything`) and the
    /// audit events older than theirs; in a dry run, only says what it would remove.
    ///
    /// Each installation purged is an audit event (`installation.purge`), and so is a purge of
    /// audit events (`audit.purge`, with how many).
    ///
    /// - Parameters:
    ///   - now: The time now.
    ///   - everything: Purge every deletion, whatever its retention.
    ///   - dryRun: Remove nothing.
    ///   - caller: Who asked.
    /// - Returns: What was removed.
    /// - Throws: `project.invalid_config`; the audit store's errors; PostgreSQL errors.
    public func purge(now: Date = Date(), everything: Bool = false, dryRun: Bool = false, caller: String)
        async throws -> PurgeReport
    {
        let retention = try retention()
        let due = try deletedInstallations().filter { everything || $0.purgeAfter <= now }
        var report = PurgeReport(installations: [], auditEvents: 0)
        for deleted in due {
            if !dryRun {
                // Only a schema a deletion made: `.max/deleted/` is never trusted to name another.
                if let schema = deleted.schema, schema.hasPrefix(Self.deletedSchemaPrefix),
                    let shared = try storage().postgres
                {
                    var settings = try shared.settings(for: deleted.name, connections: 1)
                    settings.namespace = schema
                    try await PostgresEntityStore.dropNamespace(settings)
                }
                let folder = deletedURL.appendingPathComponent(deleted.folder, isDirectory: true)
                try Self.remove(folder, of: deleted.name)
                await recordLifecycle(
                    "installation.purge", installation: deleted.name, caller: caller,
                    context: ["deletedAt": .string(ISO8601.format(deleted.deletedAt))], at: now)
            }
            report.installations.append(deleted)
        }
        if let kept = retention.audit {
            let cutoff = now.addingTimeInterval(-kept.timeInterval)
            report.auditEvents = try await AuditLog(project: project).purge(before: cutoff, dryRun: dryRun)
            if !dryRun, report.auditEvents > 0 {
                await recordLifecycle(
                    "audit.purge", installation: "", caller: caller,
                    context: ["before": .string(ISO8601.format(cutoff)), "events": .int(report.auditEvents)], at: now)
            }
        }
        return report
    }

    /// Records an audit event of the installation's lifecycle (mode `lifecycle`).
    private func recordLifecycle(
        _ operation: String, installation: String, caller: String, context: [String: JSONValue], at: Date
    ) async {
        let id = "life_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        var event = AuditLog.Event(
            requestID: id, correlationID: id, caller: caller, installation: installation, operation: operation,
            mode: "lifecycle", outcome: "succeeded", durationMs: 0, at: at)
        event.context = JSONValue.object(context).jsonText
        await AuditLog(project: project).record(event)
    }

    /// `20261207T051500123Z`: a time in a folder's name, to the millisecond.
    static func stamp(_ date: Date) -> String {
        ISO8601.format(date).filter { $0.isNumber || $0 == "T" || $0 == "Z" }
    }

    private static func move(_ source: URL, to target: URL, of name: String) throws {
        guard FileManager.default.fileExists(atPath: source.path) else { return }
        do {
            try FileManager.default.moveItem(at: source, to: target)
        } catch {
            throw MaxError(
                .projectWriteFailed,
                "cannot move \(source.path) to \(target.path) for \(name): \(error.localizedDescription)",
                hint: "check the permissions under .max/, then run the command again",
                context: ["path": source.path, "installation": name])
        }
    }

    static func remove(_ url: URL, of name: String) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            throw MaxError(
                .projectWriteFailed, "\(url.path) of \(name) could not be deleted: \(error.localizedDescription)",
                hint: "delete it by hand: rm -r \(url.path)", context: ["path": url.path])
        }
    }
}
