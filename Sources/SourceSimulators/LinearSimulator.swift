public import Foundation
public import MaxCore
import Synchronization

/// Linear's GraphQL API (`POST /graphql`), in memory, as its public documentation describes it.
///
/// - Personal API keys are sent as `Authorization: <key>`, OAuth tokens as `Bearer <token>`; a
///   wrong one is answered with an `AUTHENTICATION_ERROR`.
/// - The connections `teams`, `users`, `projects`, `cycles`, `issues` and `comments` take `first`
///   (at most 250), `after`, `includeArchived`, and `filter: {updatedAt: {gt: $since}}`, and answer
///   `{nodes, pageInfo {hasNextPage, endCursor}}` (Relay). An archived issue is listed only with
///   `includeArchived: true`, with its `archivedAt`.
/// - Mutations `issueCreate(input:)` and `issueUpdate(id:, input:)` answer `{success, issue}`.
/// - Every answer carries `X-RateLimit-Requests-Limit`, `-Remaining` and `-Reset` (UTC epoch
///   milliseconds) and the complexity headers; past the limit a request is answered, with HTTP 200,
///   by an error whose `extensions.code` is `RATELIMITED`, and counted as a violation.
///
/// The simulator recognises which connection or mutation a document asks for by its name and
/// answers with every field it knows, whatever the selection: enough for a client that selects
/// from these fields.
public final class LinearSimulator: SimulatedService {
    /// How much data, and which limits.
    public struct Options: Sendable {
        /// The key the API accepts.
        public var apiKey = "lin_api_simulated000000000000000000000000"
        /// The seed.
        public var seed: UInt64 = 1
        /// Teams.
        public var teams = 2
        /// Users.
        public var users = 5
        /// Projects.
        public var projects = 3
        /// Cycles per team.
        public var cyclesPerTeam = 2
        /// Issues in all.
        public var issues = 60
        /// Comments in all.
        public var comments = 40
        /// Requests per window; `nil` for 1,500 an hour.
        public var requestsPerWindow: Int?
        /// The window's length in milliseconds.
        public var windowMilliseconds = 3_600_000
        /// Requests (counted from 1) answered `RATELIMITED` as if the window were spent.
        public var rateLimitedOn: Set<Int> = []

        /// The defaults.
        public init() {}
    }

    struct State {
        var tables: [String: [[String: JSONValue]]] = [:]
        var windowStart: Int64?
        var used = 0
        var violations = 0
        var log: [(operation: String, variables: JSONValue, records: Int)] = []
        var next = 0
        var requests = 0
    }

    /// The options.
    public let options: Options
    private let state: Mutex<State>

    /// Creates a simulator with data generated from `options.seed`.
    public init(_ options: Options = Options()) {
        self.options = options
        state = Mutex(Self.generate(options))
    }

    /// The records of a connection (`issues`), archived ones included.
    public func records(_ connection: String) -> [JSONValue] {
        state.withLock { ($0.tables[connection] ?? []).map(JSONValue.object) }
    }

    /// Requests that arrived while the window had nothing left.
    public var violations: Int { state.withLock { $0.violations } }

    /// Each request: the connection or mutation it asked for, its variables, and how many records it got.
    public var log: [(operation: String, variables: JSONValue, records: Int)] { state.withLock { $0.log } }

    /// Creates `creates` issues and comments, updates `updates` issues, archives `deletes` issues.
    public func change(creates: Int, updates: Int, deletes: Int, at now: Date = Date()) {
        state.withLock { state in
            let time = JSONValue.string(ISO8601.format(now))
            // The issues there were before: updates and archives touch those, not the new ones.
            let live = (state.tables["issues"] ?? []).indices.filter {
                state.tables["issues"]?[$0]["archivedAt"] == .null
            }
            for index in 0..<creates {
                if index % 2 == 0 {
                    var issue = Self.issue(&state, title: "New issue \(index)", created: now)
                    issue["updatedAt"] = time
                    state.tables["issues", default: []].append(issue)
                } else {
                    state.tables["comments", default: []].append(
                        Self.comment(&state, body: "New comment \(index)", created: now))
                }
            }
            for index in 0..<min(updates, live.count) {
                let i = live[(index * 7) % live.count]
                state.tables["issues"]?[i]["title"] = .string("Updated \(index)")
                state.tables["issues"]?[i]["priority"] = .int(index % 5)
                state.tables["issues"]?[i]["updatedAt"] = time
            }
            for index in 0..<min(deletes, live.count) {
                let i = live[live.count - 1 - index]
                state.tables["issues"]?[i]["archivedAt"] = time
                state.tables["issues"]?[i]["updatedAt"] = time
            }
        }
    }

    /// Answers one request.
    public func respond(to request: SimulatedRequest, at now: Date) -> SimulatedResponse {
        state.withLock { state in
            let milliseconds = Int64(now.timeIntervalSince1970 * 1000)
            let limit = options.requestsPerWindow ?? 1500
            if let start = state.windowStart, milliseconds < start + Int64(options.windowMilliseconds) {
            } else {
                state.windowStart = milliseconds
                state.used = 0
            }
            let reset = (state.windowStart ?? milliseconds) + Int64(options.windowMilliseconds)
            state.requests += 1
            let forced = options.rateLimitedOn.contains(state.requests)
            if forced { state.used = max(state.used, limit) }
            var answer: SimulatedResponse
            var operation = "?"
            var records = 0
            let key = request.headers["authorization"].map { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : $0 }
            if request.method != "POST" || request.path != "/graphql" {
                answer = SimulatedResponse(status: 404, json: ["errors": [["message": "Not found"]]])
            } else if key != options.apiKey {
                answer = SimulatedResponse(
                    json: [
                        "errors": [
                            [
                                "message": "Authentication required, not authenticated",
                                "extensions": ["code": "AUTHENTICATION_ERROR", "type": "authentication error"],
                            ]
                        ]
                    ])
            } else if state.used >= limit {
                if !forced { state.violations += 1 }
                answer = SimulatedResponse(
                    json: [
                        "errors": [
                            [
                                "message": "Rate limit exceeded",
                                "extensions": ["code": "RATELIMITED", "type": "ratelimited"],
                            ]
                        ]
                    ])
            } else {
                state.used += 1
                (answer, operation, records) = Self.execute(request.body ?? .null, &state, now: now)
            }
            answer.headers += [
                ("X-RateLimit-Requests-Limit", String(limit)),
                ("X-RateLimit-Requests-Remaining", String(max(0, limit - state.used))),
                ("X-RateLimit-Requests-Reset", String(reset)), ("X-Complexity", "10"),
                ("X-RateLimit-Complexity-Limit", "250000"), ("X-RateLimit-Complexity-Remaining", "249990"),
                ("X-RateLimit-Complexity-Reset", String(reset)),
            ]
            state.log.append((operation, request.body?["variables"] ?? .null, records))
            return answer
        }
    }

    private static let connections = ["teams", "users", "projects", "cycles", "issues", "comments"]

    private static func execute(_ body: JSONValue, _ state: inout State, now: Date) -> (SimulatedResponse, String, Int)
    {
        let query = body["query"]?.stringValue ?? ""
        let variables = body["variables"] ?? [:]
        func error(_ message: String) -> SimulatedResponse {
            SimulatedResponse(json: [
                "errors": [["message": .string(message), "extensions": ["code": "GRAPHQL_VALIDATION_FAILED"]]]
            ])
        }
        if query.contains("issueCreate") {
            guard let input = variables["input"], let title = input["title"]?.stringValue, !title.isEmpty,
                let team = input["teamId"]?.stringValue,
                state.tables["teams"]?.contains(where: { $0["id"]?.stringValue == team }) == true
            else {
                return (
                    error("Argument Validation Error: input.title and a known input.teamId are required"),
                    "issueCreate", 0
                )
            }
            var issue = issue(&state, title: title, created: now)
            issue["team"] = ["id": .string(team)]
            issue["description"] = input["description"] ?? .null
            if let priority = input["priority"]?.intValue { issue["priority"] = .int(priority) }
            state.tables["issues", default: []].append(issue)
            return (
                SimulatedResponse(json: ["data": ["issueCreate": ["success": true, "issue": .object(issue)]]]),
                "issueCreate", 1
            )
        }
        if query.contains("issueUpdate") {
            guard let id = variables["id"]?.stringValue,
                let index = state.tables["issues"]?.firstIndex(where: { $0["id"]?.stringValue == id })
            else { return (error("Entity not found: Issue"), "issueUpdate", 0) }
            for (key, value) in variables["input"]?.objectValue ?? [:]
            where ["title", "description", "priority", "estimate"].contains(key) {
                state.tables["issues"]?[index][key] = value
            }
            state.tables["issues"]?[index]["updatedAt"] = .string(ISO8601.format(now))
            let issue = JSONValue.object(state.tables["issues"]?[index] ?? [:])
            return (
                SimulatedResponse(json: ["data": ["issueUpdate": ["success": true, "issue": issue]]]), "issueUpdate", 1
            )
        }
        if query.contains("viewer") {
            return (
                SimulatedResponse(json: ["data": ["viewer": ["id": "usr-viewer", "name": "Simulated Viewer"]]]),
                "viewer", 1
            )
        }
        guard let name = connections.first(where: { query.contains("\($0)(") }) else {
            return (
                error("Cannot query the document: the simulator knows \(connections.joined(separator: ", "))"), "?", 0
            )
        }
        let first = min(max(variables["first"]?.intValue ?? 50, 1), 250)
        let includeArchived = query.contains("includeArchived: true")
        let since = variables["since"]?.stringValue.flatMap(ISO8601.parse)
        var rows = (state.tables[name] ?? []).filter {
            includeArchived || $0["archivedAt"] == nil || $0["archivedAt"] == .null
        }
        if let since {
            rows = rows.filter { ($0["updatedAt"]?.stringValue).flatMap(ISO8601.parse).map { $0 > since } ?? false }
        }
        rows.sort {
            ($0["updatedAt"]?.stringValue ?? "", $0["id"]?.stringValue ?? "") < (
                $1["updatedAt"]?.stringValue ?? "", $1["id"]?.stringValue ?? ""
            )
        }
        var start = 0
        if let after = variables["after"]?.stringValue {
            guard let offset = Int(after.dropFirst("cursor:".count)), after.hasPrefix("cursor:") else {
                return (error("Invalid cursor"), name, 0)
            }
            start = offset
        }
        let page = Array(rows.dropFirst(start).prefix(first))
        let end = start + page.count
        let connection: JSONValue = [
            "nodes": .array(page.map(JSONValue.object)),
            "pageInfo": [
                "hasNextPage": .bool(end < rows.count), "endCursor": page.isEmpty ? .null : .string("cursor:\(end)"),
            ],
        ]
        return (SimulatedResponse(json: ["data": .object([name: connection])]), name, page.count)
    }

    // MARK: Generation

    private static let epoch = Date(timeIntervalSince1970: 1_735_689_600)

    private static func uuid(_ state: inout State) -> String {
        state.next += 1
        let hex = String(format: "%012x", state.next)
        return "00000000-0000-4000-8000-\(hex)"
    }

    private static func generate(_ options: Options) -> State {
        var state = State()
        var random = Random(seed: options.seed)
        func time(_ offset: Double) -> JSONValue { .string(ISO8601.format(epoch.addingTimeInterval(offset))) }
        for t in 0..<options.teams {
            let id = uuid(&state)
            state.tables["teams", default: []].append([
                "id": .string(id), "name": .string("Team \(t + 1)"), "key": .string("T\(t + 1)"),
                "description": t == 0 ? .null : .string("The team \(t + 1)"), "createdAt": time(Double(t)),
                "updatedAt": time(Double(t) + 60), "archivedAt": .null,
            ])
        }
        for u in 0..<options.users {
            state.tables["users", default: []].append([
                "id": .string(uuid(&state)), "name": .string("User \(u + 1)"), "displayName": .string("user\(u + 1)"),
                "email": .string("user\(u + 1)@example.com"), "active": .bool(u != options.users - 1),
                "admin": .bool(u == 0), "createdAt": time(Double(u) * 10), "updatedAt": time(Double(u) * 10 + 5),
                "archivedAt": .null,
            ])
        }
        let users = (state.tables["users"] ?? []).compactMap { $0["id"] }
        for p in 0..<options.projects {
            state.tables["projects", default: []].append([
                "id": .string(uuid(&state)), "name": .string("Project \(p + 1)"), "description": .string(""),
                "state": .string(["planned", "started", "completed"][p % 3]), "startDate": .string("2025-02-0\(p + 1)"),
                "targetDate": .null, "lead": users.isEmpty ? .null : ["id": users[p % users.count]],
                "createdAt": time(Double(p) * 100), "updatedAt": time(Double(p) * 100 + 50), "archivedAt": .null,
            ])
        }
        for team in state.tables["teams"] ?? [] {
            for c in 0..<options.cyclesPerTeam {
                state.tables["cycles", default: []].append([
                    "id": .string(uuid(&state)), "number": .int(c + 1),
                    "name": c == 0 ? .null : .string("Cycle \(c + 1)"),
                    "startsAt": time(Double(c) * 1_209_600), "endsAt": time(Double(c + 1) * 1_209_600),
                    "team": ["id": team["id"] ?? .null], "createdAt": time(0), "updatedAt": time(1),
                    "archivedAt": .null,
                ])
            }
        }
        for i in 0..<options.issues {
            var issue = issue(&state, title: "Issue \(i + 1)", created: epoch.addingTimeInterval(Double(i) * 3600))
            issue["estimate"] = random.next() % 3 == 0 ? .null : .double(Double(random.next() % 8))
            if i > 3, random.next() % 5 == 0, let parent = state.tables["issues"]?[i / 2]["id"] {
                issue["parent"] = ["id": parent]
            }
            state.tables["issues", default: []].append(issue)
        }
        for c in 0..<options.comments {
            state.tables["comments", default: []].append(
                comment(&state, body: "Comment \(c + 1)", created: epoch.addingTimeInterval(Double(c) * 1800 + 900)))
        }
        return state
    }

    private static func issue(_ state: inout State, title: String, created: Date) -> [String: JSONValue] {
        var random = Random(seed: UInt64(state.next) &* 31)
        func pick(_ table: String) -> JSONValue {
            let rows = state.tables[table] ?? []
            guard !rows.isEmpty else { return .null }
            return ["id": rows[Int(random.next() % UInt64(rows.count))]["id"] ?? .null]
        }
        let number = (state.tables["issues"]?.count ?? 0) + 1
        let states: [(String, String)] = [
            ("Todo", "unstarted"), ("In Progress", "started"), ("Done", "completed"), ("Backlog", "backlog"),
        ]
        let status = states[Int(random.next() % UInt64(states.count))]
        let team = pick("teams")
        let stamp = JSONValue.string(ISO8601.format(created))
        return [
            "id": .string(uuid(&state)), "identifier": .string("ENG-\(number)"), "title": .string(title),
            "description": random.next() % 4 == 0 ? .null : .string("What \(title.lowercased()) is about."),
            "priority": .int(Int(random.next() % 5)), "estimate": .null,
            "state": ["name": .string(status.0), "type": .string(status.1)], "team": team,
            "assignee": random.next() % 3 == 0 ? .null : pick("users"), "creator": pick("users"),
            "project": random.next() % 2 == 0 ? .null : pick("projects"),
            "cycle": random.next() % 2 == 0 ? .null : pick("cycles"), "parent": .null,
            "labels": ["nodes": random.next() % 2 == 0 ? [] : [["id": "lbl-bug", "name": "Bug"]]],
            "createdAt": stamp, "updatedAt": stamp,
            "completedAt": status.1 == "completed" ? stamp : .null, "canceledAt": .null, "archivedAt": .null,
        ]
    }

    private static func comment(_ state: inout State, body: String, created: Date) -> [String: JSONValue] {
        let issues = (state.tables["issues"] ?? []).filter { $0["archivedAt"] == .null }
        let users = state.tables["users"] ?? []
        let index = state.next
        let stamp = JSONValue.string(ISO8601.format(created))
        return [
            "id": .string(uuid(&state)), "body": .string(body),
            "issue": issues.isEmpty ? .null : ["id": issues[index % issues.count]["id"] ?? .null],
            "user": users.isEmpty ? .null : ["id": users[index % users.count]["id"] ?? .null],
            "createdAt": stamp, "updatedAt": stamp, "archivedAt": .null,
        ]
    }
}
