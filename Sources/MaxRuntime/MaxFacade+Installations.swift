public import Foundation
public import MaxConnector
public import MaxCore
import MaxQuery
public import MaxStorage

extension MaxFacade {
    /// What an installation's local data says about it (`max ls`, and the SYNC column of
    /// `max status`), read only, without the network.
    public struct LocalState: Sendable {
        /// `active`, `syncing`, `interrupted`, `degraded`, `credential_expired`, `cancelled`,
        /// `error`, or `never synced`.
        public var status: String
        /// The end of the latest completed sync.
        public var lastSync: Date?
        /// The latest run, if any.
        public var lastRun: SyncRun?
        /// The entities stored, deleted ones excluded.
        public var entities: Int
    }

    /// The local state of installation `name`.
    ///
    /// - Throws: `installation.not_found`, `project.unsafe_path`, `storage.*` for a damaged store.
    public func localState(of name: String) async throws -> LocalState {
        _ = try workspace.record(name)
        if let remote = try await workspace.remote(name) {
            let answer = try await remote.get("")
            return LocalState(
                status: answer["status"]?.stringValue ?? "error",
                lastSync: answer["lastSync"]?.stringValue.flatMap(ISO8601.parse), lastRun: nil,
                entities: answer["entities"]?.intValue ?? 0)
        }
        guard FileManager.default.fileExists(atPath: try workspace.project.dataURL(name).path) else {
            return LocalState(status: "never synced", lastSync: nil, lastRun: nil, entities: 0)
        }
        let store = try await workspace.openStoreForReading(name)
        var state = LocalState(status: "never synced", lastSync: nil, lastRun: nil, entities: 0)
        if let run = try await store.latestRun() {
            let live = run.status == .running && InstallationLock.holder(of: name, in: workspace.project) != nil
            state.status = Self.status(of: run, isLive: live)
            state.lastRun = run
        }
        // The last good sync stays visible whatever came after it.
        state.lastSync = try await store.latestRun(withStatus: .completed)?.finishedAt
        for type in store.schema.entityTypes {
            state.entities += try await store.count(try Query(type))
        }
        return state
    }

    /// An installation's status from its latest run: `active` (completed), `syncing`,
    /// `interrupted` (running, but its process is gone), `degraded` (tasks failed, or the source
    /// kept failing), `credential_expired`, `cancelled`, or `error`.
    public static func status(of run: SyncRun, isLive: Bool) -> String {
        switch run.status {
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
}

extension MaxFacade {
    /// The schema of `target`: an installation of `workspace` (its connector's schema) or, when
    /// there is no such installation (or no project), a connector of `registry`.
    ///
    /// - Throws: `installation.not_found` when it is neither; `project.invalid_config`.
    public static func schema(
        of target: String, in workspace: MaxWorkspace?, registry: ConnectorRegistry? = nil
    ) async throws -> Schema {
        if let workspace, let record = try workspace.installations().first(where: { $0.name == target })?.record {
            if let remote = try await workspace.remote(target) {
                return try await remoteSchema(remote, of: target)
            }
            return try await workspace.module(for: record).info.schema
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
}

extension MaxFacade {
    /// A remote installation's schema, exactly as its node has it (`/schema?form=definition`).
    static func remoteSchema(_ remote: RemoteInstallation, of name: String) async throws -> Schema {
        let answer = try await remote.get("/schema", query: [("form", "definition")])
        do {
            return try JSONDecoder().decode(Schema.self, from: Data(answer.jsonText.utf8))
        } catch {
            throw MaxError(
                .remoteProtocol, "the node serving \(name) sent a schema this Max cannot read",
                hint: "run the same Max version on both nodes", context: ["installation": name])
        }
    }

    /// A schema as its full definition (what ``remoteSchema(_:of:)`` reads back).
    public static func definition(_ schema: Schema) throws -> JSONValue {
        try JSONValue(parsing: String(decoding: JSONEncoder().encode(schema), as: UTF8.self))
    }

    /// An entity type as JSON: name, summary, whether it is a root, and its fields with their types.
    public static func json(_ entity: EntityDef, in schema: Schema) -> JSONValue {
        var fields: [JSONValue] = []
        for field in entity.fields {
            var object: [String: JSONValue] = ["name": .string(field.name), "type": .string(field.type.displayName)]
            if field.isIndexed { object["indexed"] = true }
            if let summary = field.summary { object["summary"] = .string(summary) }
            fields.append(.object(object))
        }
        var object: [String: JSONValue] = [
            "name": .string(entity.name), "fields": .array(fields), "root": .bool(schema.roots.contains(entity.type)),
        ]
        if let summary = entity.summary { object["summary"] = .string(summary) }
        return .object(object)
    }

    /// A schema as JSON (`max schema -o json`): its entity types, roots and relationships.
    public static func json(_ schema: Schema) -> JSONValue {
        [
            "namespace": .string(schema.namespace), "entities": .array(schema.entities.map { json($0, in: schema) }),
            "roots": .array(schema.roots.map { .string($0.name) }),
            "relationships": .array(
                schema.relationships.map {
                    [
                        "from": .string($0.from.name), "field": .string($0.field), "to": .string($0.to.name),
                        "cardinality": .string($0.cardinality.rawValue),
                    ]
                }),
        ]
    }

    /// Asks the source whether installation `name` works, waiting at most `seconds`.
    ///
    /// - Throws: what building the installation throws (an unknown connector, unreadable
    ///   credentials); a source that does not answer is `.unhealthy`, not an error.
    public func health(of name: String, seconds: Int) async throws -> HealthStatus {
        if let remote = try await workspace.remote(name) {
            // The node answering for the installation is its health here; the source's is the node's.
            do {
                _ = try await remote.get("")
                return .healthy
            } catch let error as MaxError {
                return .unhealthy(error.message)
            }
        }
        let live = try await workspace.live(name, interactive: true)
        let status = await withTaskGroup(of: HealthStatus?.self) { group in
            group.addTask { await live.health() }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .unhealthy("no answer within \(seconds) s")
        }
        // A subprocess connector is stopped as after a sync (one that does not answer was ended
        // when its call was cancelled).
        await live.stop()
        return status
    }
}

extension MaxFacade {
    /// An installation as the server and the MCP tools list it: name, connector, status, entities,
    /// last sync.
    ///
    /// - Throws: as ``localState(of:)``.
    public func summary(of name: String) async throws -> JSONValue {
        let record = try workspace.record(name)
        let state = try await localState(of: name)
        var row: [String: JSONValue] = [
            "name": .string(name), "connector": .string(record.connector), "status": .string(state.status),
            "entities": .int(state.entities),
        ]
        if let last = state.lastSync { row["lastSync"] = .string(ISO8601.format(last)) }
        return .object(row)
    }

    /// A sync run as JSON (`max runs -o json`): `id`, `kind`, `status`, `startedAt`,
    /// `finishedAt` and `durationMs` once finished, `entities`, `requests`, `retries`,
    /// `rateLimited`, `tasksFailed`, and the `error` that stopped it.
    public static func json(_ run: SyncRun) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(run.id), "kind": .string(run.kind), "status": .string(run.status.rawValue),
            "startedAt": .string(ISO8601.format(run.startedAt)), "entities": .int(run.entitiesWritten),
            "requests": .int(run.requests), "retries": .int(run.retries), "rateLimited": .int(run.rateLimited),
            "tasksFailed": .int(run.tasksFailed),
        ]
        if let finished = run.finishedAt {
            object["finishedAt"] = .string(ISO8601.format(finished))
            object["durationMs"] = .int(Int(finished.timeIntervalSince(run.startedAt) * 1000))
        }
        if let error = run.error { object["error"] = .string(error) }
        return .object(object)
    }

    /// A run read back from ``json(_:)-(SyncRun)``, or `nil` when `json` is not one.
    public static func run(json: JSONValue) -> SyncRun? {
        guard let id = json["id"]?.stringValue, let status = json["status"]?.stringValue.flatMap(SyncRun.Status.init),
            let started = json["startedAt"]?.stringValue.flatMap(ISO8601.parse)
        else { return nil }
        return SyncRun(
            id: id, kind: json["kind"]?.stringValue ?? "", status: status, startedAt: started,
            finishedAt: json["finishedAt"]?.stringValue.flatMap(ISO8601.parse),
            entities: json["entities"]?.intValue ?? 0, error: json["error"]?.stringValue,
            requests: json["requests"]?.intValue ?? 0, retries: json["retries"]?.intValue ?? 0,
            rateLimited: json["rateLimited"]?.intValue ?? 0, tasksFailed: json["tasksFailed"]?.intValue ?? 0)
    }
}
