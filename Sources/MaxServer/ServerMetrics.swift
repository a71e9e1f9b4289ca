import Foundation
import MaxConnector
import Prometheus

/// What this server did, in the Prometheus text format at `/metrics` (swift-prometheus).
///
/// Requests and their latencies; the syncs it ran (from `POST …/sync`, schedules and webhook
/// deliveries) with the entities they wrote, the retries and 429s they met, and each
/// installation's circuit breaker; the operations it ran, by outcome; refusals by `max.json`'s
/// limits. And the service level indicators of each connector type (SPEC-hardening §10.2): calls
/// (syncs and operation calls) by outcome, their latency as a histogram (whose buckets give the
/// percentiles), retries, quota refusals and breaker trips. Syncs and operations run by other
/// processes (`max sync` in a terminal) are not counted here: they are in `max runs`, `max audit`
/// and `max status --slo`.
final class ServerMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    /// The connector type of an installation (`acme`), or `unknown`.
    private let connectorOf: @Sendable (String) -> String

    /// The latency buckets of calls, in seconds.
    static let callBuckets: [Duration] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300].map {
        .milliseconds(Int64($0 * 1000))
    }

    /// Metrics whose connector types `connectorOf` names.
    init(connectorOf: @escaping @Sendable (String) -> String = { _ in "unknown" }) {
        self.connectorOf = connectorOf
    }

    private func counter(_ name: String, _ help: String, _ labels: [(String, String)]) -> Counter {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "max", metricName: name, unitName: "total", helpText: help),
            labels: labels)
    }

    private func seconds(_ name: String, _ help: String, _ labels: [(String, String)], buckets: [Duration])
        -> DurationHistogram
    {
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "max", metricName: name, unitName: "seconds", helpText: help),
            labels: labels, buckets: buckets)
    }

    /// A request served.
    func record(route: String, status: Int, seconds duration: Double) {
        counter(
            "http_requests", "HTTP requests served, by route and status.",
            [
                ("route", route), ("status", String(status)),
            ]
        ).increment()
        seconds(
            "http_request_duration", "Time spent serving requests, by route.", [("route", route)],
            buckets: Self.callBuckets
        ).record(.milliseconds(Int64(duration * 1000)))
    }

    /// A request refused by `max.json`'s `"limits"` (`user`, `project`, `installation`,
    /// `concurrency`), about `installation` when it named one.
    func recordQuotaExceeded(limit: String, installation: String?) {
        counter("quota_exceeded", "Requests refused by max.json's limits, by limit.", [("limit", limit)]).increment()
        if let installation {
            counter(
                "connector_quota_exceeded", "Requests refused by max.json's limits, by connector type.",
                [("connector", connectorOf(installation))]
            ).increment()
        }
    }

    /// A sync observer that counts the retries, 429s and breaker changes of `installation`.
    func syncObserver(for installation: String) -> @Sendable (SyncEvent) -> Void {
        let connector = connectorOf(installation)
        return { [self] event in
            guard case .request(let request) = event else { return }
            switch request {
            case .retrying:
                counter(
                    "source_retries", "Requests to the source retried during the syncs this server ran.",
                    [("installation", installation)]
                ).increment()
                counter(
                    "connector_retries", "Requests to sources retried, by connector type.", [("connector", connector)]
                ).increment()
            case .rateLimited:
                counter(
                    "source_rate_limited", "429 answers from the source during the syncs this server ran.",
                    [("installation", installation)]
                ).increment()
            case .breaker(let breaker, let host):
                let state: Double =
                    switch breaker {
                    case .closed: 0
                    case .halfOpen: 1
                    case .open: 2
                    }
                registry.makeGauge(
                    descriptor: MetricNameDescriptor(
                        namespace: "max", metricName: "circuit_breaker", unitName: "state",
                        helpText:
                            "The last circuit breaker state seen for an installation's host: 0 closed, 1 half-open, 2 open."
                    ), labels: [("installation", installation), ("host", host)]
                ).set(state)
                if case .open = breaker {
                    counter(
                        "connector_breaker_trips", "Circuit breakers that opened, by connector type.",
                        [("connector", connector)]
                    ).increment()
                }
            }
        }
    }

    /// A sync that ended: `status` is the summary's (`completed`, `partial`, `failed`) or `error`
    /// when it threw.
    func recordSync(installation: String, status: String, entities: Int, duration: Duration) {
        counter(
            "syncs", "Syncs this server ran, by installation and how they ended.",
            [("installation", installation), ("status", status)]
        ).increment()
        counter("sync_entities", "Entities written by the syncs this server ran.", [("installation", installation)])
            .increment(by: Int64(entities))
        recordCall(installation: installation, kind: "sync", ok: status == "completed", duration: duration)
    }

    /// An operation call that ended with `outcome` (`completed`, `enqueued`, or an error code).
    func recordInvocation(installation: String, operation: String, outcome: String, duration: Duration) {
        counter(
            "operation_invocations", "Operation calls this server took, by installation, operation and outcome.",
            [("installation", installation), ("operation", operation), ("outcome", outcome)]
        ).increment()
        recordCall(
            installation: installation, kind: "operation", ok: ["completed", "enqueued"].contains(outcome),
            duration: duration)
    }

    /// A call's service level indicators, by connector type.
    private func recordCall(installation: String, kind: String, ok: Bool, duration: Duration) {
        let connector = connectorOf(installation)
        counter(
            "connector_calls", "Syncs and operation calls, by connector type, kind and outcome (ok or error).",
            [("connector", connector), ("kind", kind), ("outcome", ok ? "ok" : "error")]
        ).increment()
        seconds(
            "connector_call_duration", "How long syncs and operation calls took, by connector type and kind.",
            [("connector", connector), ("kind", kind)], buckets: Self.callBuckets
        ).record(duration)
    }

    /// The Prometheus exposition text.
    var text: String { registry.emitToString() }
}
