public import MaxConnector
public import MaxCore

extension Endpoint {
    /// Calls the endpoint on `api` with `arguments` (a JSON object of its parameters), as `max serve`
    /// and MCP do.
    ///
    /// - Parameters:
    ///   - api: The node.
    ///   - arguments: The request's parameters by name.
    ///   - observer: Told of a sync's events, when the endpoint syncs in this process.
    /// - Returns: The typed result with its status and a line for people.
    /// - Throws: `api.invalid_request` for arguments that do not make a request; the call's errors.
    public func call(
        on api: any MaxAPI, arguments: JSONValue, observer: @escaping @Sendable (SyncEvent) -> Void = { _ in }
    ) async throws -> APIAnswer {
        func request<T: Decodable>(_ type: T.Type) throws -> T { try APICoding.request(type, from: arguments) }
        func answer(_ value: some Encodable & Sendable, _ text: String) -> APIAnswer {
            APIAnswer(value: value, status: 200, location: nil, text: text)
        }
        func plural(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
        switch self {
        case .installations:
            let list = try await api.installations(NoParameters())
            return answer(
                list,
                list.installations.isEmpty
                    ? "No installations."
                    : list.installations.map { "\($0.name): \($0.status)" }.joined(separator: "\n"))
        case .installation:
            let summary = try await api.installation(try request(InstallationRequest.self))
            return answer(summary, "\(summary.name): \(summary.status)")
        case .schema:
            let schema = try await api.schema(try request(InstallationRequest.self))
            return answer(
                schema,
                schema.entities.map { "\($0.name): " + $0.fields.map(\.name).joined(separator: ", ") }
                    .joined(separator: "\n"))
        case .status:
            let health = try await api.status(try request(StatusRequest.self))
            return answer(health, "\(health.name): \(health.status)" + (health.reason.map { " (\($0))" } ?? ""))
        case .search:
            let page = try await api.search(try request(SearchRequest.self))
            return answer(
                page,
                plural(page.records.count, "\(page.entityType) record")
                    + (page.hasMore ? "; more follow (pass the cursor)" : ""))
        case .count:
            let count = try await api.count(try request(CountRequest.self))
            return answer(count, "\(count.count)")
        case .sql:
            let result = try await api.sql(try request(SQLRequest.self))
            return answer(result, plural(result.rows.count, "row"))
        case .runs:
            let runs = try await api.runs(try request(RunsRequest.self))
            return answer(runs, plural(runs.runs.count, "run"))
        case .sync:
            let summary = try await api.sync(try request(SyncRequest.self), observer: observer)
            return answer(summary, "synced: \(summary.totalEntities) entities, \(summary.status)")
        case .operations:
            let list = try await api.operations(try request(InstallationRequest.self))
            return answer(
                list,
                list.operations.map { "\($0["id"]?.stringValue ?? ""): \($0["description"]?.stringValue ?? "")" }
                    .joined(separator: "\n"))
        case .invoke:
            switch try await api.invoke(try request(InvokeRequest.self)) {
            case .completed(let envelope):
                return answer(InvokeResult.completed(envelope: envelope), envelope["data"]?.jsonText ?? "null")
            case .enqueued(let job):
                return APIAnswer(
                    value: InvokeResult.enqueued(job), status: 202, location: "/v1/jobs/\(job.id)",
                    text: "queued as \(job.id)")
            }
        case .credentials:
            let list = try await api.credentials(try request(InstallationRequest.self))
            return answer(list, list.credentials.map { "\($0.key): \($0.source)" }.joined(separator: "\n"))
        case .jobs:
            let jobs = try await api.jobs(try request(JobsRequest.self))
            return answer(jobs, plural(jobs.jobs.count, "job"))
        case .job:
            let job = try await api.job(try request(JobRequest.self))
            return answer(job, "\(job.id): \(job.state)")
        case .cancelJob:
            let job = try await api.cancelJob(try request(JobRequest.self))
            return answer(job, "\(job.id): \(job.state)" + (job.cancelRequested == true ? " (cancel requested)" : ""))
        case .retryJob:
            let job = try await api.retryJob(try request(JobRequest.self))
            return answer(job, "\(job.id): \(job.state)")
        case .audit:
            let page = try await api.audit(try request(AuditRequest.self))
            return answer(page, plural(page.records.count, "event"))
        case .validate:
            let list = try await api.validate(try request(NoParameters.self))
            return answer(
                list,
                list.problems.isEmpty
                    ? "max.json is valid: \(plural(list.installations, "installation"))"
                    : list.problems.map { "\($0.path): \($0.error.message)" }.joined(separator: "\n"))
        case .diff, .apply:
            let arguments = try request(ApplyRequest.self)
            let plan = try await self == .diff ? api.diff(arguments) : api.apply(arguments)
            var lines = plan.changes.map(\.description)
            lines += plan.checks.map { "\($0.installation): \($0.status)" + ($0.reason.map { " (\($0))" } ?? "") }
            return answer(plan, lines.isEmpty ? "Nothing to change" : lines.joined(separator: "\n"))
        }
    }
}
