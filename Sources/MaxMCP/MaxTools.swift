import Foundation
import MaxConnector
import MaxCore
import MaxRuntime
import MaxStorage
import MaxSync

/// The tools Max offers agents, each a handler over the ``MaxFacade``.
///
/// Each has a name, a description and a JSON Schema an agent can follow without reading docs.
/// Mutating tools exist only when the server was started allowing them.
struct MaxTools: Sendable {
    /// One tool.
    struct Tool: Sendable {
        let name: String
        let description: String
        let inputSchema: JSONValue
        let run: @Sendable (JSONValue) async throws -> (structured: JSONValue, text: String)

        /// The policy action a caller needs for it (over HTTP, the token's scope must hold it).
        var action: PolicyAction {
            switch name {
            case "max_search", "max_count", "max_runs", "max_jobs": .operationRead
            case "max_sync": .instanceManage
            case "max_invoke": .operationInvoke
            default: .catalogRead
            }
        }
    }

    let facade: MaxFacade
    let allowSync: Bool
    let allowOperations: Bool
    /// Who calls, for the audit log of syncs and operations.
    var caller = "mcp"

    static let filterGrammar = """
        A filter expression over the entity type's fields (see max_schema): comparisons field = value, !=, >, >=, <, <=, \
        ~= (contains, any case), field IN ("a", "b"), field IS NULL, field IS NOT NULL, combined with AND, OR, NOT and \
        parentheses. Strings are "double" or 'single' quoted; numbers and true/false bare; dates compare with ISO-8601 \
        strings ("2026-12-01"); refs with the target's id. Example: status = "todo" AND (priority IN ("high", "critical") \
        OR dueDate < "2026-12-01").
        """

    static let installationProperty: JSONValue = [
        "type": "string", "description": "The installation's name, as max_ls lists it (for example \"acme\").",
    ]
    static let entityTypeProperty: JSONValue = [
        "type": "string", "description": "The entity type, as max_schema lists it (for example \"AcmeTask\").",
    ]

    /// The tools this server offers.
    var all: [Tool] {
        var tools = [ls, schema, search, count, status, runs]
        if allowSync { tools.append(sync) }
        if allowOperations { tools += [ops, invoke, jobs] }
        return tools
    }

    var ls: Tool {
        Tool(
            name: "max_ls",
            description:
                "List the project's installations (connected sources) with their connector, sync status, last sync time and number of stored entities. Start here.",
            inputSchema: ["type": "object", "properties": [:], "additionalProperties": false]
        ) { _ in
            var rows: [JSONValue] = []
            for (name, record) in try facade.workspace.installations() {
                do {
                    rows.append(try await facade.summary(of: name))
                } catch let error as MaxError {
                    rows.append([
                        "name": .string(name), "connector": .string(record.connector), "status": "error",
                        "error": .string("\(error.code): \(error.message)"),
                    ])
                }
            }
            let text =
                rows.isEmpty
                ? "No installations."
                : rows.map { "\($0["name"]?.stringValue ?? ""): \($0["status"]?.stringValue ?? "")" }
                    .joined(separator: "\n")
            return (["installations": .array(rows)], text)
        }
    }

    var schema: Tool {
        Tool(
            name: "max_schema",
            description:
                "The entity types of an installation (or a connector) with their fields and types, roots and relationships: what max_search and max_count can filter, select and order by.",
            inputSchema: [
                "type": "object", "required": ["installation"],
                "properties": ["installation": Self.installationProperty], "additionalProperties": false,
            ]
        ) { arguments in
            let schema = try await MaxFacade.schema(
                of: arguments["installation"]?.stringValue ?? "", in: facade.workspace)
            let text = schema.entities.map { "\($0.name): " + $0.fields.map(\.name).joined(separator: ", ") }
                .joined(separator: "\n")
            return (MaxFacade.json(schema), text)
        }
    }

    var search: Tool {
        Tool(
            name: "max_search",
            description:
                "Search an installation's local copy of its source: instant, no API calls. Returns one page of records; pass the returned cursor to get the next. Prefer max_count first when you only need how many.",
            inputSchema: [
                "type": "object", "required": ["installation", "entityType"],
                "properties": [
                    "installation": Self.installationProperty, "entityType": Self.entityTypeProperty,
                    "filter": ["type": "string", "description": .string(Self.filterGrammar)],
                    "fields": [
                        "type": "string",
                        "description":
                            "Comma-separated fields to return (title,status), or .props (all fields, the default), .meta (_id and timestamps), .all.",
                    ],
                    "orderBy": [
                        "type": "string",
                        "description": "Comma-separated field[:asc|desc] (updatedAt:desc,title); _id breaks ties.",
                    ],
                    "limit": [
                        "type": "integer", "minimum": 1, "maximum": 1000, "default": 50,
                        "description": "Records per page (default 50, at most 1000).",
                    ],
                    "cursor": ["type": "string", "description": "The cursor a previous page returned."],
                ],
                "additionalProperties": false,
            ]
        ) { arguments in
            let page = try await facade.search(
                .init(
                    installation: arguments["installation"]?.stringValue ?? "",
                    entityType: arguments["entityType"]?.stringValue ?? "",
                    filter: arguments["filter"]?.stringValue, fields: arguments["fields"]?.stringValue,
                    orderBy: arguments["orderBy"]?.stringValue, limit: arguments["limit"]?.intValue ?? 50,
                    cursor: arguments["cursor"]?.stringValue))
            var result: [String: JSONValue] = [
                "entityType": .string(page.entityType), "data": .array(page.records.map(\.jsonObject)),
                "hasMore": .bool(page.hasMore),
            ]
            if let cursor = page.cursor { result["cursor"] = .string(cursor) }
            let text =
                "\(page.records.count) \(page.entityType) record\(page.records.count == 1 ? "" : "s")"
                + (page.hasMore ? "; more follow (pass the cursor)" : "")
            return (.object(result), text)
        }
    }

    var count: Tool {
        Tool(
            name: "max_count",
            description: "Count an installation's local records of one entity type that match a filter (or all).",
            inputSchema: [
                "type": "object", "required": ["installation", "entityType"],
                "properties": [
                    "installation": Self.installationProperty, "entityType": Self.entityTypeProperty,
                    "filter": ["type": "string", "description": .string(Self.filterGrammar)],
                ],
                "additionalProperties": false,
            ]
        ) { arguments in
            let count = try await facade.count(
                installation: arguments["installation"]?.stringValue ?? "",
                entityType: arguments["entityType"]?.stringValue ?? "", filter: arguments["filter"]?.stringValue)
            return (["count": .int(count)], "\(count)")
        }
    }

    var status: Tool {
        Tool(
            name: "max_status",
            description:
                "Ask an installation's source whether it is reachable and accepts the credentials (within 10 s), beside what its local syncs say.",
            inputSchema: [
                "type": "object", "required": ["installation"],
                "properties": ["installation": Self.installationProperty], "additionalProperties": false,
            ]
        ) { arguments in
            let name = arguments["installation"]?.stringValue ?? ""
            let state = try await facade.localState(of: name)
            let health = try await facade.health(of: name, seconds: 10)
            var result: [String: JSONValue] = [
                "name": .string(name), "status": .string(health.name), "sync": .string(state.status),
            ]
            if let reason = health.reason { result["reason"] = .string(reason) }
            if case .credentialExpired = health {
                result["hint"] = .string("the user must re-authenticate: \(MaxError.reauthenticateCommand(name))")
            }
            return (.object(result), "\(name): \(health.name)" + (health.reason.map { " (\($0))" } ?? ""))
        }
    }

    var runs: Tool {
        Tool(
            name: "max_runs",
            description:
                "An installation's recent syncs, newest first: kind, status, times, entities, requests, errors.",
            inputSchema: [
                "type": "object", "required": ["installation"],
                "properties": [
                    "installation": Self.installationProperty,
                    "limit": ["type": "integer", "minimum": 1, "maximum": 1000, "default": 20],
                ],
                "additionalProperties": false,
            ]
        ) { arguments in
            let runs = try await facade.runs(
                installation: arguments["installation"]?.stringValue ?? "", limit: arguments["limit"]?.intValue ?? 20)
            let rows = runs.map(MaxFacade.json)
            return (["runs": .array(rows)], "\(rows.count) run\(rows.count == 1 ? "" : "s")")
        }
    }

    var sync: Tool {
        Tool(
            name: "max_sync",
            description:
                "Sync an installation from its source now (it calls the source's API). Only with the user's consent. Incremental after a first full sync unless full is true.",
            inputSchema: [
                "type": "object", "required": ["installation"],
                "properties": [
                    "installation": Self.installationProperty,
                    "full": ["type": "boolean", "default": false, "description": "Read everything again."],
                ],
                "additionalProperties": false,
            ]
        ) { arguments in
            let name = arguments["installation"]?.stringValue ?? ""
            let summary = try await facade.sync(name, full: arguments["full"]?.boolValue ?? false, caller: caller)
            return (
                MaxFacade.json(summary), "synced \(name): \(summary.totalEntities) entities, \(summary.status)"
            )
        }
    }

    var ops: Tool {
        Tool(
            name: "max_ops",
            description: "The operations (actions) an installation offers, each with its input JSON Schema.",
            inputSchema: [
                "type": "object", "required": ["installation"],
                "properties": ["installation": Self.installationProperty], "additionalProperties": false,
            ]
        ) { arguments in
            let name = arguments["installation"]?.stringValue ?? ""
            let described = try await facade.operationsJSON(of: name)
            return (
                described,
                (described["operations"]?.arrayValue ?? []).map { operation in
                    "\(operation["id"]?.stringValue ?? ""): \(operation["description"]?.stringValue ?? "")"
                }.joined(separator: "\n")
            )
        }
    }

    var invoke: Tool {
        Tool(
            name: "max_invoke",
            description:
                "Run an operation of an installation (it changes the source when the operation is mutating). Only with the user's consent. Give an idempotencyKey so a retry never acts twice.",
            inputSchema: [
                "type": "object", "required": ["installation", "operation", "input"],
                "properties": [
                    "installation": Self.installationProperty,
                    "operation": ["type": "string", "description": "The operation's id, as max_ops lists it."],
                    "input": [
                        "type": "object", "description": "The input, valid against the operation's input schema.",
                    ],
                    "idempotencyKey": ["type": "string", "minLength": 1, "maxLength": 255],
                ],
                "additionalProperties": false,
            ]
        ) { arguments in
            let request = OperationInvoker.Request(
                installation: arguments["installation"]?.stringValue ?? "",
                operation: arguments["operation"]?.stringValue ?? "", input: arguments["input"] ?? [:],
                idempotencyKey: arguments["idempotencyKey"]?.stringValue)
            if let remote = try await facade.workspace.remote(request.installation) {
                // Run by the installation's own node, which validates and audits it.
                let answer = try await MaxFacade.invoke(request, on: remote)
                return (
                    answer, answer["data"]?.jsonText ?? "queued on \(remote.url) as \(answer["id"]?.stringValue ?? "?")"
                )
            }
            let outcome = try await facade.invoke(request, caller: caller)
            switch outcome {
            case .completed(let envelope): return (MaxFacade.json(outcome), envelope.data.jsonText)
            case .enqueued(let job):
                // This process is `max mcp`: the runner is `max jobs work`, as after `max invoke`.
                JobRunner.startInBackground(for: facade.workspace.project)
                return (MaxFacade.json(outcome), "queued as \(job.id)")
            }
        }
    }

    var jobs: Tool {
        Tool(
            name: "max_jobs",
            description: "Async operation jobs, newest first, with their state and result.",
            inputSchema: [
                "type": "object",
                "properties": [
                    "installation": Self.installationProperty,
                    "state": ["enum": ["pending", "running", "succeeded", "failed", "canceled"]],
                ],
                "additionalProperties": false,
            ]
        ) { arguments in
            let rows = try facade.jobs(
                installation: arguments["installation"]?.stringValue,
                state: arguments["state"]?.stringValue.flatMap(JobRecord.State.init)
            ).map(MaxFacade.json)
            return (["jobs": .array(rows)], "\(rows.count) job\(rows.count == 1 ? "" : "s")")
        }
    }
}
