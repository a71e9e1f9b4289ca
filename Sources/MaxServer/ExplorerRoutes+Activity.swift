import Foundation
import Hummingbird
import MaxCore
import MaxPages
import MaxRuntime

/// The explorer's views of what happened: an installation's runs (charted), the project's jobs,
/// and the audit log.
extension ExplorerRoutes {
    func addActivity(to router: Router<MaxRequestContext>) {
        let explorer = self
        router.get("ui/i/:installation/runs") { request, context in
            let installation = try context.parameters.require("installation")
            return try await explorer.page(request) { session in try await explorer.runs(installation, session) }
        }
        router.get("ui/jobs") { request, _ in
            try await explorer.page(request) { session in try await explorer.jobs(session) }
        }
        router.get("ui/audit") { request, _ in
            let query = Self.fields(request.uri.query ?? "")
            return try await explorer.page(request) { session in
                try await explorer.audit(query["filter"] ?? "", session)
            }
        }
    }

    func runs(_ name: String, _ session: SignedIn) async throws -> ExplorerPage {
        try await allow(.runs, session, installation: name)
        let runs = try await api.runs(RunsRequest(installation: name, limit: 60)).runs
        let rows = runs.map { run in
            Runs.Row(
                id: run.id, kind: run.kind, status: run.status, started: Self.time(run.startedAt),
                duration: run.durationMs.map(Chart.duration) ?? "", entities: Self.number(run.entities),
                requests: "\(Self.number(run.requests)) · \(run.retries) · \(run.rateLimited)", error: run.error)
        }
        let finished = runs.reversed().filter { $0.durationMs != nil }
        let chart =
            finished.isEmpty
            ? nil
            : Chart(
                runs: finished.map { run in
                    (
                        label:
                            "\(Self.time(run.startedAt)): \(Self.number(run.entities)) entities in \(Chart.duration(run.durationMs ?? 0)), \(run.status)",
                        entities: run.entities, milliseconds: run.durationMs ?? 0,
                        failed: !["completed", "partial"].contains(run.status)
                    )
                })
        let crumbs = [Link("Installations", href: "/"), Link(name, href: Self.path(name))]
        return .runs(Runs(frame: session.frame("Runs of \(name)", crumbs), chart: chart, rows: rows))
    }

    func jobs(_ session: SignedIn) async throws -> ExplorerPage {
        try await allow(.jobs, session)
        let jobs = try await api.jobs(JobsRequest()).jobs
        let rows = jobs.map { job in
            Table.Row(cells: [
                Link(job.id), Link(job.installation, href: Self.path(job.installation)), Link(job.operation),
                Link(job.state + (job.dead ? " (dead)" : "")), Link("\(job.attempts)/\(job.maxAttempts)"),
                Link(Self.time(job.createdAt)), Link(job.error ?? ""),
            ])
        }
        return .listing(
            Listing(
                frame: session.frame("Jobs", [Link("Installations", href: "/")]),
                columns: ["Job", "Installation", "Operation", "State", "Attempts", "Queued", "Error"], rows: rows,
                empty: "No job: a call queued with --async (or an async operation) is one."))
    }

    func audit(_ filter: String, _ session: SignedIn) async throws -> ExplorerPage {
        try await allow(.audit, session)
        let frame = session.frame("Audit", [Link("Installations", href: "/")])
        let columns = ["at", "installation", "operation", "mode", "outcome", "durationMs", "caller", "errorCode"]
        do {
            let page = try await api.audit(AuditRequest(filter: filter.isEmpty ? nil : filter, limit: 200))
            let rows = page.records.map { record in
                Table.Row(cells: columns.map { Self.links(record[$0] ?? .null, "").first ?? Link("") })
            }
            return .listing(
                Listing(
                    frame: frame, filter: filter, action: "/ui/audit", columns: columns, rows: rows,
                    empty: "No event matches."))
        } catch let error as MaxError where error.category == .validationError {
            return .listing(
                Listing(
                    frame: frame, filter: filter, action: "/ui/audit", columns: columns, rows: [],
                    error: Self.inputError(error), empty: ""))
        }
    }
}
