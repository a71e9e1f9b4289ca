import Foundation
import MaxRuntime
import Testing

/// The §4 state of an installation, from what it summarises.
struct InstallationStateTests {
    static let at = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(
        arguments: [
            // disabled wins over everything
            (true, nil, [], "error", nil, nil, InstallationState.disabled, "max enable acme"),
            (false, "there is no connector named 'x'", [], "active", nil, nil, .error, "no connector"),
            (false, nil, ["api_token"], "active", nil, nil, .provisioning, "waiting for api_token: fix it"),
            (false, nil, [], "credential_expired", "http.unauthorized: 401", nil, .credentialExpired, "401"),
            (false, nil, [], "active", nil, "credential_expired", .credentialExpired, "revoked"),
            (false, nil, [], "error", "sync.circuit_open: down", nil, .error, "circuit_open"),
            (false, nil, [], "never synced", nil, nil, .provisioning, "max sync acme"),
            (false, nil, [], "degraded", nil, nil, .degraded, "retries them"),
            (false, nil, [], "interrupted", nil, nil, .degraded, "resumes it"),
            (false, nil, [], "active", nil, "unhealthy", .degraded, "found it unhealthy: revoked"),
            (false, nil, [], "active", nil, "healthy", .active, nil),
            (false, nil, [], "syncing", nil, nil, .active, nil),
        ] as [(Bool, String?, [String], String, String?, String?, InstallationState, String?)])
    func eachStateHasItsReason(
        _ disabled: Bool, _ problem: String?, _ missing: [String], _ sync: String, _ runError: String?,
        _ health: String?, _ expected: InstallationState, _ reason: String?
    ) {
        let check = health.map { HealthCheck(at: Self.at, status: $0, reason: $0 == "healthy" ? nil : "revoked") }
        let (state, why) = InstallationState.of(
            "acme", disabled: disabled, problem: problem, missing: missing, fix: "fix it", sync: sync,
            runError: runError, health: check)
        #expect(state == expected)
        if let reason {
            #expect(why?.contains(reason) == true, "\(why ?? "nil")")
        } else {
            #expect(why == nil)
        }
    }
}
