/// An installation's state (SPEC-hardening §4), one of six, with the reason for it: what
/// `max ls`, `max status` and `GET /v1/installations` show.
///
/// It is derived, never stored: from `max.json` (disabled), the credentials present, the latest
/// sync run and the latest health check, so it cannot drift from what it summarises.
public enum InstallationState: String, Codable, Sendable, CaseIterable {
    /// Not ready yet: credentials missing (an OAuth authorization pending), or never synced.
    case provisioning
    /// Synced, and its source answered the last time it was asked.
    case active
    /// Working with a problem: the last sync left tasks failed or was interrupted, or the source
    /// failed its last health check.
    case degraded
    /// The last sync failed.
    case error
    /// The source refuses the credentials: someone must re-authenticate.
    case credentialExpired = "credential_expired"
    /// Disabled in `max.json`: not synced, its data still answering queries.
    case disabled

    /// The state of an installation, and why.
    ///
    /// In order: disabled; unusable (an unknown connector, unreadable credentials: error);
    /// credentials missing (provisioning); refused credentials (by the last
    /// sync or health check); a failed last sync (error); never synced (provisioning); a sync
    /// left partial, interrupted or cancelled, or a failing health check (degraded); else active.
    ///
    /// - Parameters:
    ///   - name: The installation, for the commands in reasons.
    ///   - disabled: Whether `max.json` disables it.
    ///   - problem: Why it cannot be used at all, if so.
    ///   - missing: The credentials it needs and lacks.
    ///   - fix: What provides them.
    ///   - sync: The status of its latest run as `max ls` shows it (`never synced` without one).
    ///   - runError: That run's error, if any.
    ///   - health: Its latest health check, if any.
    /// - Returns: The state and its reason (`nil` for an active installation).
    public static func of(
        _ name: String, disabled: Bool, problem: String? = nil, missing: [String], fix: String?, sync: String,
        runError: String?,
        health: HealthCheck?
    ) -> (state: InstallationState, reason: String?) {
        if disabled { return (.disabled, "disabled in max.json; max enable \(name) lets it sync again") }
        if let problem { return (.error, problem) }
        if !missing.isEmpty {
            let list = missing.joined(separator: ", ")
            return (.provisioning, "waiting for \(list)" + (fix.map { ": \($0)" } ?? ""))
        }
        if sync == "credential_expired" {
            return (.credentialExpired, runError ?? "the source refused the credentials")
        }
        if health?.status == "credential_expired" {
            return (.credentialExpired, health?.reason ?? "the source refused the credentials")
        }
        switch sync {
        case "error": return (.error, runError ?? "the last sync failed")
        case "never synced": return (.provisioning, "never synced: max sync \(name)")
        case "degraded":
            return (.degraded, runError ?? "the last sync left failed tasks: max sync \(name) retries them")
        case "interrupted": return (.degraded, "the last sync was interrupted: max sync \(name) resumes it")
        case "cancelled": return (.degraded, "the last sync was cancelled: max sync \(name) resumes it")
        default: break
        }
        if let health, health.status == "unhealthy" || health.status == "degraded" {
            return (
                .degraded, "its last health check found it \(health.status)" + (health.reason.map { ": \($0)" } ?? "")
            )
        }
        return (.active, nil)
    }
}
