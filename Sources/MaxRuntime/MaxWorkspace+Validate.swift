public import Foundation
import MaxConnector
public import MaxCore

/// One thing wrong with a project, where it is in `max.json`.
public struct ProjectProblem: Sendable, Codable, Hashable {
    /// The JSON path (`installations.acme.sync.every`), or `max.json` for the file as a whole.
    public var path: String
    /// What is wrong, and what to do.
    public var error: MaxError

    /// A problem.
    public init(path: String, error: MaxError) {
        self.path = path
        self.error = error
    }

    /// Compares by path, code and message.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.path == rhs.path && lhs.error.code == rhs.error.code && lhs.error.message == rhs.error.message
    }

    /// Hashes by path and code.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(path)
        hasher.combine(error.code.description)
    }
}

extension MaxWorkspace {
    /// Checks `max.json` and every installation without changing anything, and returns every
    /// problem found (none: the project is ready).
    ///
    /// For each installation: its connector is known, the connector accepts its config and builds
    /// an installation from it, its `retry`, `rateLimit`, `circuitBreaker` and `sync` entries are
    /// well formed, `disabled` is a boolean, and the credentials it needs are there (stored, or
    /// their environment variable set). A remote installation's node is asked, as `max install`
    /// does.
    ///
    /// - Parameter environment: Where `env:` references are read.
    /// - Returns: The problems, in installation order.
    public func validate(environment: [String: String] = ProcessInfo.processInfo.environment) async
        -> [ProjectProblem]
    {
        let file: ProjectFile
        do {
            file = try project.load()
        } catch {
            return [ProjectProblem(path: "max.json", error: MaxError.wrapping(error))]
        }
        return await validate(file, environment: environment)
    }

    /// The problems of `file` (see ``validate(environment:)``).
    func validate(_ file: ProjectFile, environment: [String: String]) async -> [ProjectProblem] {
        var problems: [ProjectProblem] = []
        for name in file.installations.keys.sorted() {
            guard let record = file.installations[name] else { continue }
            problems += await validate(name, record, environment: environment)
        }
        return problems
    }

    private func validate(_ name: String, _ record: InstallationRecord, environment: [String: String]) async
        -> [ProjectProblem]
    {
        let path = "installations.\(name)"
        var problems: [ProjectProblem] = []
        func check(_ key: String, _ body: () async throws -> Void) async {
            do {
                try await body()
            } catch {
                let error = MaxError.wrapping(error)
                problems.append(ProjectProblem(path: error.context["key"] ?? "\(path).\(key)", error: error))
            }
        }
        if let disabled = record.otherKeys["disabled"], disabled.boolValue == nil {
            problems.append(
                ProjectProblem(
                    path: "\(path).disabled",
                    error: MaxError(
                        .invalidProjectFile, "max.json: \(path).disabled must be true or false",
                        hint: "or use max enable / max disable")))
        }
        await check("sync") { _ = try record.schedule(named: name) }
        if let json = record.otherKeys["retry"] {
            await check("retry") { _ = try RetryPolicy.standard.overridden(by: json, at: "\(path).retry") }
        }
        if let json = record.otherKeys["rateLimit"] {
            await check("rateLimit") {
                _ = try MaxWorkspace.undeclaredRateLimit.overridden(by: json, at: "\(path).rateLimit")
            }
        }
        if let json = record.otherKeys["tls"] {
            await check("tls") {
                // The authority only: the client certificate and key are secrets, read when used.
                let tls = try InstallationTLS(json: json, path: "\(path).tls")
                _ = try await InstallationTLS(ca: tls.ca).settings(
                    root: project.root, credentials: InMemoryCredentialStore())
            }
        }
        if let json = record.otherKeys["timeout"] {
            await check("timeout") { _ = try ConnectorHTTPClient.timeout(from: json, at: "\(path).timeout") }
        }
        if let json = record.otherKeys["circuitBreaker"] {
            await check("circuitBreaker") {
                _ = try CircuitBreaker.Settings.standard.overridden(by: json, at: "\(path).circuitBreaker")
            }
        }
        if record.remoteURL == nil {
            await check("connector") {
                let module = try await module(for: record)
                // A new major version waiting for max apply is not a problem: its migrated config is checked.
                let config = try ConnectorUpgrade.of(record, to: module)?.config ?? record.config
                let violations = module.configSchema.problems(in: config)
                for violation in violations {
                    problems.append(
                        ProjectProblem(
                            path: "\(path).\(violation.path)",
                            error: MaxError(
                                .invalidConfig, "max.json: \(path).\(violation.path) \(violation.message)",
                                hint: "see the \(module.info.name) config's schema: max connectors \(module.info.name)",
                                context: ["installation": name, "connector": module.info.name])))
                }
                guard violations.isEmpty else { return }
                await check("config") {
                    _ = try module.initialise(config: config, credentials: InMemoryCredentialStore(), http: .shared)
                }
            }
        }
        let readiness = await readiness(name, record, environment: environment)
        if let error = readiness.error, record.remoteURL != nil {
            problems.append(ProjectProblem(path: "\(path).location", error: error))
        }
        for credential in readiness.missing {
            problems.append(
                ProjectProblem(
                    path: "\(path).credentials.\(credential.name)",
                    error: MaxError(
                        .credentialMissing,
                        "\(name) needs the credential \(credential.name) (\(credential.source)), which is not there",
                        hint: readiness.fixes.joined(separator: "; "),
                        context: ["installation": name, "credential": credential.name])))
        }
        return problems
    }
}
