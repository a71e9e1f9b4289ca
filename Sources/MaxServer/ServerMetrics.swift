import Foundation
import MaxConnector
import Synchronization

/// What this server did, printed in the Prometheus text format at `/metrics`.
///
/// Requests and their latencies; the syncs it ran (from `POST …/sync` and webhook deliveries) with the entities
/// they wrote, the retries and 429s they met, and each installation's circuit breaker; the
/// operations it ran, by outcome. Syncs and operations run by other processes (`max sync` in a
/// terminal) are not counted here: they are in `max runs` and `max audit`.
final class ServerMetrics: Sendable {
    private struct RequestKey: Hashable {
        let route: String
        let status: Int
    }

    private struct State {
        var requests: [RequestKey: Int] = [:]
        var seconds: [String: (sum: Double, count: Int)] = [:]
        /// By installation and status.
        var syncs: [[String]: Int] = [:]
        var entities: [String: Int] = [:]
        var retries: [String: Int] = [:]
        var rateLimited: [String: Int] = [:]
        /// By installation and host: 0 closed, 1 half-open, 2 open.
        var breakers: [[String]: Int] = [:]
        /// By installation, operation and outcome.
        var invocations: [[String]: Int] = [:]
        /// Requests refused by `max.json`'s limits, by limit.
        var quotaExceeded: [String: Int] = [:]
    }

    /// A request refused by `max.json`'s `"limits"` (`user`, `project`, `installation`, `concurrency`).
    func recordQuotaExceeded(limit: String) {
        state.withLock { $0.quotaExceeded[limit, default: 0] += 1 }
    }

    private let state = Mutex(State())

    func record(route: String, status: Int, seconds: Double) {
        state.withLock {
            $0.requests[RequestKey(route: route, status: status), default: 0] += 1
            let current = $0.seconds[route] ?? (0, 0)
            $0.seconds[route] = (current.sum + seconds, current.count + 1)
        }
    }

    /// A sync observer that counts the retries, 429s and breaker changes of `installation`.
    func syncObserver(for installation: String) -> @Sendable (SyncEvent) -> Void {
        { [self] event in
            guard case .request(let request) = event else { return }
            state.withLock {
                switch request {
                case .retrying: $0.retries[installation, default: 0] += 1
                case .rateLimited: $0.rateLimited[installation, default: 0] += 1
                case .breaker(let breaker, let host):
                    $0.breakers[[installation, host]] =
                        switch breaker {
                        case .closed: 0
                        case .halfOpen: 1
                        case .open: 2
                        }
                }
            }
        }
    }

    /// A sync that ended: `status` is the summary's (`completed`, `partial`, `failed`) or `error`
    /// when it threw.
    func recordSync(installation: String, status: String, entities: Int) {
        state.withLock {
            $0.syncs[[installation, status], default: 0] += 1
            $0.entities[installation, default: 0] += entities
        }
    }

    /// An operation call that ended with `outcome` (`completed`, `enqueued`, or an error code).
    func recordInvocation(installation: String, operation: String, outcome: String) {
        state.withLock { $0.invocations[[installation, operation, outcome], default: 0] += 1 }
    }

    /// The Prometheus exposition text.
    var text: String {
        state.withLock { state in
            var lines: [String] = []
            // `samples` are label sets and values; a summary's are `_sum` and `_count` pairs.
            func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
                lines += ["# HELP \(name) \(help)", "# TYPE \(name) \(type)"]
                for (index, sample) in samples.enumerated() {
                    let suffix = type == "summary" ? (index.isMultiple(of: 2) ? "_sum" : "_count") : ""
                    lines.append("\(name)\(suffix)\(sample.labels) \(sample.value)")
                }
            }
            func labels(_ pairs: [(String, String)]) -> String {
                "{" + pairs.map { "\($0.0)=\"\(Self.escaped($0.1))\"" }.joined(separator: ",") + "}"
            }
            family(
                "max_http_requests_total", "counter", "HTTP requests served, by route and status.",
                state.requests.sorted { ($0.key.route, $0.key.status) < ($1.key.route, $1.key.status) }.map {
                    (labels([("route", $0.key.route), ("status", String($0.key.status))]), String($0.value))
                })
            family(
                "max_http_request_duration_seconds", "summary", "Time spent serving requests, by route.",
                state.seconds.sorted { $0.key < $1.key }.flatMap { route, value in
                    [
                        (labels([("route", route)]), String(value.sum)),
                        (labels([("route", route)]), String(value.count)),
                    ]
                })
            family(
                "max_syncs_total", "counter", "Syncs this server ran, by installation and how they ended.",
                state.syncs.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map {
                    (labels([("installation", $0.key[0]), ("status", $0.key[1])]), String($0.value))
                })
            family(
                "max_sync_entities_total", "counter", "Entities written by the syncs this server ran.",
                Self.byInstallation(state.entities, labels))
            family(
                "max_source_retries_total", "counter",
                "Requests to the source retried during the syncs this server ran.",
                Self.byInstallation(state.retries, labels))
            family(
                "max_source_rate_limited_total", "counter",
                "429 answers from the source during the syncs this server ran.",
                Self.byInstallation(state.rateLimited, labels))
            family(
                "max_circuit_breaker_state", "gauge",
                "The last circuit breaker state seen for an installation's host: 0 closed, 1 half-open, 2 open.",
                state.breakers.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map {
                    (labels([("installation", $0.key[0]), ("host", $0.key[1])]), String($0.value))
                })
            family(
                "max_operation_invocations_total", "counter",
                "Operation calls this server took, by installation, operation and outcome.",
                state.invocations.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map {
                    (
                        labels([("installation", $0.key[0]), ("operation", $0.key[1]), ("outcome", $0.key[2])]),
                        String($0.value)
                    )
                })
            family(
                "max_quota_exceeded_total", "counter", "Requests refused by max.json's limits, by limit.",
                state.quotaExceeded.sorted { $0.key < $1.key }.map { (labels([("limit", $0.key)]), String($0.value)) })
            return lines.joined(separator: "\n") + "\n"
        }
    }

    private static func byInstallation(
        _ counts: [String: Int], _ labels: ([(String, String)]) -> String
    ) -> [(labels: String, value: String)] {
        counts.sorted { $0.key < $1.key }.map { (labels([("installation", $0.key)]), String($0.value)) }
    }

    /// A label value escaped as the text format requires (backslash, quote, newline).
    static func escaped(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
