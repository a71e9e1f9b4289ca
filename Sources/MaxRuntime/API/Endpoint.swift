/// Every call a Max node answers: its HTTP method and path, its MCP tool, its parameters, and the
/// ``PolicyAction`` a caller needs, declared here once for every front end.
///
/// `max serve` registers one route per endpoint, MCP offers one tool per endpoint with a tool, and
/// ``RemoteNode`` calls another node through the same routes. Each property is an exhaustive
/// `switch`: an endpoint added without its action does not compile.
public enum Endpoint: String, CaseIterable, Sendable {
    /// `GET /v1/installations`.
    case installations
    /// `GET /v1/installations/:installation`.
    case installation
    /// `GET /v1/installations/:installation/schema`.
    case schema
    /// `GET /v1/installations/:installation/status`.
    case status
    /// `GET /v1/installations/:installation/search`.
    case search
    /// `GET /v1/installations/:installation/count`.
    case count
    /// `GET /v1/sql`.
    case sql
    /// `GET /v1/installations/:installation/runs`.
    case runs
    /// `POST /v1/installations/:installation/sync`.
    case sync
    /// `GET /v1/installations/:installation/operations`.
    case operations
    /// `POST /v1/installations/:installation/operations/:operation`.
    case invoke
    /// `GET /v1/installations/:installation/credentials`.
    case credentials
    /// `GET /v1/jobs`.
    case jobs
    /// `GET /v1/jobs/:id`.
    case job
    /// `POST /v1/jobs/:id/cancel`.
    case cancelJob
    /// `POST /v1/jobs/:id/retry`.
    case retryJob
    /// `GET /v1/audit`.
    case audit
    /// `GET /v1/project/validate`.
    case validate
    /// `POST /v1/project/diff` (it changes nothing: POST only to carry documents).
    case diff
    /// `POST /v1/project/apply`.
    case apply

    /// `GET` or `POST`.
    public var method: String {
        switch self {
        case .sync, .invoke, .cancelJob, .retryJob, .diff, .apply: "POST"
        case .installations, .installation, .schema, .status, .search, .count, .sql, .runs, .operations, .credentials,
            .jobs, .job, .audit, .validate:
            "GET"
        }
    }

    /// The path template; `:name` segments are ``APIParameter/Location/path`` parameters.
    public var path: String {
        switch self {
        case .installations: "/v1/installations"
        case .installation: "/v1/installations/:installation"
        case .schema: "/v1/installations/:installation/schema"
        case .status: "/v1/installations/:installation/status"
        case .search: "/v1/installations/:installation/search"
        case .count: "/v1/installations/:installation/count"
        case .sql: "/v1/sql"
        case .runs: "/v1/installations/:installation/runs"
        case .sync: "/v1/installations/:installation/sync"
        case .operations: "/v1/installations/:installation/operations"
        case .invoke: "/v1/installations/:installation/operations/:operation"
        case .credentials: "/v1/installations/:installation/credentials"
        case .jobs: "/v1/jobs"
        case .job: "/v1/jobs/:id"
        case .cancelJob: "/v1/jobs/:id/cancel"
        case .retryJob: "/v1/jobs/:id/retry"
        case .audit: "/v1/audit"
        case .validate: "/v1/project/validate"
        case .diff: "/v1/project/diff"
        case .apply: "/v1/project/apply"
        }
    }

    /// The action a caller needs: a serve token's scope, or what `max mcp` was started allowing.
    public var action: PolicyAction {
        switch self {
        case .installations, .installation, .schema, .status, .operations, .validate, .diff: .catalogRead
        case .search, .count, .sql, .runs, .jobs, .job, .audit: .operationRead
        case .sync, .apply: .instanceManage
        case .invoke, .cancelJob, .retryJob: .operationInvoke
        case .credentials: .credentialManage
        }
    }

    /// Whether the endpoint changes something (a sync, a call, a job): never offered to a caller
    /// that may only read.
    public var isMutating: Bool { method != "GET" && self != .diff }

    /// The MCP tool's name, or `nil` when agents are not offered the endpoint.
    public var toolName: String? {
        switch self {
        case .installations: "max_ls"
        case .schema: "max_schema"
        case .status: "max_status"
        case .search: "max_search"
        case .count: "max_count"
        case .sql: "max_sql"
        case .runs: "max_runs"
        case .sync: "max_sync"
        case .operations: "max_ops"
        case .invoke: "max_invoke"
        case .jobs: "max_jobs"
        case .job: "max_job"
        case .cancelJob: "max_job_cancel"
        case .retryJob: "max_job_retry"
        case .audit: "max_audit"
        case .validate: "max_validate"
        case .diff: "max_diff"
        case .apply: "max_apply"
        // `max_ls` already says it; names of credentials are for people.
        case .installation, .credentials: nil
        }
    }

    /// The endpoint of an MCP tool.
    public init?(toolName: String) {
        guard let endpoint = Self.allCases.first(where: { $0.toolName == toolName }) else { return nil }
        self = endpoint
    }

    /// What the endpoint does, for agents (the MCP tool's description) and docs.
    public var summary: String {
        switch self {
        case .installations:
            "List the project's installations (connected sources) with their connector, sync status, last sync time and number of stored entities. Start here."
        case .installation: "One installation's connector, sync status, last sync time and number of stored entities."
        case .schema:
            "The entity types of an installation (or a connector) with their fields and types, roots and relationships: what max_search and max_count can filter, select and order by."
        case .status:
            "Ask an installation's source whether it is reachable and accepts the credentials (within the timeout, 10 s by default), beside what its local syncs say."
        case .search:
            "Search an installation's local copy of its source: instant, no API calls. Returns one page of records; pass the returned cursor to get the next. Prefer max_count first when you only need how many."
        case .count: "Count an installation's local records of one entity type that match a filter (or all)."
        case .sql:
            "Run one read-only SQL statement (SQLite's dialect; PostgreSQL's on a project that stores there) over the local data of one or more installations: joins, GROUP BY, aggregates, JSON functions. Each entity type is a view named after it (AcmeTask), also as installation.Type (acme.AcmeTask) to join installations; a collection field is a view Type_field (owner_id, member_id). Columns: _id, the fields (dates as ISO-8601 text, refs as the target's _id, JSON as text), _synced_at, _deleted_at, _deleted. Entities deleted upstream appear only when the statement names _deleted or _deleted_at. No writes; limited rows and time. Use max_schema for the fields."
        case .runs: "An installation's recent syncs, newest first: kind, status, times, entities, requests, errors."
        case .sync:
            "Sync an installation from its source now (it calls the source's API). Only with the user's consent. Incremental after a first full sync unless full is true."
        case .operations: "The operations (actions) an installation offers, each with its input JSON Schema."
        case .invoke:
            "Run an operation of an installation (it changes the source when the operation is mutating). Only with the user's consent. Give an idempotencyKey so a retry never acts twice."
        case .credentials: "The names of an installation's credentials and where each comes from; never a value."
        case .jobs: "Async operation jobs, newest first, with their state and result."
        case .job: "One async operation job, with its state and result."
        case .cancelJob:
            "Cancel an async operation job: a pending one at once, a running one between attempts. Only with the user's consent."
        case .retryJob:
            "Queue a failed or canceled async operation job again with a fresh set of attempts. Only with the user's consent."
        case .audit:
            "Audit events (operations called, syncs, credential changes), newest first, of one installation or all."
        case .validate:
            "Check the project's max.json and every installation (connector, config against its schema, schedules, policies, credentials present) and list every problem with its JSON path. Changes nothing."
        case .diff:
            "What max_apply would change to make the project's runtime match max.json (and, given Connector documents, max.json match them): folders to create, connector upgrades with their config migrations, configs changed by hand, credentials missing. Changes nothing."
        case .apply:
            "Converge the project to max.json, after merging the Connector documents given (secrets as references only), then check each enabled installation's source. Only with the user's consent."
        }
    }
}
