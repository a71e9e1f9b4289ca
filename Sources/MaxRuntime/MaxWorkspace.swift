public import Foundation
import Logging
public import MaxConnector
public import MaxCore
public import MaxCredentials
package import MaxStorage
import MaxStore
import MaxSync
import Synchronization

/// A project and what it can do: connect and disconnect installations, open their stores, sync them.
///
/// The composition root every front end (command line, server, MCP) goes through.
public struct MaxWorkspace: Sendable {
    /// The project on disk.
    public let project: Project
    /// The connectors this build knows.
    public let registry: ConnectorRegistry

    /// A workspace over `project` with the built-in connectors.
    public init(project: Project, registry: ConnectorRegistry) {
        self.project = project
        self.registry = registry
    }

    /// The installations in `max.json`, sorted by name.
    public func installations() throws -> [(name: String, record: InstallationRecord)] {
        try project.load().installations.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The installation named `name`.
    ///
    /// - Throws: `installation.not_found`, listing the installations there are.
    public func record(_ name: String) throws -> InstallationRecord {
        let file = try project.load()
        guard let record = file.installations[name] else {
            let known = file.installations.keys.sorted()
            throw MaxError(
                .installationNotFound, "there is no installation named '\(name)' in \(project.fileURL.path)",
                hint: known.isEmpty
                    ? "connect one with \"max connect <connector>\""
                    : "installations: \(known.joined(separator: ", "))",
                context: ["installation": name])
        }
        return record
    }

    /// The credential store of an installation, sealed under the master key (`MAX_MASTER_KEY`, or
    /// the key file in the user's Max config folder, read when a secret is first used).
    ///
    /// - Throws: `installation.invalid_name`, `project.unsafe_path`.
    ///
    /// Each time secrets are opened from disk or written, the installation's log gets a line
    /// (`credentials open|set|remove`, the key names; never a value).
    public func credentials(for name: String, installation id: String) throws -> FileCredentialStore {
        let logger = try? project.logger(for: name, label: "max.credentials")  // no log never stops a command
        return FileCredentialStore(
            url: try project.credentialsURL(name), installation: id, keys: Self.keyring,
            audit: { operation, names in
                logger?.notice(
                    "credentials \(operation)", metadata: ["credential.keys": "\(names.joined(separator: ","))"])
            })
    }

    /// The node of installation `name` when it lives on another Max node, else `nil`.
    ///
    /// - Throws: `credentials.*` when its token cannot be read; `project.invalid_config` for a
    ///   URL that names no installation of a node.
    public func remote(_ name: String) async throws -> RemoteNode? {
        let record = try record(name)
        guard let url = record.remoteURL else { return nil }
        let token: Secret
        if let reference = record.credentialReferences["token"] {
            token = try reference.read(
                key: "token", origin: "max.json (installations.\(name).credentials.token)",
                environment: ProcessInfo.processInfo.environment)
        } else {
            let store = try credentials(for: name, installation: record.id)
            guard let stored = try await store.secret(named: "token") else {
                throw MaxError(
                    .credentialMissing, "the remote installation \(name) has no token",
                    hint: "add \"credentials\": {\"token\": \"env:VAR\"} to its entry in max.json",
                    context: ["installation": name])
            }
            token = stored
        }
        return try RemoteNode(
            localName: name, url: url, transport: HTTPNodeTransport(root: RemoteNode.nodeURL(of: url), token: token))
    }

    /// The process's master keyring, loaded once.
    static let keyring: @Sendable () throws -> MasterKeyring = {
        let loaded = Mutex<MasterKeyring?>(nil)
        return {
            try loaded.withLock { ring in
                if let ring { return ring }
                let environment = ProcessInfo.processInfo.environment
                let fresh = try MasterKeyring.load(
                    environment: environment, configFolder: MasterKey.configFolder(environment: environment))
                ring = fresh
                return fresh
            }
        }
    }()

    /// Rotates the master key and seals this project's credentials again under the new one.
    ///
    /// First a new key in the key file (the old ones kept, so nothing sealed is ever unreadable),
    /// then every installation of this project sealed again under it. With `MAX_MASTER_KEY` set,
    /// only the second half: re-seals under that key what `MAX_MASTER_KEY_PREVIOUS` sealed.
    ///
    /// It is an audit event (`credentials.rotate-key`, by `caller`), however it ends.
    ///
    /// - Parameter caller: Who asked, for the audit log (`cli:<user>`).
    /// - Returns: The new current key's id, and the installations sealed again.
    /// - Throws: the key file's errors; each installation's credential errors (the ones before
    ///   it are done; running it again finishes the rest).
    public func rotateMasterKey(caller: String) async throws -> (keyID: String, resealed: [String]) {
        try await auditingCredentials("credentials.rotate-key", installation: "", caller: caller) {
            let rotated = try rotateMasterKey()
            return (rotated, ["keyId": .string(rotated.keyID), "resealed": .int(rotated.resealed.count)])
        }
    }

    private func rotateMasterKey() throws -> (keyID: String, resealed: [String]) {
        let environment = ProcessInfo.processInfo.environment
        let folder = MasterKey.configFolder(environment: environment)
        let ring =
            (environment[MasterKey.environmentVariable] ?? "").isEmpty
            ? try MasterKeyring.rotate(environment: environment, configFolder: folder)
            : try MasterKeyring.load(environment: environment, configFolder: folder)
        var resealed: [String] = []
        for (name, record) in try project.load().installations.sorted(by: { $0.key < $1.key }) {
            let store = FileCredentialStore(
                url: try project.credentialsURL(name), installation: record.id, keys: { ring })
            if try store.rewrap() { resealed.append(name) }
        }
        return (ring.current.id, resealed)
    }

    /// The connector of an installation.
    public func module(for record: InstallationRecord) async throws -> any ConnectorModule {
        try await module(named: record.connectorName, record: record)
    }

    /// The module of connector `name`: a subprocess connector when the project's `connectors`
    /// table names it, or when `record` says `"provider": "subprocess"` (a built-in run by this
    /// executable's `max connector host`); else the built-in one.
    ///
    /// - Throws: `connector.not_found`; `project.invalid_config` for a bad table or limits;
    ///   `connector.*` when a subprocess connector cannot describe itself.
    func module(named name: String, record: InstallationRecord?) async throws -> any ConnectorModule {
        let file = try project.load()
        let sources = try ConnectorSource.table(in: file, root: project.root)
        var settings: ConnectorProcess.Settings
        switch sources[name] {
        case .manifest(let url)?:
            let module = try await registry.manifest(at: url, name: name)
            guard module.info.name == name else {
                throw MaxError(
                    .invalidProjectFile,
                    "max.json: connectors.\(name) is the manifest \(url.path), whose name is '\(module.info.name)'",
                    hint: "make the manifest's name and its key in the connectors table the same",
                    context: ["connector": name])
            }
            return module
        case .executable(let url)?:
            try Self.requireRunnable(url, connector: name, source: file.otherKeys["connectors"]?[name]?.stringValue)
            settings = ConnectorProcess.Settings(command: [url.path])
            settings.sandbox = sandbox(for: record)
        case .package?, .git?:
            let text = file.otherKeys["connectors"]?[name]?.stringValue ?? ""
            guard let pin = try ConnectorInstaller(project: project).pin(of: name, source: text) else {
                throw MaxError(
                    .connectorNotInstalled, "the \(name) connector (\(text)) has not been built",
                    hint: "run max install", context: ["connector": name])
            }
            settings = ConnectorProcess.Settings(command: [pin.executable])
            settings.sandbox = sandbox(for: record)
        case nil:
            guard record?.provider == "subprocess" else { return try await registry.resolve(name) }
            _ = try await registry.resolve(name)  // only a built-in can be hosted by this executable
            settings = ConnectorProcess.Settings(command: Self.hostCommand(name))
        }
        let installation = record.flatMap { record in file.installations.first { $0.value.id == record.id }?.key }
        if let record, let installation {
            try Self.apply(limits: record.otherKeys["limits"], to: &settings, installation: installation)
        }
        var module = try await SubprocessConnectors.shared.describe(name: name, settings: settings)
        if let installation { module.logger = try? project.logger(for: installation, label: "max.connector") }
        return module
    }

    /// The sandbox a connector from the project's `connectors` table runs in: egress to the hosts
    /// the installation's `"egress"` lists (and its description adds), the project's `.max/`
    /// hidden; `nil` when the installation says `"sandbox": false`, or this process cannot run
    /// `max sandbox-exec` (a test hosting connectors itself).
    func sandbox(for record: InstallationRecord?) -> ConnectorSandbox? {
        guard ConnectorSandbox.helper != nil, record?.sandboxed ?? true else { return nil }
        return ConnectorSandbox(egress: record?.egress ?? [], hidden: [project.runtimeURL.path])
    }

    /// Refuses a `file:` program that is not there or cannot be run, before starting it would fail
    /// with the shell's exit status.
    ///
    /// - Throws: `connector.not_found` for a missing file; `connector.not_runnable` for one that is
    ///   not executable.
    static func requireRunnable(_ url: URL, connector name: String, source: String?) throws {
        let written = source ?? "file:\(url.path)"
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MaxError(
                .connectorNotFound, "the \(name) connector's program \(url.path) does not exist (\(written))",
                hint: "fix connectors.\(name) in max.json; a relative path starts from the project folder",
                context: ["connector": name])
        }
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw MaxError(
                .connectorNotRunnable, "the \(name) connector's program \(url.path) is not executable",
                hint: "make it executable (chmod +x \(url.path)); a script also needs a #! line",
                context: ["connector": name])
        }
    }

    /// The connectors of the project's `connectors` table, each with its source as written and
    /// what it says of itself (or why it cannot say: not built, not runnable).
    ///
    /// - Throws: `project.invalid_config` for a malformed table.
    public func tableConnectors() async throws -> [(
        name: String, source: String, info: Result<ConnectorInfo, MaxError>
    )] {
        let file = try project.load()
        let texts = file.otherKeys["connectors"]?.objectValue ?? [:]
        _ = try ConnectorSource.table(in: file, root: project.root)
        var rows: [(name: String, source: String, info: Result<ConnectorInfo, MaxError>)] = []
        for name in texts.keys.sorted() {
            do {
                rows.append(
                    (name, texts[name]?.stringValue ?? "", .success(try await module(named: name, record: nil).info)))
            } catch let error as MaxError {
                rows.append((name, texts[name]?.stringValue ?? "", .failure(error)))
            }
        }
        return rows
    }

    /// The connector the project knows as `name`: one of its `connectors` table, else a built-in.
    ///
    /// - Throws: `connector.not_found`; `connector.*` when a table connector cannot describe itself.
    public func connectorModule(named name: String) async throws -> any ConnectorModule {
        try await module(named: name, record: nil)
    }

    /// The command that runs built-in connector `name` out of process: `max connector host <name>`.
    public static func hostCommand(_ name: String) -> [String] {
        [Bundle.main.executableURL?.path ?? "max", "connector", "host", name]
    }

    /// The largest `limits.memoryMB`: 1 TiB, far above any machine Max runs on, and far below
    /// where the limit's arithmetic (and `ulimit -d`) would overflow.
    static let maximumMemoryMB = 1 << 20

    /// Applies an installation's `"limits": {"callTimeoutSeconds": N, "memoryMB": N}`.
    ///
    /// - Throws: `project.invalid_config` naming the key (`installations.<name>.limits.memoryMB`),
    ///   its value and the range it takes.
    static func apply(
        limits: JSONValue?, to settings: inout ConnectorProcess.Settings, installation: String
    ) throws {
        guard let limits else { return }
        let path = "installations.\(installation).limits"
        guard let object = limits.objectValue else {
            throw MaxError(
                .invalidProjectFile, "max.json: \(path) must be an object such as {\"memoryMB\": 512}",
                hint: "fix it in max.json", context: ["key": path])
        }
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            func refuse(_ range: String) -> MaxError {
                MaxError(
                    .invalidProjectFile, "max.json: \(path).\(key) is \(value.jsonText.prefix(40)); it takes \(range)",
                    hint: "fix it in max.json", context: ["key": "\(path).\(key)"])
            }
            switch key {
            case "callTimeoutSeconds":
                guard let seconds = value.doubleValue, seconds > 0, seconds <= 3600 else {
                    throw refuse("a number of seconds above 0 and at most 3600")
                }
                settings.callTimeout = .milliseconds(Int((seconds * 1000).rounded()))
            case "memoryMB":
                guard let megabytes = value.intValue, (16...maximumMemoryMB).contains(megabytes) else {
                    throw refuse("a whole number of megabytes from 16 to \(maximumMemoryMB)")
                }
                settings.memoryLimit = megabytes << 20
            default:
                throw MaxError(
                    .invalidProjectFile,
                    "max.json: \(path).\(key) is not a limit (use callTimeoutSeconds, memoryMB)",
                    hint: "fix it in max.json", context: ["key": "\(path).\(key)"])
            }
        }
    }

    /// Opens the store of an installation for writing, creating it if needed and preparing it for
    /// its connector's schema; the folder and files are made private to their owner.
    ///
    /// - Parameters:
    ///   - name: The installation.
    ///   - schema: The schema to prepare it for, when not the connector's (one the installation
    ///     discovered at its source).
    /// - Returns: The store.
    /// - Throws: `installation.not_found`, `project.unsafe_path`, `storage.database_error`.
    package func openStoreForWriting(_ name: String, schema: Schema? = nil) async throws -> EntityStore {
        let prepared: Schema
        if let schema { prepared = schema } else { prepared = try await module(for: try record(name)).info.schema }
        try project.prepareInstallationFolder(name)
        let url = try project.dataURL(name)
        try Project.tightenFiles([url.path, url.path + "-wal", url.path + "-shm"])
        return try EntityStore.open(at: url, schema: prepared)
    }

    /// The schema an installation that discovers its entity types finds at its source now, and a
    /// note for each change since the schema its store was last written with.
    ///
    /// A field whose type changed is read again only by a full sync (the store keeps the values
    /// synced before under the column's old name): an incremental one is refused.
    ///
    /// - Throws: `schema.changed` naming the field, on an incremental sync after a type change;
    ///   what the connector's discovery throws.
    func discoveredSchema(of name: String, live: LiveInstallation, full: Bool) async throws -> (Schema, [String]) {
        let schema = try await live.discoverSchema()
        let url = try project.dataURL(name)
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        guard let size, size > 0 else { return (schema, live.discoveryNotes) }
        let previous = try EntityStore.openForReading(at: url).schema
        let changes = SchemaChanges(from: previous, to: schema)
        if let change = changes.retyped.first, !full {
            throw MaxError(
                .sourceSchemaChanged,
                "\(change.type).\(change.field) changed type at the source: it was \(change.was.displayName), it is \(change.now.displayName) now",
                hint:
                    "run \"max sync \(name) --full\" to read every row again with the new type (the values synced before are kept in a column named \(change.field)__was_…)",
                context: ["installation": name, "entityType": change.type.name, "field": change.field])
        }
        return (schema, live.discoveryNotes + changes.notes)
    }

    /// The store of an installation open for reading only: nothing is created or written, and the
    /// connector is not loaded, since the store keeps the schema it was written with.
    ///
    /// With `keepingOpen`, the store is kept for the process's next calls (until its file is
    /// replaced or its schema changes) with that many connections reading at once: what a
    /// long-lived node does. Without, a one-shot command opens one connection and lets it go.
    ///
    /// An installation that has never been synced has no database yet: its connector's schema is then
    /// served by an empty store in memory, so queries are checked as usual and match nothing.
    ///
    /// - Throws: `installation.not_found`, `project.unsafe_path`, `storage.database_error`.
    package func openStoreForReading(_ name: String, keepingOpen readers: Int? = nil) async throws -> EntityStore {
        let record = try record(name)
        let url = try project.dataURL(name)
        // No file, or an empty one a first sync is about to fill: nothing synced yet.
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        guard let size, size > 0 else {
            return try EntityStore.inMemory(schema: try await module(for: record).info.schema)
        }
        guard let readers else { return try EntityStore.openForReading(at: url) }
        return try await OpenStores.readingStore(at: url, readers: readers)
    }

    /// Builds the live installation (no I/O yet), with its own HTTP client: the connector's retry
    /// policy and rate limit and a circuit breaker, as overridden by the installation's `retry`,
    /// `rateLimit`, `circuitBreaker` and `timeout` (of one request, in seconds) in `max.json`.
    ///
    /// - Parameters:
    ///   - name: The installation.
    ///   - observer: Told of retries and rate limiting.
    ///   - statistics: Counts the requests, retries and 429s.
    ///   - interactive: Retry as for a person waiting (``RetryPolicy/interactive``), not as a sync.
    ///   - retryPolicy: A policy that replaces the others (an operation's own).
    ///   - sharedBudget: A request budget other processes draw on too (the workers of a project
    ///     that stores in PostgreSQL), besides this process's limiter.
    /// - Returns: The installation, ready to start.
    /// - Throws: `connector.invalid_policy` for a malformed override (nothing runs then), and what
    ///   ``record(_:)`` and the connector throw.
    public func live(
        _ name: String, observer: (@Sendable (HTTPEvent) -> Void)? = nil, statistics: RequestStatistics? = nil,
        interactive: Bool = false, retryPolicy: RetryPolicy? = nil, sharedBudget: (any SharedRequestBudget)? = nil
    ) async throws -> LiveInstallation {
        let record = try record(name)
        if record.remoteURL != nil {
            throw MaxError(
                .remoteUnsupported, "\(name) is served by another Max node; its operations run there",
                hint: "run it on that node; from here, max sync, search, count, ops and invoke reach it",
                context: ["installation": name])
        }
        let module = try await module(for: record)
        var http = ConnectorHTTPClient.shared
        http.retryPolicy = module.retryPolicy
        var rateLimit = module.rateLimit ?? Self.undeclaredRateLimit
        let path = "installations.\(name)"
        if let override = record.otherKeys["retry"] {
            http.retryPolicy = try http.retryPolicy.overridden(by: override, at: "\(path).retry")
        }
        if let override = record.otherKeys["rateLimit"] {
            rateLimit = try rateLimit.overridden(by: override, at: "\(path).rateLimit")
        }
        if let override = record.otherKeys["timeout"] {
            http.timeout = try ConnectorHTTPClient.timeout(from: override, at: "\(path).timeout")
        }
        http.tls = try await tls(of: name, record)?.settings
        var breaker = CircuitBreaker.Settings.standard
        if let override = record.otherKeys["circuitBreaker"] {
            breaker = try breaker.overridden(by: override, at: "\(path).circuitBreaker")
        }
        // A person waiting on an answer (a health check) gets the short policy.
        if interactive { http.retryPolicy = .interactive }
        if let retryPolicy { http.retryPolicy = retryPolicy }
        http.limiter = RequestLimiter(rateLimit, shared: sharedBudget)
        let host = record.config["baseURL"]?.stringValue.flatMap { URL(string: $0)?.host } ?? name
        http.breaker = RequestBreaker(breaker, host: host)
        http.observer = observer
        http.statistics = statistics
        http.logger = try? project.logger(for: name, label: "max.http")  // no log (a read-only disk) never stops a sync
        return try module.initialise(
            config: try config(of: name, record, module: module), credentials: try connectorCredentials(name, record),
            http: http)
    }

    /// The TLS settings of installation `name` (its `"tls"` in `max.json`, read with its
    /// credentials), and the names of the credentials they hold; `nil` when it has none.
    ///
    /// - Throws: `project.invalid_config` for a malformed `"tls"`; `http.tls_invalid`;
    ///   `credentials.missing`.
    func tls(of name: String, _ record: InstallationRecord) async throws -> (
        settings: TLSSettings, credentials: [String]
    )? {
        guard let json = record.otherKeys["tls"] else { return nil }
        let tls = try InstallationTLS(json: json, path: "installations.\(name).tls")
        let settings = try await tls.settings(root: project.root, credentials: try connectorCredentials(name, record))
        return (settings, [tls.clientCertificate, tls.clientKey].compactMap { $0 })
    }

    /// The credentials an installation's connector reads: the references of `max.json`, read from
    /// the environment at use time, and the sealed store for the rest.
    ///
    /// - Throws: as ``credentials(for:installation:)``.
    public func connectorCredentials(_ name: String, _ record: InstallationRecord) throws -> ReferencedCredentialStore {
        ReferencedCredentialStore(
            base: try credentials(for: name, installation: record.id), references: record.credentialReferences,
            installation: name, environment: { ProcessInfo.processInfo.environment })
    }

    /// The limit of a connector that declares none: high enough never to bind until a 429 lowers it.
    static let undeclaredRateLimit = RateLimit(rate: 1000, burst: 100)

    /// Connects a connector: runs its onboarding, stores the secrets, and records the installation in `max.json`.
    ///
    /// Nothing is written unless onboarding succeeds.
    ///
    /// - Parameters:
    ///   - connector: The connector's registry name.
    ///   - name: The installation's name; by default the connector's, then `-2`, `-3`…
    ///   - group: The group it is scoped to (``InstallationRecord/group``), if any.
    ///   - tls: A private certificate authority (a PEM file, from the project's folder) and a
    ///     client certificate and key, stored sealed as credentials; onboarding's requests use them.
    ///   - runner: How onboarding gets its values.
    ///   - date: The time recorded as `connectedAt`.
    /// - Returns: The name and record.
    /// - Throws: `connector.not_found`, `project.invalid_config`, `installation.invalid_name`,
    ///   `installation.exists`, and onboarding's errors; nothing is written then.
    public func connect(
        _ connector: String, name: String? = nil, group: String? = nil,
        tls: (ca: String?, certificate: Secret?, key: Secret?)? = nil, runner: OnboardingRunner, at date: Date = Date()
    )
        async throws -> (name: String, record: InstallationRecord)
    {
        let module = try await module(named: connector, record: nil)
        let existing = try project.load()  // a malformed max.json fails here, before any question
        if let name {
            try Project.validate(installationName: name)
            guard existing.installations[name] == nil else { throw Self.exists(name) }
        }
        // A leftover folder under the name this connect would take fails it before any question
        // (under the lock: another connect writes its credentials and its entry in one go).
        _ = try project.withLock { try freeName(name, for: connector, in: try project.load()) }

        // `--config` keys onboarding does not ask for: the schema's other keys, or a mistake.
        let extra = try Self.extraConfig(runner.config, for: module)
        let staging = InMemoryCredentialStore()
        var tlsRecord: InstallationTLS?
        var tlsSettings: TLSSettings?
        if let tls {
            var chosen = InstallationTLS(ca: tls.ca)
            if let certificate = tls.certificate, let key = tls.key {
                try await staging.setSecret(certificate, named: InstallationTLS.certificateCredential)
                try await staging.setSecret(key, named: InstallationTLS.keyCredential)
                chosen.clientCertificate = InstallationTLS.certificateCredential
                chosen.clientKey = InstallationTLS.keyCredential
            }
            tlsRecord = chosen
            tlsSettings = try await chosen.settings(root: project.root, credentials: staging)
        }
        // Onboarding's requests (through the shared client) use the installation's TLS.
        let state = try await ConnectorHTTPClient.$installationTLS.withValue(tlsSettings) {
            try await runner.run(module.onboarding, store: staging)
        }
        let config = JSONValue.object(state.merging(extra) { asked, _ in asked })
        _ = try module.decodeConfig(config)  // the connector accepts what onboarding produced
        // The connector is recorded by the name the project knows it by (its key in the
        // `connectors` table, which need not be the name it declares), so it resolves again.
        let info = module.info
        var record = InstallationRecord(
            id: UUID().uuidString.lowercased(), connector: "\(connector)@\(info.version)",
            connectedAt: ISO8601.format(date), config: config)
        record.configVersion = module.configSchema.version
        record.group = group
        if let tlsRecord { record.otherKeys["tls"] = tlsRecord.json }

        // Nothing was written so far. The name is taken for good, the credentials stored and
        // max.json written in one critical section of the project's lock: parallel connects never
        // pick the same name nor lose each other's entries.
        let chosen = try await project.withLockAwaiting {
            var file = try project.load()
            if let name, file.installations[name] != nil { throw Self.exists(name) }
            let chosen = try freeName(name, for: connector, in: file)
            let folder = try project.installationURL(chosen)
            let existed = FileManager.default.fileExists(atPath: folder.path)
            let lock = try InstallationLock.acquire(chosen, in: project, for: "connect \(chosen)")
            defer { withExtendedLifetime(lock) {} }
            do {
                try await credentials(for: chosen, installation: record.id).store(contentsOf: staging)
                file.installations[chosen] = record
                try project.save(file)
            } catch {
                // Leave no trace of a failed connect: remove what this call created.
                if existed {
                    try? FileManager.default.removeItem(at: try project.credentialsURL(chosen))
                } else {
                    try? FileManager.default.removeItem(at: folder)
                }
                throw error
            }
            return chosen
        }
        return (chosen, record)
    }

    /// The `--config` values onboarding does not ask for, read as the config schema types them
    /// (`pageSize=500` an integer, `cursorColumns={"a":"b"}` JSON).
    ///
    /// - Throws: `onboarding.invalid_input` naming a key that is not in the connector's config, or
    ///   a value that is not of its key's type; before any step runs.
    static func extraConfig(_ given: [String: String], for module: any ConnectorModule) throws -> OnboardingState {
        let asked = Set(module.onboarding.configFields)
        let properties = module.configSchema.schema.json["properties"]?.objectValue ?? [:]
        let open = module.configSchema.schema.json["additionalProperties"] != .bool(false)
        var extra: OnboardingState = [:]
        for (key, text) in given where !asked.contains(key) {
            guard let property = properties[key] else {
                if open {
                    extra[key] = .string(text)
                    continue
                }
                let known = Array(asked.union(properties.keys)).sorted().joined(separator: ", ")
                throw MaxError(
                    .onboardingInvalidInput, "--config \(key): the \(module.info.name) config has no key \(key)",
                    hint: "its keys: \(known) (max connectors \(module.info.name))", context: ["field": key])
            }
            let types = property["type"]?.arrayValue?.compactMap(\.stringValue) ?? [property["type"]?.stringValue ?? ""]
            let value: JSONValue?
            switch types.first {
            case "integer": value = Int(text).map(JSONValue.int)
            case "number": value = Double(text).map(JSONValue.double)
            case "boolean": value = ["true": true, "false": false][text.lowercased()].map(JSONValue.bool)
            case "object",
                "array" where !types.contains("string"):
                value = try? JSONValue(parsing: text)
            default: value = .string(text)
            }
            guard let value else {
                throw MaxError(
                    .onboardingInvalidInput, "--config \(key): \(key) takes \(types.joined(separator: " or "))",
                    hint: "see max connectors \(module.info.name)", context: ["field": key])
            }
            extra[key] = value
        }
        return extra
    }

    /// The name of a new installation: `name`, or by default the connector's name, then `-2`,
    /// `-3`… skipping names in `file`.
    ///
    /// - Throws: `installation.leftover` when that name's folder holds credentials but `file` has
    ///   no such installation (left by a connect that did not finish, or by an edit of `max.json`).
    private func freeName(_ name: String?, for connector: String, in file: ProjectFile) throws -> String {
        var candidate = name ?? connector
        var suffix = 2
        while name == nil, file.installations[candidate] != nil {
            candidate = "\(connector)-\(suffix)"
            suffix += 1
        }
        let credentials = try project.credentialsURL(candidate)
        if FileManager.default.fileExists(atPath: credentials.path) {
            let folder = credentials.deletingLastPathComponent().path
            throw MaxError(
                .installationLeftover,
                "\(folder) holds credentials, but max.json has no installation '\(candidate)' "
                    + "(left by a connect that did not finish, or by an edit of max.json)",
                hint: "remove it with \"max disconnect \(candidate) --yes\", then connect again",
                context: ["installation": candidate, "path": folder])
        }
        return candidate
    }

    static func exists(_ name: String) -> MaxError {
        MaxError(
            .installationExists, "an installation named '\(name)' exists already",
            hint: "pick another --name, or \"max disconnect \(name)\" first", context: ["installation": name])
    }

    /// Records an installation served by another Max node, after checking that the node answers
    /// for it with `token`.
    ///
    /// - Parameters:
    ///   - node: The node's base URL (`http://host:8080`).
    ///   - remoteName: The installation's name on the node.
    ///   - name: Its name in this project.
    ///   - token: Where the token comes from: an `env:` reference is recorded in `max.json` and read
    ///     at each use; any other source is read now and stored sealed.
    ///   - date: The time recorded as `connectedAt`.
    /// - Returns: The record.
    /// - Throws: `installation.exists`, `installation.invalid_name`, the node's errors
    ///   (`serve.unauthorized`, `installation.not_found`), `http.*` when it cannot be reached.
    public func connectRemote(
        node: String, remoteName: String, name: String, token: CredentialSource, at date: Date = Date()
    ) async throws -> InstallationRecord {
        try Project.validate(installationName: name)
        guard try project.load().installations[name] == nil else {
            throw MaxError(
                .installationExists, "an installation named '\(name)' exists already",
                hint: "pick another --name, or \"max disconnect \(name)\" first", context: ["installation": name])
        }
        let base = node.hasSuffix("/") ? String(node.dropLast()) : node
        guard base.hasPrefix("http://") || base.hasPrefix("https://"), URL(string: base) != nil else {
            throw MaxError(
                .onboardingInvalidInput, "--remote takes the node's http(s) URL, not '\(node)'",
                hint: "for example --remote http://127.0.0.1:8080")
        }
        let url = base + "/v1/installations/" + remoteName
        let secret = try token.read(key: "token")
        let summary = try await RemoteNode(
            localName: name, url: url, transport: HTTPNodeTransport(root: base, token: secret)
        ).installation(InstallationRequest(installation: name))
        var record = InstallationRecord(
            id: UUID().uuidString.lowercased(), connector: summary.connector,
            connectedAt: ISO8601.format(date), config: .object([:]))
        record.provider = "remote"
        record.otherKeys["location"] = ["url": .string(url)]
        if case .environment = token {
            record.credentialReferences["token"] = token
        } else {
            try project.prepareInstallationFolder(name)
            try await credentials(for: name, installation: record.id).setSecret(secret, named: "token")
        }
        try project.update { file in
            guard file.installations[name] == nil else { throw Self.exists(name) }
            file.installations[name] = record
        }
        return record
    }

    /// Enters an installation's credentials again, keeping its id, config and data.
    ///
    /// Runs only the credential-bearing steps of its onboarding (and its checks) with its config,
    /// then replaces its stored credentials with the new ones. Then, where its connector declares
    /// a revocation endpoint (``OAuth2Step/revocationURL``), the old OAuth tokens are revoked at
    /// the provider, and a health check runs with the new credentials.
    ///
    /// Credentials `max.json` references from the environment are read from there (the checks
    /// see them) and not stored. Nothing is written unless every step succeeds. It is an audit
    /// event (`credentials.reauth`, by `caller`), however it ends; its context says what was
    /// revoked and what the health check found, never a value.
    ///
    /// - Parameters:
    ///   - name: The installation.
    ///   - runner: How onboarding gets its values.
    ///   - caller: Who asked, for the audit log (`cli:<user>`).
    ///   - healthCheckSeconds: How long the health check may wait for the source.
    /// - Returns: What was stored, revoked and found.
    /// - Throws: `installation.not_found`, `onboarding.no_credentials` for a connector whose
    ///   onboarding stores none, onboarding's errors, the store's errors. A refused revocation or
    ///   an unhealthy check is reported in the result, not thrown: the new credentials are stored.
    public func reauthenticate(
        _ name: String, runner: OnboardingRunner, caller: String, healthCheckSeconds: Int = 30
    ) async throws -> Reauthentication {
        _ = try record(name)
        // An audit event however it ends: what changed (or failed to) is named, never a value.
        return try await auditingCredentials("credentials.reauth", installation: name, caller: caller) {
            var result = try await reauthenticate(name, runner: runner)
            result.health = try? await checkHealth(of: name, seconds: healthCheckSeconds)
            return (result, Self.context(of: result))
        }
    }

    /// The audit context of a re-authentication: what was revoked, what the check found.
    private static func context(of result: Reauthentication) -> JSONValue {
        var context: [String: JSONValue] = [
            "stored": .array(result.stored.map(JSONValue.string)),
            "revoked": .array(result.revoked.map(JSONValue.string)),
        ]
        context["revocationError"] = result.revocationError.map { .string($0.code.description) }
        context["health"] = result.health.map { .string($0.name) }
        return .object(context)
    }

    /// Runs `body`, recording an audit event (mode `credentials`) of how it ended, with the
    /// context `body` gives.
    private func auditingCredentials<T>(
        _ operation: String, installation: String, caller: String, _ body: () async throws -> (T, JSONValue?)
    ) async throws -> T {
        let started = ContinuousClock.now
        let id = "cred_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        var event = AuditLog.Event(
            requestID: id, correlationID: id, caller: caller, installation: installation, operation: operation,
            mode: "credentials", outcome: "succeeded", durationMs: 0)
        do {
            let (value, context) = try await body()
            event.durationMs = Int((ContinuousClock.now - started).milliseconds)
            event.context = context?.jsonText
            await AuditLog(project: project).record(event)
            return value
        } catch {
            event.durationMs = Int((ContinuousClock.now - started).milliseconds)
            event.outcome = error is CancellationError ? "canceled" : "failed"
            event.errorCode = (error as? MaxError)?.code.description
            await AuditLog(project: project).record(event)
            throw error
        }
    }

    private func reauthenticate(_ name: String, runner: OnboardingRunner) async throws -> Reauthentication {
        let record = try record(name)
        let module = try await module(for: record)
        let config = record.config.objectValue ?? [:]
        guard module.onboarding.steps.contains(where: \.bearsCredentials) else {
            throw MaxError(
                .nothingToReauthenticate,
                "\(record.connectorName) keeps no credentials, so \(name) has none to enter again",
                context: ["installation": name])
        }
        var runner = runner
        let environment = ProcessInfo.processInfo.environment
        for (key, reference) in record.credentialReferences {
            runner.credentialValues[key] = try reference.read(
                key: key, origin: "max.json (installations.\(name).credentials.\(key))", environment: environment)
        }
        // The installation's TLS holds for the checks and the revocations, and its client
        // certificate and key are kept: they are not the onboarding's to replace.
        let installationTLS = try await tls(of: name, record)
        let tls = installationTLS?.settings
        let kept = installationTLS?.credentials ?? []
        let staging = InMemoryCredentialStore()
        do {
            try await ConnectorHTTPClient.$installationTLS.withValue(tls) {
                try await runner.reauthenticate(module.onboarding, config: config, store: staging)
            }
        } catch let error as MaxError {
            throw error.naming(installation: name)
        }
        for key in record.credentialReferences.keys { try await staging.removeSecret(named: key) }
        let stored = try await staging.names()
        try project.prepareInstallationFolder(name)
        let store = try credentials(for: name, installation: record.id)
        for key in kept {
            if let value = try await store.secret(named: key) { try await staging.setSecret(value, named: key) }
        }
        // The old tokens are read before they are replaced, and revoked once the new ones are stored.
        let old = await TokenRevocation.held(by: module.onboarding, config: config, in: store)
            .excluding(tokensIn: staging, of: module.onboarding, config: config)
        try await store.replaceAll(with: staging)
        let revocation = await ConnectorHTTPClient.$installationTLS.withValue(tls) { await old.revoke() }
        return Reauthentication(
            stored: stored, revoked: revocation.revoked, provider: revocation.provider,
            revocationError: revocation.error)
    }

    /// Removes an installation from `max.json`, wipes its credentials, and deletes its data and
    /// its logs unless `keepData`.
    ///
    /// Only `.max/installations/<name>/` and `.max/logs/<name>.log` (and its rotated `.log.1`) are
    /// removed, and none through a link that leads elsewhere.
    ///
    /// A name with no entry in `max.json` whose folder is still there (``isLeftover(_:)``) has that
    /// folder removed, whatever `keepData` says.
    ///
    /// - Throws: `sync.already_running` while a sync of it runs; `installation.not_found`; path errors.
    public func disconnect(_ name: String, keepData: Bool) async throws {
        try await disconnect(name, keepData: keepData, locked: false)
    }

    /// As ``disconnect(_:keepData:)``; `locked` when the caller holds the installation's lock.
    func disconnect(_ name: String, keepData: Bool, locked: Bool) async throws {
        if try isLeftover(name) {
            let lock = try InstallationLock.acquire(name, in: project, for: "remove \(name)")
            defer { withExtendedLifetime(lock) {} }
            let folder = try project.installationURL(name)
            OpenStores.evict(under: folder)
            try FileManager.default.removeItem(at: folder)
            return
        }
        _ = try record(name)
        let lock = locked ? nil : try InstallationLock.acquire(name, in: project, for: "disconnect \(name)")
        defer { withExtendedLifetime(lock) {} }
        let folder = try project.installationURL(name)
        let credentials = try project.credentialsURL(name)
        try project.update { file in file.installations[name] = nil }
        try await forgetOperationRecords(of: name)
        if !keepData { OpenStores.evict(under: folder) }
        let doomed = keepData ? [credentials] : [folder] + (try project.logURLs(name))
        for url in doomed where FileManager.default.fileExists(atPath: url.path) {
            do {
                try FileManager.default.removeItem(at: url)
            } catch {
                throw MaxError(
                    .projectWriteFailed,
                    "\(name) was removed from max.json, but \(url.path) could not be deleted: \(error.localizedDescription)",
                    hint: "delete it by hand: rm -r \(url.path)", context: ["path": url.path])
            }
        }
    }

    /// Whether `name` has no entry in `max.json` but a folder under `.max/installations/` (left by
    /// a connect that did not finish, or by an edit of `max.json`).
    ///
    /// - Throws: `project.invalid_config`; path errors.
    public func isLeftover(_ name: String) throws -> Bool {
        guard try project.load().installations[name] == nil else { return false }
        return FileManager.default.fileExists(atPath: try project.installationURL(name).path)
    }

    /// The names of folders under `.max/installations/` that hold credentials but have no entry in
    /// `max.json`: what blocks connecting that name again (data kept by `disconnect --keep-data`
    /// has no credentials and is not one).
    ///
    /// - Throws: `project.invalid_config`.
    public func leftovers() throws -> [String] {
        let names = try project.load().installations.keys
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: project.installationsURL.path)) ?? []
        return folders.filter { name in
            guard !names.contains(name), let credentials = try? project.credentialsURL(name) else { return false }
            return FileManager.default.fileExists(atPath: credentials.path)
        }.sorted()
    }

    /// Syncs an installation: takes its writer lock, runs the engine (which starts the installation),
    /// stops it.
    ///
    /// An unfinished run (cancelled, partial, failed, or left by a process that died) is resumed,
    /// retrying its failed tasks, unless `restart` or `full`. After a completed full run, a
    /// connector with a change feed syncs only the changes, unless `full`. The run is an audit
    /// event whose caller is `caller`; the engine runs `concurrency` tasks at once.
    ///
    /// A project that stores in PostgreSQL syncs as
    /// ``syncShared(_:in:restart:full:detach:concurrency:caller:observer:)``
    /// says; `detach` queues the run for workers there, and is refused for a SQLite project.
    ///
    /// - Throws: `sync.already_running` when another process syncs it; `CancellationError` when the
    ///   task is cancelled (the run is then recorded as cancelled); the engine's errors.
    public func sync(
        _ name: String, restart: Bool = false, full: Bool = false, detach: Bool = false, caller: String = "cli",
        concurrency: Int = 8, observer: @escaping @Sendable (SyncEvent) -> Void = { _ in }
    ) async throws -> SyncSummary {
        try requireEnabled(name)
        if let shared = try storage().postgres {
            do {
                return try await syncShared(
                    name, in: shared, restart: restart, full: full, detach: detach, concurrency: concurrency,
                    caller: caller, observer: observer)
            } catch {
                throw (error as? MaxError)?.naming(installation: name) ?? error
            }
        }
        guard !detach else {
            throw MaxError(
                .sharedStorageRequired, "only a project that stores in PostgreSQL queues syncs for workers",
                hint: #"sync here without --detach, or set "storage": {"postgres": {…}} in max.json"#,
                context: ["installation": name])
        }
        let engine = SyncEngine(concurrency: concurrency)
        let statistics = RequestStatistics()
        let live = try await live(name, observer: { observer(.request($0)) }, statistics: statistics)
        let lock = try InstallationLock.acquire(name, in: project, for: "sync \(name)")
        defer { withExtendedLifetime(lock) {} }
        let store: EntityStore
        var notes: [String] = []
        if live.discoversSchema {
            // A source whose entity types Max finds (a database's tables): the store follows what
            // it holds now, with a note for each change.
            let (schema, found) = try await discoveredSchema(of: name, live: live, full: full || restart)
            notes = found
            store = try await openStoreForWriting(name, schema: schema)
        } else {
            store = try await openStoreForWriting(name)
        }
        // What the run asked of the source, kept with it for `max runs`, however the sync ends.
        let runID = Mutex<String?>(nil)
        let recording: @Sendable (SyncEvent) -> Void = { [notes] event in
            if case .started(let id, _) = event { runID.withLock { $0 = id } }
            if case .finished(var summary) = event, !notes.isEmpty {
                summary.notes = notes
                observer(.finished(summary))
                return
            }
            observer(event)
        }
        func record() {
            guard let id = runID.withLock({ $0 }) else { return }
            // Best effort: the counts inform `max runs`; failing to keep them must not hide how the
            // sync itself ended.
            try? store.addRequestCounts(
                to: id, requests: statistics.requests, retries: statistics.retries,
                rateLimited: statistics.rateLimited)
        }
        var logger = try? project.logger(for: name, label: "max.sync")
        logger?.info("sync started", metadata: ["sync.restart": "\(restart)", "sync.full": "\(full)"])
        let started = ContinuousClock.now
        // Every sync run is an audit event too, however it ends.
        func audit(outcome: String, error: (any Error)?) async {
            let id = runID.withLock { $0 } ?? "run_" + UUID().uuidString.lowercased()
            let event = AuditLog.Event.sync(
                requestID: "sync_" + id, runID: id, caller: caller, installation: name, outcome: outcome,
                since: started, retries: statistics.retries, error: error)
            await AuditLog(project: project).record(event) { failure in
                logger?.warning("audit event not recorded", metadata: ["error.code": "\(failure.code)"])
            }
        }
        do {
            var summary = try await engine.sync(
                live, into: store, resume: !restart && !full, full: full || restart, observer: recording)
            summary.notes = notes
            record()
            logger?[metadataKey: "sync.run"] = "\(summary.runID)"
            logger?.info(
                "sync finished",
                metadata: [
                    "sync.kind": "\(summary.kind)", "sync.status": "\(summary.status)",
                    "sync.entities": "\(summary.totalEntities)", "sync.tasks_failed": "\(summary.tasksFailed)",
                    "sync.duration_ms": "\(Int(summary.duration * 1000))", "http.requests": "\(statistics.requests)",
                    "http.retries": "\(statistics.retries)", "http.rate_limited": "\(statistics.rateLimited)",
                ])
            await live.stop()
            await audit(outcome: summary.tasksFailed > 0 ? "partial" : "succeeded", error: nil)
            return summary
        } catch {
            record()
            if let id = runID.withLock({ $0 }) { logger?[metadataKey: "sync.run"] = "\(id)" }
            let code = (error as? MaxError)?.code.description ?? (error is CancellationError ? "cancelled" : "internal")
            logger?.notice(
                "sync stopped", metadata: ["error.code": "\(code)", "http.requests": "\(statistics.requests)"])
            await live.stop()
            await audit(outcome: error is CancellationError ? "canceled" : "failed", error: error)
            throw (error as? MaxError)?.naming(installation: name) ?? error
        }
    }
}
