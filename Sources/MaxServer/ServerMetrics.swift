import Foundation
import Synchronization

/// Request counts and latencies, printed in the Prometheus text format at `/metrics`.
final class ServerMetrics: Sendable {
    private struct Key: Hashable {
        let route: String
        let status: Int
    }

    private struct State {
        var requests: [Key: Int] = [:]
        var seconds: [String: (sum: Double, count: Int)] = [:]
    }

    private let state = Mutex(State())

    func record(route: String, status: Int, seconds: Double) {
        state.withLock {
            $0.requests[Key(route: route, status: status), default: 0] += 1
            let current = $0.seconds[route] ?? (0, 0)
            $0.seconds[route] = (current.sum + seconds, current.count + 1)
        }
    }

    /// The Prometheus exposition text.
    var text: String {
        state.withLock { state in
            var lines = [
                "# HELP max_http_requests_total HTTP requests served, by route and status.",
                "# TYPE max_http_requests_total counter",
            ]
            for (key, count) in state.requests.sorted(by: {
                ($0.key.route, $0.key.status) < ($1.key.route, $1.key.status)
            }) {
                lines.append("max_http_requests_total{route=\"\(key.route)\",status=\"\(key.status)\"} \(count)")
            }
            lines += [
                "# HELP max_http_request_duration_seconds Time spent serving requests, by route.",
                "# TYPE max_http_request_duration_seconds summary",
            ]
            for (route, value) in state.seconds.sorted(by: { $0.key < $1.key }) {
                lines.append("max_http_request_duration_seconds_sum{route=\"\(route)\"} \(value.sum)")
                lines.append("max_http_request_duration_seconds_count{route=\"\(route)\"} \(value.count)")
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
