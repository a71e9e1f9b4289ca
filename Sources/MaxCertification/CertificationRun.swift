import Foundation
import MaxConnector
import MaxCore
import MaxRuntime

/// One run of the ``CertificationSuite``: the throwaway project's installation, the proxies, the
/// baseline, and the checks so far.
struct CertificationRun {
    /// How a full sync ended.
    struct SyncOutcome {
        var summary: SyncSummary?
        var error: MaxError?
        var seconds: Double

        var completed: Bool { summary?.status == "completed" }

        /// The error it failed with (its own, or its first failed task's).
        var failure: MaxError? { error ?? summary?.errors.first }

        /// Entities written, by type name.
        var written: [String: Int] {
            Dictionary(uniqueKeysWithValues: (summary?.entitiesWritten ?? [:]).map { ($0.key.name, $0.value) })
        }

        var described: String {
            if let error { return "failed: \(error.code): \(error.message)" }
            guard let summary else { return "did not run" }
            let first = summary.errors.first.map { "; first error \($0.code): \($0.message)" } ?? ""
            return
                "\(summary.status) (\(summary.totalEntities) entities written, \(summary.tasksFailed) tasks failed\(first))"
        }
    }

    /// Stored records: type name → id → the record as JSON.
    typealias Snapshot = [String: [String: JSONValue]]

    let suite: CertificationSuite
    let workspace: MaxWorkspace
    /// By upstream origin: its proxy and the proxy's origin.
    let proxies: [String: (FaultProxy, String)]
    let api: LocalNode
    let installation = "certify"

    var checks: [CertificationReport.Check] = []
    var schema: Schema?
    var operations: [OperationInfo] = []
    var baseline: (outcome: SyncOutcome, snapshot: Snapshot, requests: Int)?
    /// Everything the suite said, for the secret scan.
    var said: [String] = []

    init(suite: CertificationSuite, workspace: MaxWorkspace, proxies: [String: (FaultProxy, String)]) {
        self.suite = suite
        self.workspace = workspace
        self.proxies = proxies
        self.api = LocalNode(workspace: workspace, caller: "certify")
    }

    mutating func say(_ line: String) {
        said.append(line)
        suite.progress(line)
    }

    mutating func record(_ check: CertificationReport.Check) {
        checks.append(check)
        say(
            "\(check.status == .passed ? "ok  " : check.status == .failed ? "FAIL" : "skip") \(check.title): \(check.summary)"
        )
    }

    /// Every check, in order; a check that cannot run after an earlier failure is skipped.
    mutating func all() async -> [CertificationReport.Check] {
        let connected = await connect(installation)
        record(connected)
        guard connected.status == .passed else { return skipRest(after: "onboarding") }
        record(await definition())
        // Operations first: what an example creates at the source is then in the baseline.
        record(await operationContracts())
        let baselineCheck = await baselineSync()
        record(baselineCheck)
        guard baselineCheck.status == .passed else { return skipRest(after: "the baseline sync") }
        record(await recordsConform())
        for scenario in [
            FaultPlan.Scenario.serverErrors, .rateLimitStorm, .rateLimitExhausted, .timeouts, .malformedBodies,
        ] {
            record(await faultPhase(scenario))
        }
        record(await load())
        record(await fuzz())
        record(await egress())
        record(secrets())
        return checks
    }

    mutating func skipRest(after what: String) -> [CertificationReport.Check] {
        let planned = [
            ("definition", "Definition"), ("operations.contract", "Operation contracts"),
            ("sync.baseline", "Baseline sync"), ("records.types", "Stored values fit"),
            ("faults.server-errors", "5xx answers"),
            ("faults.rate-limit-storm", "429 storm"), ("faults.rate-limit-exhausted", "429 past the retries"),
            ("faults.timeouts", "Timeouts"), ("faults.malformed-bodies", "Malformed bodies"), ("load", "Load"),
            ("fuzz.normalisation", "Fuzzed responses"), ("security.egress", "Egress"),
            ("security.secrets", "Secrets never written"),
        ]
        for (id, title) in planned where !checks.contains(where: { $0.id == id }) {
            checks.append(.init(id: id, title: title, status: .skipped, summary: "not run: \(what) failed"))
        }
        return checks
    }

    // MARK: Helpers

    /// The config with every URL of a source pointed at its proxy.
    var proxiedConfig: [String: String] {
        suite.options.config.mapValues { value in
            guard let origin = CertificationSuite.sourceOrigin(value), let proxy = proxies[origin] else { return value }
            return proxy.1 + value.dropFirst(origin.count)
        }
    }

    func begin(_ plan: FaultPlan) {
        for (proxy, _) in proxies.values { proxy.begin(plan) }
    }

    /// Ends the phase on every proxy: the findings of each, merged.
    func end() -> FaultProxy.Findings {
        var merged = FaultProxy.Findings(plan: FaultPlan(.none), exchanges: [], peakConcurrency: 0, mutations: [])
        var first = true
        for (_, (proxy, _)) in proxies.sorted(by: { $0.key < $1.key }) {
            let findings = proxy.end()
            if first {
                merged.plan = findings.plan
                first = false
            } else {
                merged.plan = merged.plan.merging(findings.plan)
            }
            merged.exchanges += findings.exchanges
            merged.peakConcurrency = max(merged.peakConcurrency, findings.peakConcurrency)
            merged.mutations += findings.mutations
        }
        return merged
    }

    /// A full sync of `name`, bounded in time.
    func sync(_ name: String, within limit: Duration) async -> SyncOutcome {
        let started = ContinuousClock.now
        let api = api
        let result: Result<SyncSummary, MaxError> = await withTaskGroup(of: Result<SyncSummary, MaxError>?.self) {
            group in
            group.addTask {
                do {
                    return .success(try await api.sync(SyncRequest(installation: name, full: true, restart: true)))
                } catch {
                    return .failure(MaxError.wrapping(error))
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return Task.isCancelled ? nil : .failure(Self.tooLong(limit))
            }
            var first: Result<SyncSummary, MaxError>?
            while first == nil, let next = await group.next() { first = next }
            group.cancelAll()
            return first ?? .failure(Self.tooLong(limit))
        }
        let seconds = CertificationSuite.seconds(ContinuousClock.now - started)
        switch result {
        case .success(let summary): return SyncOutcome(summary: summary, error: nil, seconds: seconds)
        case .failure(let error): return SyncOutcome(summary: nil, error: error, seconds: seconds)
        }
    }

    static func tooLong(_ limit: Duration) -> MaxError {
        MaxError(
            .connectorTimeout, "the sync did not finish within \(limit.components.seconds) s",
            hint: "a connector must time out and fail a request its source does not answer")
    }

    /// The time a faulted sync may take: generous beside the baseline's.
    var phaseLimit: Duration {
        .seconds(Int(120 + 10 * (baseline?.outcome.seconds ?? 0)))
    }

    /// What the installation `name` stores, and the values that do not fit their field's type.
    func snapshot(_ name: String) async throws -> (Snapshot, misfits: [String]) {
        guard let schema else { return ([:], []) }
        var snapshot: Snapshot = [:]
        var misfits: [String] = []
        for entity in schema.entities {
            let stream = try await api.searchAll(
                SearchRequest(installation: name, entityType: entity.name), batchSize: 500)
            var records: [String: JSONValue] = [:]
            for try await record in stream.records {
                records[record.ref.id] = record.jsonObject
                for (field, value) in record.values {
                    guard let declared = entity.fields.first(where: { $0.name == field }) else { continue }
                    if !value.fits(declared.type) {
                        misfits.append(
                            "\(entity.name) \(record.ref.id): \(field) holds a \(value.kindName), declared \(declared.type.displayName)"
                        )
                    }
                }
            }
            snapshot[entity.name] = records
        }
        return (snapshot, misfits)
    }

    /// How `after` differs from the baseline: records changed, and records the baseline lacks.
    func differences(_ after: Snapshot) -> [String] {
        let (changed, extra) = changesAndExtras(after)
        return changed + extra
    }

    /// How `after` differs from the baseline: baseline records that changed, and records the
    /// baseline lacks.
    func changesAndExtras(_ after: Snapshot) -> (changed: [String], extra: [String]) {
        guard let baseline = baseline?.snapshot else { return ([], []) }
        var lines: [String] = []
        var extra: [String] = []
        for (type, records) in after.sorted(by: { $0.key < $1.key }) {
            let before = baseline[type] ?? [:]
            for (id, record) in records.sorted(by: { $0.key < $1.key }) {
                guard let old = before[id] else {
                    extra.append("\(type) \(id) is stored, but the fault-free sync had no such record")
                    continue
                }
                if old != record {
                    let fields = Set((old.objectValue ?? [:]).keys).union((record.objectValue ?? [:]).keys).filter {
                        old[$0] != record[$0]
                    }
                    lines.append(
                        "\(type) \(id) differs from the fault-free sync in \(fields.sorted().joined(separator: ", "))")
                }
            }
        }
        return (lines, extra)
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
    }

    static func sample(_ lines: [String], _ count: Int = 5) -> [String] {
        lines.count <= count ? lines : Array(lines.prefix(count)) + ["… and \(lines.count - count) more"]
    }
}
