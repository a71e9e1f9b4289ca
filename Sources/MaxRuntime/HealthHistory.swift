public import Foundation
import MaxCore
import MaxCredentials

/// One health check of an installation, as kept in `.max/installations/<name>/health.json`.
public struct HealthCheck: Codable, Sendable, Hashable {
    /// When it was checked.
    public var at: Date
    /// `healthy`, `degraded`, `unhealthy` or `credential_expired`.
    public var status: String
    /// Why it is not healthy, when it is not.
    public var reason: String?

    /// A check.
    public init(at: Date, status: String, reason: String? = nil) {
        self.at = at
        self.status = status
        self.reason = reason
    }
}

extension MaxWorkspace {
    /// How many checks an installation keeps, newest last.
    static let keptHealthChecks = 200

    /// Adds a health check to the installation's history (best effort: a history that cannot be
    /// written never fails the check it records).
    public func recordHealth(_ check: HealthCheck, of name: String) {
        guard let url = try? project.installationURL(name).appendingPathComponent("health.json"),
            FileManager.default.fileExists(atPath: url.deletingLastPathComponent().path)
        else { return }
        var checks = healthHistory(of: name)
        checks.append(check)
        let kept = Array(checks.suffix(Self.keptHealthChecks))
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(kept) else { return }
        try? AtomicFile.write(data, to: url, permissions: 0o600)
    }

    /// The installation's health checks, oldest first (none when it was never checked).
    public func healthHistory(of name: String) -> [HealthCheck] {
        guard let url = try? project.installationURL(name).appendingPathComponent("health.json"),
            let data = FileManager.default.contents(atPath: url.path)
        else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return (try? decoder.decode([HealthCheck].self, from: data)) ?? []
    }
}
