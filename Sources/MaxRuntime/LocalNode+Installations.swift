import Foundation
public import MaxConnector
public import MaxCore
import MaxQuery
import MaxStorage
import MaxStore

extension LocalNode {
    /// The project's installations with their local state; one that cannot be read is listed with
    /// its error, not left out.
    public func installations(_ request: NoParameters) async throws -> InstallationList {
        try await Self.list(workspace) { try await installation(InstallationRequest(installation: $0)) }
    }

    /// Every installation of `workspace` as `summary` gives it, in `max.json`'s order; one whose
    /// summary fails is listed with its error (status `error`).
    static func list(
        _ workspace: MaxWorkspace, _ summary: (String) async throws -> InstallationSummary
    ) async throws -> InstallationList {
        var rows: [InstallationSummary] = []
        for (name, record) in try workspace.installations() {
            do {
                rows.append(try await summary(name))
            } catch {
                let error = MaxError.wrapping(error).naming(installation: name)
                var row = InstallationSummary(
                    name: name, connector: record.connector, status: "error", entities: nil, error: error)
                row.id = record.id
                rows.append(row)
            }
        }
        return InstallationList(installations: rows)
    }

    /// What an installation's local data says about it (`max ls`, and the SYNC column of
    /// `max status`), read only, without the network.
    ///
    /// - Throws: `installation.not_found`, `project.unsafe_path`, `storage.*` for a damaged store.
    public func installation(_ request: InstallationRequest) async throws -> InstallationSummary {
        let name = request.installation
        let record = try localRecord(name)
        var summary = try await syncSummary(name, record)
        let health = workspace.healthHistory(of: name).last
        // Which credentials are there, from the file's listing: no secret is opened to list.
        let readiness = await workspace.readiness(
            name, record, environment: ProcessInfo.processInfo.environment, openingSecrets: false)
        let runError = summary.lastRun?.error
        let state = InstallationState.of(
            name, disabled: record.isDisabled, problem: readiness.error?.message,
            missing: readiness.missing.map(\.name),
            fix: readiness.fixes.first, sync: summary.status, runError: runError, health: health)
        summary.state = state.state.rawValue
        summary.stateReason = state.reason
        let healthError = health.flatMap { $0.status == "healthy" ? nil : $0.reason }
        summary.lastError = runError ?? healthError
        if let healthError, let at = health?.at, let finished = summary.lastSync, at > finished {
            summary.lastError = healthError
        }
        summary.connectorVersion = record.connectorVersion
        summary.configVersion = record.configVersion
        summary.rateLimit = record.otherKeys["rateLimit"]
        summary.group = record.group
        return summary
    }

    /// What the installation's store says: its latest run, last success, entities.
    private func syncSummary(_ name: String, _ record: InstallationRecord) async throws -> InstallationSummary {
        var summary = InstallationSummary(name: name, connector: record.connector, status: "never synced", entities: 0)
        summary.id = record.id
        if let check = workspace.healthHistory(of: name).last {
            summary.health = check.status
            summary.healthCheckedAt = check.at
        }
        if record.isDisabled {
            summary.status = "disabled"
        } else {
            summary.nextRun = try await workspace.nextScheduledRun(of: name)
        }
        let shared = try workspace.storage().postgres != nil
        let data = try workspace.project.dataURL(name)
        guard shared || FileManager.default.fileExists(atPath: data.path) else {
            return summary
        }
        let store = try await workspace.readingStore(name, keepingOpen: keptReaders)
        if let run = try await store.latestRun() {
            // A shared store's running run is live while its driver renews its hold.
            let live =
                run.status == .running
                && (shared
                    ? run.heldUntil.map { $0 >= Date() } ?? false
                    : InstallationLock.holder(of: name, in: workspace.project) != nil)
            summary.status = record.isDisabled ? "disabled" : Self.status(of: run, isLive: live)
            summary.lastRun = .init(id: run.id, status: run.status.rawValue, error: run.error)
        }
        // The last good sync stays visible whatever came after it.
        summary.lastSync = try await store.lastCompletedRun()?.finishedAt
        var entities = 0
        for type in await store.storedSchema.entityTypes {
            entities += try await store.count(try Query(type))
        }
        summary.entities = entities
        return summary
    }

    /// An installation's status from its latest run: `active` (completed), `queued`, `syncing`,
    /// `interrupted` (running, but its process is gone), `degraded` (tasks failed, or the source
    /// kept failing), `credential_expired`, `cancelled`, or `error`.
    static func status(of run: SyncRun, isLive: Bool) -> String {
        switch run.status {
        case .queued: return "queued"
        case .running: return isLive ? "syncing" : "interrupted"
        case .interrupted: return "interrupted"
        case .completed: return "active"
        case .partial: return "degraded"
        case .cancelled: return "cancelled"
        case .failed:
            let code = run.error?.split(separator: ":").first.map(String.init) ?? ""
            let expired: [MaxError.Code] = [.httpUnauthorized, .credentialExpired]
            if expired.map(\.description).contains(code) { return "credential_expired" }
            if code == MaxError.Code.circuitOpen.description || code.hasPrefix("http.") { return "degraded" }
            return "error"
        }
    }

    /// The schema of an installation of this project or, when there is no such installation,
    /// of a connector of its registry.
    ///
    /// - Throws: `installation.not_found` when it is neither; `project.invalid_config`.
    public func schema(_ request: InstallationRequest) async throws -> SchemaDescription {
        SchemaDescription(try await Self.schema(of: request.installation, in: workspace))
    }

    /// The schema of `target`: an installation of `workspace` (its store's schema) or, when
    /// there is no such installation (or no project), a connector of `registry`.
    ///
    /// - Throws: `installation.not_found` when it is neither; `project.invalid_config`.
    public static func schema(
        of target: String, in workspace: MaxWorkspace?, registry: ConnectorRegistry? = nil
    ) async throws -> Schema {
        if let workspace, try workspace.installations().contains(where: { $0.name == target }) {
            // What its store holds (its connector's schema before a first sync): for a source whose
            // entity types Max discovers (a database), the tables found by the last sync.
            return try await workspace.openStoreForReading(target).schema
        }
        do {
            guard let registry = registry ?? workspace?.registry else {
                throw MaxError(.connectorNotFound, "there is no connector named '\(target)'")
            }
            return try await registry.resolve(target).info.schema
        } catch let error as MaxError where error.code == .connectorNotFound {
            throw MaxError(
                .installationNotFound, "'\(target)' is neither an installation of this project nor a connector",
                hint: "see \"max ls\" and \"max connectors\"", context: ["target": target])
        }
    }

    /// Asks the source whether an installation works (waiting at most the request's timeout),
    /// beside what its local syncs say.
    ///
    /// - Throws: `installation.not_found`, `api.invalid_request` for a timeout outside 1…300, and
    ///   what building the installation throws (an unknown connector, unreadable credentials); a
    ///   source that does not answer is `unhealthy`, not an error.
    public func status(_ request: StatusRequest) async throws -> InstallationHealth {
        let name = request.installation
        let seconds = try request.seconds()
        _ = try localRecord(name)
        let health = try await workspace.checkHealth(of: name, seconds: seconds)
        // Read after the check, so the state takes it into account.
        let summary = try? await installation(InstallationRequest(installation: name))
        var result = InstallationHealth(name: name, status: health.name, sync: summary?.status, reason: health.reason)
        result.state = summary?.state
        result.stateReason = summary?.stateReason
        if case .credentialExpired = health {
            result.hint = "re-authenticate: \(MaxError.reauthenticateCommand(name))"
        }
        return result
    }
}
