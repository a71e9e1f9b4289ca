public import MaxCore

extension Endpoint {
    /// The endpoint's parameters, the properties of its request type.
    public var parameters: [APIParameter] {
        let installation = APIParameter(
            "installation", .string, in: .path, required: true,
            "The installation's name, as max_ls lists it (for example \"acme\").")
        let entityType = APIParameter(
            "entityType", .string, required: true,
            "The entity type, as max_schema lists it (for example \"AcmeTask\").")
        let filter = APIParameter("filter", .string, Self.filterGrammar)
        let includeDeleted = APIParameter("includeDeleted", .boolean, "Include entities deleted upstream.")
        let job = APIParameter("id", .string, in: .path, required: true, "The job's id, as max_jobs lists it.")
        switch self {
        case .installations: return []
        case .installation, .schema, .operations, .credentials: return [installation]
        case .status:
            return [installation, APIParameter("timeout", .integer(1...300), "Seconds to wait for the source (10).")]
        case .search:
            return [
                installation, entityType, filter,
                APIParameter(
                    "fields", .string,
                    "Comma-separated fields to return (title,status; a ref's target's field as assignee.displayName), or .props (all fields, the default), .meta (_id and timestamps), .all."
                ),
                APIParameter(
                    "orderBy", .string, "Comma-separated field[:asc|desc] (updatedAt:desc,title); _id breaks ties."),
                APIParameter(
                    "limit", .integer(1...SearchPage.maximumLimit),
                    "Records per page (default \(SearchRequest.defaultLimit), at most \(SearchPage.maximumLimit))."),
                APIParameter("cursor", .string, "The cursor a previous page returned."), includeDeleted,
            ]
        case .count:
            return [
                installation, entityType, filter, includeDeleted,
                APIParameter(
                    "groupBy", .string,
                    "Comma-separated fields to count by (status; a ref's target's field as assignee.displayName): the answer's groups give each combination's count, most first."
                ),
            ]
        case .sql:
            return [
                APIParameter(
                    "query", .string, required: true,
                    "One SELECT (or WITH … SELECT), for example: SELECT status, count(*) AS n FROM AcmeTask GROUP BY status ORDER BY n DESC"
                ),
                APIParameter(
                    "installations", .string,
                    "The installations to read, comma-separated (acme,github); every installation of the node when absent."
                ),
                APIParameter(
                    "maxRows", .integer(1...SQLRequest.maximumMaxRows),
                    "The most rows to return (\(SQLRequest.defaultMaxRows)); more is the error sql.too_many_rows: add a LIMIT or aggregate."
                ),
                APIParameter(
                    "timeout", .integer(1...SQLRequest.maximumTimeout),
                    "Seconds the statement may run (\(SQLRequest.defaultTimeout)); longer is the error sql.timeout."),
            ]
        case .runs: return [installation, APIParameter("limit", .integer(1...1000), "How many runs (20).")]
        case .sync:
            return [
                installation, APIParameter("full", .boolean, "Read everything again instead of only the changes."),
                APIParameter("restart", .boolean, "Discard an unfinished run instead of resuming it."),
            ]
        case .invoke:
            return [
                installation,
                APIParameter(
                    "operation", .string, in: .path, required: true, "The operation's id, as max_ops lists it."),
                APIParameter(
                    "input", .object, in: .body, required: true,
                    "The input, valid against the operation's input schema."),
                APIParameter(
                    "idempotencyKey", .string, in: .header("Idempotency-Key"),
                    "A key (1 to 255 characters) that makes a repeated call return the first call's result instead of acting twice."
                ),
                APIParameter("async", .boolean, "Queue the call as a job and return at once."),
            ]
        case .jobs:
            return [
                APIParameter("installation", .string, "Only this installation's jobs."),
                APIParameter(
                    "state", .oneOf(["pending", "running", "succeeded", "failed", "canceled"]),
                    "Only jobs in this state."),
                APIParameter("dead", .boolean, "Only the dead-letter list (failed with no attempt left)."),
            ]
        case .job, .cancelJob, .retryJob: return [job]
        case .validate: return []
        case .diff, .apply:
            var parameters = [
                APIParameter(
                    "prune", .boolean, "Remove the runtime folders of installations max.json no longer declares."),
                APIParameter(
                    "spec", .object, in: .body,
                    "Connector documents to merge into max.json first (apiVersion max/v1alpha1, kind Connector; or kind List with items); secrets as references only."
                ),
            ]
            if self == .apply {
                parameters.insert(
                    APIParameter("verify", .boolean, "Check each enabled installation's source after (true)."), at: 1)
            }
            return parameters
        case .audit:
            return [
                APIParameter("installation", .string, "Only this installation's events."),
                APIParameter("filter", .string, "A filter over the events' fields (operation, outcome, caller…)."),
                APIParameter("limit", .integer(1...1000), "How many events (50)."),
            ]
        }
    }

    /// The MCP tool's input schema: an object of the parameters, no others.
    public var inputSchema: JSONValue {
        var properties: [String: JSONValue] = [:]
        for parameter in parameters { properties[parameter.name] = parameter.jsonSchema }
        var schema: [String: JSONValue] = [
            "type": "object", "properties": .object(properties), "additionalProperties": false,
        ]
        let required = parameters.filter(\.isRequired).map { JSONValue.string($0.name) }
        if !required.isEmpty { schema["required"] = .array(required) }
        return .object(schema)
    }

    static let filterGrammar = """
        A filter expression over the entity type's fields (see max_schema): comparisons field = value, !=, >, >=, <, <=, \
        ~= (contains, any case), field IN ("a", "b"), field IS NULL, field IS NOT NULL, combined with AND, OR, NOT and \
        parentheses. Strings are "double" or 'single' quoted; numbers and true/false bare; dates compare with ISO-8601 \
        strings ("2026-12-01"); refs with the target's id. A name with dots follows refs and collections to the \
        target's fields (assignee.role = "admin", project.owner.email ~= "@acme"; a collection holds when any member \
        does). Example: status = "todo" AND (priority IN ("high", "critical") OR dueDate < "2026-12-01").
        """
}
