public import Foundation
public import MaxCore
import MaxQuery
import MaxStore

/// Service level objectives per connector type: `max.json`'s `"slo"`.
///
/// ```json
/// "slo": {"acme": {"availability": 0.99, "latencyP95Seconds": 5, "window": "7d"}}
/// ```
///
/// - `availability`: the share of calls (syncs and operation calls) that must succeed.
/// - `latencyP95Seconds`: the 95th percentile of their durations must stay at or under it.
/// - `window`: how far back the audit log is read (default 7 days).
public struct ServiceLevelObjective: Sendable, Hashable, Codable {
    /// The share of calls that must succeed, above 0 and below 1.
    public var availability: Double?
    /// The most the 95th percentile of call durations may be, in seconds.
    public var latencyP95Seconds: Double?
    /// How far back calls count, in seconds.
    public var windowSeconds: Double

    /// The objectives of `max.json`'s `"slo"` value, by connector type.
    ///
    /// - Throws: `project.invalid_config` naming the key at fault.
    public static func parse(_ json: JSONValue?, path: String = "max.json") throws -> [String: ServiceLevelObjective] {
        guard let json else { return [:] }
        func invalid(_ key: String, _ problem: String) -> MaxError {
            MaxError(
                .invalidProjectFile, "\(path): slo\(key.isEmpty ? "" : ".\(key)") \(problem)",
                hint: #"for example "slo": {"acme": {"availability": 0.99, "latencyP95Seconds": 5, "window": "7d"}}"#,
                context: ["key": "slo\(key.isEmpty ? "" : ".\(key)")"])
        }
        guard let object = json.objectValue else { throw invalid("", "must be an object of connector types") }
        var objectives: [String: ServiceLevelObjective] = [:]
        for (connector, value) in object {
            guard let fields = value.objectValue else { throw invalid(connector, "must be an object") }
            var objective = ServiceLevelObjective(availability: nil, latencyP95Seconds: nil, windowSeconds: 7 * 86_400)
            for (key, field) in fields {
                switch key {
                case "availability":
                    guard let share = field.doubleValue, share > 0, share < 1 else {
                        throw invalid("\(connector).availability", "must be a share above 0 and below 1, such as 0.99")
                    }
                    objective.availability = share
                case "latencyP95Seconds":
                    guard let seconds = field.doubleValue, seconds > 0 else {
                        throw invalid("\(connector).latencyP95Seconds", "must be a number of seconds above 0")
                    }
                    objective.latencyP95Seconds = seconds
                case "window":
                    guard let text = field.stringValue, let window = SyncSchedule.duration(text), window > .zero else {
                        throw invalid("\(connector).window", "must be a duration such as \"7d\" or \"24h\"")
                    }
                    objective.windowSeconds = window.timeInterval
                default:
                    throw invalid(
                        "\(connector).\(key)", "is not an objective (availability, latencyP95Seconds, window)")
                }
            }
            objectives[connector] = objective
        }
        return objectives
    }
}

/// What the audit log says of one connector type's calls over a window, against its objective.
public struct ServiceLevel: Sendable, Codable, Hashable {
    /// The connector type.
    public var connector: String
    /// Syncs and operation calls that count (a caller's mistake, such as invalid input, does not).
    public var calls: Int
    /// Those that failed.
    public var errors: Int
    /// `errors / calls` (0 without calls).
    public var errorRate: Double
    /// Latency percentiles, in seconds (`nil` without calls).
    public var p50Seconds: Double?
    /// The 95th percentile.
    public var p95Seconds: Double?
    /// The 99th percentile.
    public var p99Seconds: Double?
    /// Retries per call.
    public var retriesPerCall: Double
    /// The objective, if `max.json` sets one.
    public var objective: ServiceLevelObjective?
    /// How fast the error budget burns: the error rate over `1 - availability` (1 spends it
    /// exactly over the window; above 1, faster).
    public var burn: Double?
    /// Whether every objective holds (`nil` without one).
    public var met: Bool?
}

extension MaxWorkspace {
    /// Outcomes that say nothing of the connector: the caller's mistake, or no call at all.
    static let excludedOutcomes: Set<String> = ["invalid_input", "conflict", "denied", "canceled", "cancelled"]
    /// Outcomes that are a success.
    static let successfulOutcomes: Set<String> = ["succeeded", "replayed", "enqueued", "completed"]

    /// The service levels of each connector type the project's installations use, from the audit
    /// log's syncs and operation calls over each objective's window (7 days without one).
    ///
    /// - Parameter now: The end of the window.
    /// - Returns: One per connector type, by name.
    /// - Throws: `project.invalid_config`; the audit store's errors.
    public func serviceLevels(now: Date = Date()) async throws -> [ServiceLevel] {
        let objectives = try ServiceLevelObjective.parse(project.load().otherKeys["slo"])
        let connectorOf = try installations().reduce(into: [String: String]()) { $0[$1.name] = $1.record.connectorName }
        let types = Set(connectorOf.values).union(objectives.keys).sorted()
        let longest = types.map { objectives[$0]?.windowSeconds ?? 7 * 86_400 }.max() ?? 7 * 86_400
        var query = try Query(
            AuditLog.eventType,
            filter:
                #"at >= "\#(ISO8601.format(now.addingTimeInterval(-longest)))" AND mode IN ("sync", "async", "sync-run")"#
        )
        query.selection = FieldSelection(
            ["at", "installation", "outcome", "durationMs", "retryCount"].map { .field($0) })
        var events: [String: [(at: Date, ok: Bool, seconds: Double, retries: Int)]] = [:]
        for try await record in try await AuditLog(project: project).openForReading().pages(of: query) {
            guard case .string(let installation)? = record["installation"],
                let connector = connectorOf[installation], case .string(let outcome)? = record["outcome"],
                !Self.excludedOutcomes.contains(outcome), case .date(let at)? = record["at"]
            else { continue }
            let milliseconds = if case .int(let value)? = record["durationMs"] { value } else { 0 }
            let retries = if case .int(let value)? = record["retryCount"] { value } else { 0 }
            events[connector, default: []].append(
                (at, Self.successfulOutcomes.contains(outcome), Double(milliseconds) / 1000, retries))
        }
        return types.map { connector in
            let objective = objectives[connector]
            let since = now.addingTimeInterval(-(objective?.windowSeconds ?? 7 * 86_400))
            let calls = (events[connector] ?? []).filter { $0.at >= since }
            let errors = calls.filter { !$0.ok }.count
            let durations = calls.map(\.seconds).sorted()
            func percentile(_ share: Double) -> Double? {
                guard !durations.isEmpty else { return nil }
                return durations[min(durations.count - 1, Int((share * Double(durations.count)).rounded(.up)) - 1)]
            }
            var level = ServiceLevel(
                connector: connector, calls: calls.count, errors: errors,
                errorRate: calls.isEmpty ? 0 : Double(errors) / Double(calls.count), p50Seconds: percentile(0.5),
                p95Seconds: percentile(0.95), p99Seconds: percentile(0.99),
                retriesPerCall: calls.isEmpty ? 0 : Double(calls.map(\.retries).reduce(0, +)) / Double(calls.count),
                objective: objective)
            if let objective {
                if let availability = objective.availability { level.burn = level.errorRate / (1 - availability) }
                let latencyMet = objective.latencyP95Seconds.map { limit in (level.p95Seconds ?? 0) <= limit } ?? true
                level.met = (level.burn ?? 0) <= 1 && latencyMet
            }
            return level
        }
    }
}
