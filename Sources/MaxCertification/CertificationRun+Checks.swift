import Foundation
import MaxConnector
import MaxCore
import MaxRuntime

extension CertificationRun {
    /// Onboarding with the config and credentials given, through the proxy; the installation may
    /// then reach only the proxies (its egress allowlist, for a sandboxed connector).
    func connect(_ name: String) async -> CertificationReport.Check {
        var runner = OnboardingRunner(config: proxiedConfig, credentialSources: [:], prompter: nil)
        runner.credentialValues = suite.options.credentials
        runner.authorize = { _ in }
        runner.authorizationTimeout = .seconds(5)
        do {
            _ = try await workspace.connect(suite.options.connector, name: name, runner: runner)
            let hosts = Set(proxies.values.compactMap { URL(string: $0.1)?.host })
            try workspace.project.update { file in
                file.installations[name]?.otherKeys["egress"] = .array(hosts.sorted().map(JSONValue.string))
            }
            return .init(
                id: name == installation ? "onboarding" : "onboarding.\(name)", title: "Onboarding", status: .passed,
                summary: "connected with the config and credentials given, through the proxy")
        } catch {
            let error = MaxError.wrapping(error)
            return .init(
                id: "onboarding", title: "Onboarding", status: .failed,
                summary: "connecting failed: \(error.code): \(error.message)",
                findings: error.hint.map { ["hint: \($0)"] } ?? [])
        }
    }

    /// The connector's definition: its schema, resolvers and operations hold together.
    mutating func definition() async -> CertificationReport.Check {
        let id = "definition"
        let title = "Definition"
        do {
            let record = try workspace.record(installation)
            let module = try await workspace.module(for: record)
            try module.validateDefinition()
            let live = try await workspace.live(installation)
            schema = live.schema
            operations = live.operations
            var findings: [String] = []
            for operation in live.operations {
                for (which, schema) in [("input", operation.input), ("output", operation.output)] {
                    do {
                        _ = try JSONSchema(schema.json)
                    } catch {
                        findings.append("\(operation.id)'s \(which) schema: \(MaxError.wrapping(error).message)")
                    }
                }
            }
            let relationships = live.schema.relationships.count
            return .init(
                id: id, title: title, status: findings.isEmpty ? .passed : .failed,
                summary:
                    "\(live.schema.entities.count) entity types, \(relationships) refs and \(live.operations.count) operations hold together",
                findings: findings,
                figures: [
                    "entityTypes": Double(live.schema.entities.count), "operations": Double(live.operations.count),
                ])
        } catch {
            let error = MaxError.wrapping(error)
            return .init(id: id, title: title, status: .failed, summary: "\(error.code): \(error.message)")
        }
    }

    /// The fault-free full sync every later phase is compared with.
    mutating func baselineSync() async -> CertificationReport.Check {
        let id = "sync.baseline"
        let title = "Baseline sync"
        begin(FaultPlan(.none))
        let outcome = await sync(installation, within: .seconds(600))
        let findings = end()
        guard outcome.completed else {
            return .init(
                id: id, title: title, status: .failed,
                summary: "the sync without faults \(outcome.described)")
        }
        do {
            let (snapshot, _) = try await self.snapshot(installation)
            let stored = snapshot.values.map(\.count).reduce(0, +)
            baseline = (outcome, snapshot, findings.exchanges.count)
            guard stored > 0 else {
                return .init(
                    id: id, title: title, status: .failed,
                    summary: "the sync completed but stored nothing: certify needs a source with data")
            }
            return .init(
                id: id, title: title, status: .passed,
                summary:
                    "completed: \(stored) records of \(snapshot.filter { !$0.value.isEmpty }.count) types from \(findings.exchanges.count) requests in \(String(format: "%.1f", outcome.seconds)) s",
                figures: [
                    "records": Double(stored), "requests": Double(findings.exchanges.count), "seconds": outcome.seconds,
                ])
        } catch {
            let error = MaxError.wrapping(error)
            return .init(id: id, title: title, status: .failed, summary: "reading the store: \(error.message)")
        }
    }

    /// Every value the baseline stored fits its field's declared type.
    func recordsConform() async -> CertificationReport.Check {
        let id = "records.types"
        let title = "Stored values fit"
        do {
            let (snapshot, misfits) = try await self.snapshot(installation)
            let count = snapshot.values.map(\.count).reduce(0, +)
            return .init(
                id: id, title: title, status: misfits.isEmpty ? .passed : .failed,
                summary: misfits.isEmpty
                    ? "every value of \(count) records fits its field's type"
                    : "\(misfits.count) values do not fit their field's type",
                findings: Self.sample(misfits, 10))
        } catch {
            let error = MaxError.wrapping(error)
            return .init(id: id, title: title, status: .failed, summary: "reading the store: \(error.message)")
        }
    }

    /// Each operation refuses an input its schema refuses before reaching the source; with an
    /// example input, its output matches its output schema and a repeated idempotency key does
    /// not reach the source again.
    func operationContracts() async -> CertificationReport.Check {
        let id = "operations.contract"
        let title = "Operation contracts"
        guard !operations.isEmpty else {
            return .init(id: id, title: title, status: .skipped, summary: "the connector declares no operations")
        }
        var findings: [String] = []
        var refused = 0
        var invoked: [String] = []
        var notInvoked: [String] = []
        for operation in operations {
            let key: (String) -> String? = { operation.mutating ? "certify-\($0)-\(UUID().uuidString)" : nil }
            if let bad = Self.refusedInput(operation.input.json) {
                begin(FaultPlan(.none))
                let outcome: Result<InvokeResult, MaxError>
                do {
                    outcome = .success(
                        try await api.invoke(
                            InvokeRequest(
                                installation: installation, operation: operation.id, input: bad,
                                idempotencyKey: key("refused"))))
                } catch {
                    outcome = .failure(MaxError.wrapping(error))
                }
                let requests = end().exchanges.count
                switch outcome {
                case .success:
                    findings.append("\(operation.id) accepted \(bad.jsonText), which its input schema refuses")
                case .failure(let error) where error.category != .validationError:
                    findings.append(
                        "\(operation.id) refused \(bad.jsonText) with \(error.code), not as invalid input: \(error.message)"
                    )
                case .failure:
                    refused += 1
                }
                if requests > 0 {
                    findings.append(
                        "\(operation.id) sent \(requests) requests to the source for an input its schema refuses")
                }
            }
            guard let example = suite.options.examples[operation.id] else {
                notInvoked.append(operation.id)
                continue
            }
            let problems = operation.input.validate(example)
            guard problems.isEmpty else {
                findings.append(
                    "the example given for \(operation.id) does not match its input schema: "
                        + problems.map { "\($0.path) \($0.message)" }.joined(separator: "; "))
                continue
            }
            let idempotencyKey = key("example")
            begin(FaultPlan(.none))
            let first = await invoke(operation, example, idempotencyKey)
            let firstRequests = end().exchanges.count
            switch first {
            case .failure(let error):
                findings.append("\(operation.id) with the example failed: \(error.code): \(error.message)")
                continue
            case .success(let data):
                invoked.append(operation.id)
                for violation in operation.output.validate(data) {
                    findings.append(
                        "\(operation.id)'s output does not match its output schema at \(violation.path): \(violation.message)"
                    )
                }
                if firstRequests == 0 {
                    findings.append("\(operation.id) answered without any request to the source")
                }
                guard operation.supportsIdempotency, let idempotencyKey else { continue }
                begin(FaultPlan(.none))
                let again = await invoke(operation, example, idempotencyKey)
                let againRequests = end().exchanges.count
                if againRequests > 0 {
                    findings.append(
                        "\(operation.id) called again with the same idempotency key reached the source again (\(againRequests) requests)"
                    )
                }
                if case .success(let repeated) = again, repeated != data {
                    findings.append(
                        "\(operation.id) called again with the same idempotency key returned another result")
                } else if case .failure(let error) = again {
                    findings.append(
                        "\(operation.id) called again with the same idempotency key failed: \(error.code): \(error.message)"
                    )
                }
            }
        }
        var summary =
            "\(refused) of \(operations.count) operations refused an invalid input before reaching the source"
        summary += "; \(invoked.count) invoked with an example, outputs checked against their schemas"
        if !notInvoked.isEmpty {
            summary += "; not invoked (no --example): \(notInvoked.joined(separator: ", "))"
        }
        return .init(
            id: id, title: title, status: findings.isEmpty ? .passed : .failed, summary: summary, findings: findings,
            figures: ["operations": Double(operations.count), "invoked": Double(invoked.count)])
    }

    /// Invokes `operation` with `input`; a call that becomes a job is waited for.
    func invoke(_ operation: OperationInfo, _ input: JSONValue, _ key: String?) async -> Result<JSONValue, MaxError> {
        do {
            let result = try await api.invoke(
                InvokeRequest(installation: installation, operation: operation.id, input: input, idempotencyKey: key))
            switch result {
            case .completed(let envelope): return .success(envelope["data"] ?? .null)
            case .enqueued(let job):
                let deadline = ContinuousClock.now + operation.maxTimeout + .seconds(30)
                while ContinuousClock.now < deadline {
                    let info = try await api.job(JobRequest(id: job.id))
                    if info.state == "succeeded" { return .success(info.result?["data"] ?? info.result ?? .null) }
                    if ["failed", "canceled"].contains(info.state) {
                        return .failure(
                            MaxError(
                                .operationOutcomeUnknown, "the job \(info.id) ended \(info.state): \(info.error ?? "")")
                        )
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
                return .failure(MaxError(.operationTimeout, "the job \(job.id) did not end in time"))
            }
        } catch {
            return .failure(MaxError.wrapping(error))
        }
    }

    /// An input `schema` refuses: an empty object when members are required, else a declared
    /// member of the wrong type, else an unexpected member when none may be added; `nil` when the
    /// schema accepts anything.
    static func refusedInput(_ schema: JSONValue) -> JSONValue? {
        if let required = schema["required"]?.arrayValue, !required.isEmpty { return [:] }
        for (name, property) in (schema["properties"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            switch property["type"]?.stringValue {
            case "string": return [name: 12345]
            case "integer", "number": return [name: "not a number"]
            case "boolean": return [name: "no"]
            case "object", "array": return [name: 1]
            default: continue
            }
        }
        if schema["additionalProperties"]?.boolValue == false { return ["__max_certify_unexpected": true] }
        return nil
    }
}
