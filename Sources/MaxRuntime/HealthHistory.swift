public import Foundation
public import MaxConnector
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
        // Dates as the API writes them, to the millisecond: checks and syncs interleave in one timeline.
        guard let data = try? APICoding.data(kept) else { return }
        try? AtomicFile.write(data, to: url, permissions: 0o600)
    }

    /// The installation's health checks, oldest first (none when it was never checked).
    public func healthHistory(of name: String) -> [HealthCheck] {
        guard let url = try? project.installationURL(name).appendingPathComponent("health.json"),
            let data = FileManager.default.contents(atPath: url.path)
        else { return [] }
        return (try? APICoding.decode([HealthCheck].self, from: data)) ?? []
    }

    /// Asks the source whether an installation works, waiting at most `seconds`, and adds the
    /// answer to its history.
    ///
    /// - Parameters:
    ///   - name: The installation.
    ///   - seconds: How long to wait for an answer; a source that does not answer is `unhealthy`.
    /// - Returns: The status.
    /// - Throws: What building the installation throws (an unknown connector, unreadable
    ///   credentials, a config its connector rejects).
    public func checkHealth(of name: String, seconds: Int) async throws -> HealthStatus {
        let live = try await live(name, interactive: true)
        let status = await withTaskGroup(of: HealthStatus?.self) { group in
            group.addTask { await live.health() }
            group.addTask {
                // The deadline of a person waiting: real time, by design.
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
        recordHealth(HealthCheck(at: Date(), status: status.name, reason: status.reason), of: name)
        return status
    }
}
