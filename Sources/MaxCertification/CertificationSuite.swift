import Foundation
public import MaxConnector
public import MaxCore
import MaxCredentials
public import MaxRuntime

/// `max connector certify`: the §15 suite of SPEC-hardening, run against a connector and its source
/// (a simulator or the real one) through a ``FaultProxy``.
///
/// The suite works in a throwaway project of its own (a temporary folder, removed at the end):
/// it connects the connector with the config and credentials given, every URL of the config
/// pointed at a proxy in front of the source, then checks:
/// 1. its definition (schema, resolvers, operations' JSON Schemas);
/// 2. its operations' contracts: an input its schema refuses is refused before reaching the
///    source; an example input (`--example`) gets an output that matches the output schema, and
///    a repeated idempotency key does not reach the source again;
/// 3. a fault-free full sync, the baseline, and that every stored value fits its field's type;
/// 4. failures: 5xx answers, 429 storms (retried no sooner than `Retry-After`), a request
///    rate-limited until the retries run out, requests left unanswered, bodies cut short; each a
///    full sync that must write what the baseline wrote, or fail with a classified error and
///    nothing stored that the baseline did not hold;
/// 5. a short load test: several installations syncing at once;
/// 6. fuzzing of response normalisation: JSON answers mutated; nothing may crash, every stored
///    value must fit its type, and a clean sync afterwards must restore the baseline;
/// 7. the security checklist: no credential value anywhere in the project's files, the suite's
///    output or the report, and every request the connector made went to its source.
public struct CertificationSuite: Sendable {
    /// What to certify, against what.
    public struct Options: Sendable {
        /// The connector's name (a built-in, or one of the project's `connectors` table).
        public var connector: String
        /// Its config, as `max connect --config` takes it; every http(s) URL in it is the source's.
        public var config: [String: String]
        /// Its credentials, read up front.
        public var credentials: [String: Secret]
        /// Example inputs of operations, by operation id.
        public var examples: [String: JSONValue] = [:]
        /// How many installations sync at once in the load test (at least 1).
        public var loadInstallations = 3
        /// The fuzzer's seed.
        public var seed: UInt64 = 1

        /// Options for `connector` with `config` and `credentials`.
        public init(connector: String, config: [String: String], credentials: [String: Secret]) {
            self.connector = connector
            self.config = config
            self.credentials = credentials
        }
    }

    /// What to certify.
    public let options: Options
    /// The built-in connectors.
    public let registry: ConnectorRegistry
    /// The project whose `connectors` table names the connector, if any.
    public let project: Project?
    /// Hears what the suite is doing, one line at a time.
    public let progress: @Sendable (String) -> Void

    /// A suite.
    ///
    /// - Parameters:
    ///   - options: What to certify.
    ///   - registry: The built-in connectors.
    ///   - project: The project whose `connectors` table names the connector, if any.
    ///   - progress: Hears what the suite is doing.
    public init(
        options: Options, registry: ConnectorRegistry, project: Project?,
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.options = options
        self.registry = registry
        self.project = project
        self.progress = progress
    }

    /// Runs the suite.
    ///
    /// - Returns: The report; a failed check makes it fail, it does not throw.
    /// - Throws: `certify.no_source` when no config value is a URL; `connector.not_found`,
    ///   `connector.not_installed` for a connector that cannot be run; `project.*` errors for
    ///   the temporary project.
    public func run() async throws -> CertificationReport {
        let startedAt = Date()
        let started = ContinuousClock.now
        let subject = try await self.subject()
        let upstreams = Array(Set(options.config.values.compactMap(Self.sourceOrigin))).sorted()
        guard !upstreams.isEmpty else {
            throw MaxError(
                .certificationNoSource,
                "certify runs \(options.connector) against its source through a fault-injecting proxy, and none of its config values is the source's URL",
                hint:
                    "give the source's URL as the config key the connector reads it from (--config baseURL=http://… for acme, --config apiURL=… for github and linear)",
                context: ["connector": options.connector])
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "max-certify-\(options.connector)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        _ = try Project.initialise(at: folder)
        let scratch = Project(root: folder)
        if let entry = subject.entry {
            try scratch.update { $0.otherKeys["connectors"] = [options.connector: .string(entry)] }
        }
        let workspace = MaxWorkspace(project: scratch, registry: registry)
        let checks = try await Self.withProxies(upstreams[...], [:]) { proxies in
            var run = CertificationRun(suite: self, workspace: workspace, proxies: proxies)
            return await run.all()
        }
        let report = CertificationReport(
            connector: subject.subject, sources: upstreams, startedAt: ISO8601.format(startedAt),
            seconds: Self.seconds(ContinuousClock.now - started), seed: options.seed,
            passed: !checks.contains { $0.status == .failed }, checks: checks)
        return report
    }

    /// The origin of `value` when it is an http(s) URL with a host.
    static func sourceOrigin(_ value: String) -> String? {
        guard value.hasPrefix("http://") || value.hasPrefix("https://") else { return nil }
        return FaultProxy.origin(of: value)
    }

    /// Runs `body` with a proxy in front of each of `upstreams`, by upstream origin.
    static func withProxies<T: Sendable>(
        _ upstreams: ArraySlice<String>, _ running: [String: (FaultProxy, String)],
        _ body: @Sendable ([String: (FaultProxy, String)]) async throws -> T
    ) async throws -> T {
        guard let upstream = upstreams.first else { return try await body(running) }
        let proxy = FaultProxy(upstream: upstream)
        return try await proxy.run { origin in
            var running = running
            running[upstream] = (proxy, origin)
            return try await withProxies(upstreams.dropFirst(), running, body)
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// The connector as the report names it, and its entry for the throwaway project's
    /// `connectors` table (an absolute `file:` source), if it is not a built-in.
    func subject() async throws -> (subject: CertificationReport.Subject, entry: String?) {
        let name = options.connector
        if let project, let file = try? project.load(),
            let text = file.otherKeys["connectors"]?[name]?.stringValue,
            let source = try ConnectorSource.table(in: file, root: project.root)[name]
        {
            let workspace = MaxWorkspace(project: project, registry: registry)
            let described = try await workspace.tableConnectors().first { $0.name == name }
            let version = (try? described?.info.get().version) ?? "unknown"
            switch source {
            case .manifest(let url):
                return (
                    .init(
                        name: name, version: version, source: text, digest: try ConnectorSignature.digest(of: url),
                        runs: "in-process (a manifest)"), "file:\(url.path)"
                )
            case .executable(let url):
                return (
                    .init(
                        name: name, version: version, source: text, digest: try ConnectorSignature.digest(of: url),
                        runs: "subprocess"), "file:\(url.path)"
                )
            case .package, .git:
                guard let pin = try ConnectorInstaller(project: project).pin(of: name, source: text) else {
                    throw MaxError(
                        .connectorNotInstalled, "the \(name) connector (\(text)) has not been built",
                        hint: "run max install, then certify it", context: ["connector": name])
                }
                let package = try ConnectorInstaller(project: project).packageFolder(
                    of: name, source: source, text: text)
                return (
                    .init(
                        name: name, version: pin.version, source: text,
                        digest: try package.map(ConnectorSignature.digest(of:)), runs: "subprocess"),
                    "file:\(pin.executable)"
                )
            }
        }
        let module = try await registry.resolve(name)
        return (
            .init(name: name, version: module.info.version, source: "built-in", digest: nil, runs: "in-process"), nil
        )
    }
}
