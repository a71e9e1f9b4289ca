public import Foundation
public import MaxCore
import Synchronization

/// GitHub's REST API for one owner, in memory, as its public documentation describes it.
///
/// - `GET /users/{owner}`, `/users/{owner}/repos`, `/repos/{o}/{r}/labels`, `/milestones`,
///   `/issues` (issues **and** pull requests, a pull request carrying a `pull_request` key; `state`,
///   `since`, `sort`, `direction`), `/pulls` (`state`, `sort`, `direction`, no `since`),
///   `/issues/comments` (`since`, `sort`, `direction`); `POST /repos/{o}/{r}/issues`,
///   `POST …/issues/{n}/comments`, `PATCH …/issues/{n}`.
/// - Pages of `per_page` (at most 100) and `page`, with an RFC 8288 `Link` header (`next`, `last`).
/// - `Authorization: Bearer <token>` or `token <token>`; anything else is 401 "Bad credentials".
/// - The primary rate limit: every answer carries `x-ratelimit-limit`, `-remaining`, `-used`,
///   `-reset` (UTC epoch seconds) and `-resource`; past the limit a request gets 403 with
///   `x-ratelimit-remaining: 0` until the reset. A request that arrives then is counted as a
///   violation.
/// - Secondary limits: chosen requests get 403 with `retry-after` and the documented message.
/// - Conditional requests: a `GET` answer has an `ETag`; `If-None-Match` with it gets 304, which
///   does not count against the limit.
///
/// Data is generated from a seed; a change generator creates, updates, closes and deletes.
public final class GitHubSimulator: SimulatedService {
    /// How much data, and which limits.
    public struct Options: Sendable {
        /// The owner (an organisation).
        public var owner = "octo-org"
        /// The token the API accepts.
        public var token = "ghp_simulated0000000000000000000000000000"
        /// The seed.
        public var seed: UInt64 = 1
        /// Repositories.
        public var repositories = 3
        /// Issues per repository (pull requests come on top).
        public var issuesPerRepository = 20
        /// Pull requests per repository.
        public var pullRequestsPerRepository = 5
        /// Comments per repository.
        public var commentsPerRepository = 30
        /// Labels per repository.
        public var labelsPerRepository = 4
        /// Milestones per repository.
        public var milestonesPerRepository = 2
        /// People who author and are assigned.
        public var users = 6
        /// Requests per window; `nil` for 5,000 an hour.
        public var requestsPerWindow: Int?
        /// The window's length in seconds (a window starts at a whole second).
        public var windowSeconds = 3600
        /// Requests (counted from 1) answered with a secondary rate limit and `retry-after: 1`.
        public var secondaryLimitOn: Set<Int> = []

        /// The defaults.
        public init() {}
    }

    /// One request as the simulator saw it.
    public struct Logged: Sendable {
        /// `GET /repos/:owner/:repo/issues`, say.
        public let route: String
        /// The query.
        public let query: [String: String]
        /// The status answered.
        public let status: Int
        /// When it arrived.
        public let at: Date
        /// How many records it answered with.
        public let records: Int
    }

    struct Repository {
        var json: [String: JSONValue]
        var labels: [[String: JSONValue]] = []
        var milestones: [[String: JSONValue]] = []
        /// Issues and pull requests, by number.
        var issues: [[String: JSONValue]] = []
        var comments: [[String: JSONValue]] = []
    }

    struct State {
        var repositories: [Repository] = []
        var users: [[String: JSONValue]] = []
        var nextID = 1000
        var windowStart: Int?
        var used = 0
        var requests = 0
        var violations = 0
        var log: [Logged] = []
        var secondaryUntil: Date?
        var secondaryViolations = 0
        var revoked = false
    }

    /// The options.
    public let options: Options
    private let state: Mutex<State>

    /// Creates a simulator with data generated from `options.seed`.
    public init(_ options: Options = Options()) {
        self.options = options
        state = Mutex(Self.generate(options))
    }

    // MARK: Observations

    /// Every request so far.
    public var log: [Logged] { state.withLock { $0.log } }
    /// Requests that arrived while the primary window had nothing left, before its reset.
    public var violations: Int { state.withLock { $0.violations } }
    /// Requests that arrived before a secondary limit's `retry-after` had passed.
    public var secondaryViolations: Int { state.withLock { $0.secondaryViolations } }

    /// Revokes the token: from now on it gets 401 "Bad credentials".
    public func revokeToken() { state.withLock { $0.revoked = true } }

    /// The repositories, as the API lists them.
    public var repositories: [JSONValue] { state.withLock { $0.repositories.map { .object($0.json) } } }

    /// Every label, milestone, issue (pull requests apart), pull request and comment, by repository full name.
    public func records(_ kind: String) -> [(repository: String, record: JSONValue)] {
        state.withLock { state in
            state.repositories.flatMap { repository -> [(String, JSONValue)] in
                let name = repository.json["full_name"]?.stringValue ?? ""
                let rows: [[String: JSONValue]] =
                    switch kind {
                    case "labels": repository.labels
                    case "milestones": repository.milestones
                    case "issues": repository.issues.filter { $0["pull_request"] == nil }
                    case "pulls": repository.issues.filter { $0["pull_request"] != nil }.map(Self.pullShape)
                    default: repository.comments
                    }
                return rows.map { (name, JSONValue.object($0)) }
            }
        }
    }

    // MARK: Changes

    /// What ``change(creates:updates:deletes:at:)`` did.
    public struct Changes: Sendable {
        /// Issues and comments created.
        public var created = 0
        /// Issues, pull requests and comments updated.
        public var updated = 0
        /// Labels and milestones deleted.
        public var deleted = 0
    }

    /// Changes the data at `now`: creates issues and comments, updates issues (closing some) and pull
    /// requests, and deletes labels and milestones (the deletions GitHub's listings reveal; a deleted
    /// issue or comment only disappears from them).
    public func change(creates: Int, updates: Int, deletes: Int, at now: Date = Date()) -> Changes {
        state.withLock { state in
            var changes = Changes()
            var random = Random(seed: options.seed &+ UInt64(state.nextID))
            let time = JSONValue.string(Self.timestamp(now))
            for index in 0..<creates {
                let r = index % state.repositories.count
                if index % 2 == 0 {
                    let number = state.repositories[r].issues.count + 1
                    let issue = Self.issue(
                        &state, repository: state.repositories[r].json, number: number, title: "New issue \(index)",
                        random: &random, created: now, pull: false)
                    state.repositories[r].issues.append(issue)
                } else if let target = state.repositories[r].issues.first(where: { $0["pull_request"] == nil }) {
                    let comment = Self.comment(
                        &state, repository: state.repositories[r].json, issueNumber: target["number"]?.intValue ?? 1,
                        body: "New comment \(index)", random: &random, created: now)
                    state.repositories[r].comments.append(comment)
                }
                changes.created += 1
            }
            for index in 0..<updates {
                let r = index % state.repositories.count
                let count = state.repositories[r].issues.count
                guard count > 0 else { continue }
                let i = (index * 7) % count
                state.repositories[r].issues[i]["title"] = .string("Updated \(index)")
                state.repositories[r].issues[i]["updated_at"] = time
                if index % 3 == 0 {
                    state.repositories[r].issues[i]["state"] = "closed"
                    state.repositories[r].issues[i]["closed_at"] = time
                }
                if index % 4 == 1, !state.repositories[r].comments.isEmpty {
                    let c = (index * 5) % state.repositories[r].comments.count
                    state.repositories[r].comments[c]["body"] = .string("Edited \(index)")
                    state.repositories[r].comments[c]["updated_at"] = time
                }
                changes.updated += 1
            }
            for index in 0..<deletes {
                let r = index % state.repositories.count
                if index % 2 == 0, !state.repositories[r].labels.isEmpty {
                    let label = state.repositories[r].labels.removeLast()
                    for i in state.repositories[r].issues.indices {
                        let labels = state.repositories[r].issues[i]["labels"]?.arrayValue ?? []
                        let kept = labels.filter { $0["id"] != label["id"] }
                        if kept.count != labels.count {
                            state.repositories[r].issues[i]["labels"] = .array(kept)
                            state.repositories[r].issues[i]["updated_at"] = time
                        }
                    }
                    changes.deleted += 1
                } else if !state.repositories[r].milestones.isEmpty {
                    let milestone = state.repositories[r].milestones.removeLast()
                    for i in state.repositories[r].issues.indices
                    where state.repositories[r].issues[i]["milestone"]?["id"] == milestone["id"] {
                        state.repositories[r].issues[i]["milestone"] = .null
                        state.repositories[r].issues[i]["updated_at"] = time
                    }
                    changes.deleted += 1
                }
            }
            return changes
        }
    }

    // MARK: Serving

    /// Answers one request.
    public func respond(to request: SimulatedRequest, at now: Date) -> SimulatedResponse {
        state.withLock { state in
            state.requests += 1
            let number = state.requests
            var answer: SimulatedResponse
            var records = 0
            var route = "\(request.method) \(request.path)"
            // The primary window.
            let limit = options.requestsPerWindow ?? 5000
            let second = Int(now.timeIntervalSince1970)
            if let start = state.windowStart, second < start + options.windowSeconds {
            } else {
                state.windowStart = second
                state.used = 0
            }
            let reset = (state.windowStart ?? second) + options.windowSeconds
            if let until = state.secondaryUntil, now < until { state.secondaryViolations += 1 }
            let token = request.headers["authorization"].map { text -> String in
                for prefix in ["Bearer ", "bearer ", "token "] where text.hasPrefix(prefix) {
                    return String(text.dropFirst(prefix.count))
                }
                return ""
            }
            if token != options.token || state.revoked {
                answer = SimulatedResponse(
                    status: 401,
                    json: ["message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"])
            } else if state.used >= limit {
                state.violations += 1
                answer = SimulatedResponse(
                    status: 403,
                    json: [
                        "message": "API rate limit exceeded for user ID 1.",
                        "documentation_url":
                            "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits",
                    ])
            } else if options.secondaryLimitOn.contains(number) {
                state.secondaryUntil = now.addingTimeInterval(1)
                answer = SimulatedResponse(
                    status: 403,
                    json: [
                        "message":
                            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                        "documentation_url":
                            "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                    ], headers: [("retry-after", "1")])
                state.used += 1
            } else {
                state.used += 1
                (answer, records, route) = serve(request, &state, now: now)
                if answer.status == 304 { state.used -= 1 }
            }
            answer.headers += [
                ("x-ratelimit-limit", String(limit)), ("x-ratelimit-remaining", String(max(0, limit - state.used))),
                ("x-ratelimit-used", String(state.used)), ("x-ratelimit-reset", String(reset)),
                ("x-ratelimit-resource", "core"),
            ]
            state.log.append(
                Logged(route: route, query: request.query, status: answer.status, at: now, records: records))
            return answer
        }
    }

    private func serve(_ request: SimulatedRequest, _ state: inout State, now: Date) -> (SimulatedResponse, Int, String)
    {
        let parts = request.path.split(separator: "/").map(String.init)
        let notFound = SimulatedResponse(
            status: 404, json: ["message": "Not Found", "documentation_url": "https://docs.github.com/rest"])
        func list(_ rows: [JSONValue], route: String) -> (SimulatedResponse, Int, String) {
            let perPage = min(max(Int(request.query["per_page"] ?? "30") ?? 30, 1), 100)
            let page = max(Int(request.query["page"] ?? "1") ?? 1, 1)
            let slice = Array(rows.dropFirst((page - 1) * perPage).prefix(perPage))
            var headers: [(String, String)] = []
            let last = max(1, (rows.count + perPage - 1) / perPage)
            if page < last {
                let host = request.headers["host"] ?? "127.0.0.1"
                func link(_ number: Int) -> String {
                    var query = request.query
                    query["page"] = String(number)
                    query["per_page"] = String(perPage)
                    let text = query.sorted { $0.key < $1.key }.map {
                        "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
                    }.joined(separator: "&")
                    return "<http://\(host)\(request.path)?\(text)>"
                }
                headers.append(("Link", "\(link(page + 1)); rel=\"next\", \(link(last)); rel=\"last\""))
            }
            let body = JSONValue.array(slice)
            let etag = "W/\"\(String(UInt(bitPattern: body.jsonText.hashValue), radix: 16))\""
            if request.headers["if-none-match"] == etag {
                return (SimulatedResponse(status: 304, json: nil, headers: [("ETag", etag)]), 0, route)
            }
            headers.append(("ETag", etag))
            return (SimulatedResponse(json: body, headers: headers), slice.count, route)
        }
        guard parts.count >= 2 else { return (notFound, 0, "GET /") }
        if request.method == "GET", parts[0] == "users" || parts[0] == "orgs", parts[1] == options.owner {
            if parts.count == 2 {
                return (
                    SimulatedResponse(json: ["login": .string(options.owner), "id": 1, "type": "Organization"]), 1,
                    "GET /users/:owner"
                )
            }
            if parts.count == 3, parts[2] == "repos" {
                return list(state.repositories.map { .object($0.json) }, route: "GET /\(parts[0])/:owner/repos")
            }
        }
        guard parts[0] == "repos", parts.count >= 4, parts[1] == options.owner,
            let r = state.repositories.firstIndex(where: { $0.json["name"]?.stringValue == parts[2] })
        else { return (notFound, 0, "\(request.method) \(request.path)") }
        let since = request.query["since"].flatMap(ISO8601.parse)
        let ascending = request.query["direction"] == "asc"
        func sorted(_ rows: [[String: JSONValue]], defaultKey: String) -> [JSONValue] {
            let key = request.query["sort"] == "updated" ? "updated_at" : defaultKey
            var rows = rows
            if let since {
                rows = rows.filter {
                    ($0["updated_at"]?.stringValue).flatMap(ISO8601.parse).map { $0 >= since } ?? false
                }
            }
            rows.sort {
                let left = $0[key]?.stringValue ?? ""
                let right = $1[key]?.stringValue ?? ""
                if left == right { return ($0["id"]?.intValue ?? 0) < ($1["id"]?.intValue ?? 0) }
                return ascending ? left < right : left > right
            }
            return rows.map(JSONValue.object)
        }
        func stateFilter(_ rows: [[String: JSONValue]]) -> [[String: JSONValue]] {
            let wanted = request.query["state"] ?? "open"
            return wanted == "all" ? rows : rows.filter { $0["state"]?.stringValue == wanted }
        }
        let route = "/repos/:owner/:repo/" + parts[3...].map { Int($0) == nil ? $0 : ":number" }.joined(separator: "/")
        switch (request.method, Array(parts[3...])) {
        case ("GET", ["labels"]):
            return list(state.repositories[r].labels.map(JSONValue.object), route: "GET " + route)
        case ("GET", ["milestones"]):
            return list(
                sorted(stateFilter(state.repositories[r].milestones), defaultKey: "due_on"), route: "GET " + route)
        case ("GET", ["issues"]):
            return list(
                sorted(stateFilter(state.repositories[r].issues), defaultKey: "created_at"), route: "GET " + route)
        case ("GET", ["pulls"]):
            let pulls = stateFilter(state.repositories[r].issues.filter { $0["pull_request"] != nil }).map(
                Self.pullShape)
            return list(sorted(pulls, defaultKey: "created_at"), route: "GET " + route)
        case ("GET", ["issues", "comments"]):
            return list(sorted(state.repositories[r].comments, defaultKey: "created_at"), route: "GET " + route)
        case ("POST", ["issues"]):
            guard let title = request.body?["title"]?.stringValue, !title.isEmpty else {
                return (
                    SimulatedResponse(
                        status: 422,
                        json: [
                            "message": "Validation Failed", "errors": [["field": "title", "code": "missing_field"]],
                        ]),
                    0, "POST " + route
                )
            }
            var random = Random(seed: UInt64(state.nextID))
            var issue = Self.issue(
                &state, repository: state.repositories[r].json, number: state.repositories[r].issues.count + 1,
                title: title, random: &random, created: now, pull: false)
            issue["body"] = request.body?["body"] ?? .null
            issue["labels"] = .array(
                (request.body?["labels"]?.arrayValue ?? []).compactMap { name in
                    state.repositories[r].labels.first { $0["name"] == name }.map(JSONValue.object)
                })
            issue["assignees"] = .array(
                (request.body?["assignees"]?.arrayValue ?? []).compactMap { login in
                    state.users.first { $0["login"] == login }.map(JSONValue.object)
                })
            state.repositories[r].issues.append(issue)
            return (SimulatedResponse(status: 201, json: .object(issue)), 1, "POST " + route)
        case ("POST", let path) where path.count == 3 && path[0] == "issues" && path[2] == "comments":
            guard let number = Int(path[1]), state.repositories[r].issues.indices.contains(number - 1) else {
                return (notFound, 0, "POST " + route)
            }
            var random = Random(seed: UInt64(state.nextID))
            var comment = Self.comment(
                &state, repository: state.repositories[r].json, issueNumber: number, body: "", random: &random,
                created: now)
            comment["body"] = request.body?["body"] ?? ""
            state.repositories[r].comments.append(comment)
            return (SimulatedResponse(status: 201, json: .object(comment)), 1, "POST " + route)
        case ("PATCH", let path) where path.count == 2 && path[0] == "issues":
            guard let number = Int(path[1]), state.repositories[r].issues.indices.contains(number - 1) else {
                return (notFound, 0, "PATCH " + route)
            }
            let time = JSONValue.string(Self.timestamp(now))
            for key in ["title", "body"] {
                if let value = request.body?[key] { state.repositories[r].issues[number - 1][key] = value }
            }
            if let value = request.body?["state"]?.stringValue {
                state.repositories[r].issues[number - 1]["state"] = .string(value)
                state.repositories[r].issues[number - 1]["closed_at"] = value == "closed" ? time : .null
            }
            state.repositories[r].issues[number - 1]["updated_at"] = time
            return (SimulatedResponse(json: .object(state.repositories[r].issues[number - 1])), 1, "PATCH " + route)
        default:
            return (notFound, 0, "\(request.method) \(route)")
        }
    }

    // MARK: Generation

    static func timestamp(_ date: Date) -> String {
        // GitHub's timestamps are whole seconds, in UTC.
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)))
    }

    private static let base = "https://api.github.com"
    private static let epoch = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01

    private static func generate(_ options: Options) -> State {
        var state = State()
        var random = Random(seed: options.seed)
        let names = ["ada", "grace", "linus", "margaret", "dennis", "barbara", "ken", "frances", "alan", "edsger"]
        for index in 0..<max(options.users, 1) {
            let login = "\(names[index % names.count])\(index)"
            state.users.append([
                "login": .string(login), "id": .int(10 + index), "type": "User",
                "html_url": .string("https://github.com/\(login)"), "site_admin": false,
            ])
        }
        for index in 0..<options.repositories {
            let name = "repo-\(index + 1)"
            let created = epoch.addingTimeInterval(Double(index) * 86_400)
            var repository = Repository(json: [
                "id": .int(100 + index), "name": .string(name), "full_name": .string("\(options.owner)/\(name)"),
                "owner": ["login": .string(options.owner), "id": 1, "type": "Organization"],
                "private": .bool(index % 2 == 1), "description": index == 0 ? .null : .string("The \(name) repository"),
                "default_branch": "main", "html_url": .string("https://github.com/\(options.owner)/\(name)"),
                "url": .string("\(base)/repos/\(options.owner)/\(name)"), "created_at": .string(timestamp(created)),
                "updated_at": .string(timestamp(created.addingTimeInterval(3600))),
                "pushed_at": .string(timestamp(created.addingTimeInterval(7200))),
            ])
            for l in 0..<options.labelsPerRepository {
                state.nextID += 1
                repository.labels.append([
                    "id": .int(state.nextID),
                    "name": .string(
                        ["bug", "enhancement", "docs", "question", "wontfix"][l % 5] + (l >= 5 ? "-\(l)" : "")),
                    "color": .string(String(format: "%06x", random.next() % 0xFFFFFF)),
                    "description": l % 2 == 0 ? .string("Label \(l)") : .null, "default": .bool(l == 0),
                ])
            }
            for m in 0..<options.milestonesPerRepository {
                state.nextID += 1
                let when = created.addingTimeInterval(Double(m + 1) * 30 * 86_400)
                repository.milestones.append([
                    "id": .int(state.nextID), "number": .int(m + 1), "title": .string("v\(m + 1).0"),
                    "description": .null, "state": m == 0 ? "closed" : "open",
                    "due_on": .string(timestamp(when)), "created_at": .string(timestamp(created)),
                    "updated_at": .string(timestamp(created.addingTimeInterval(60))),
                    "closed_at": m == 0 ? .string(timestamp(when)) : .null,
                ])
            }
            let total = options.issuesPerRepository + options.pullRequestsPerRepository
            for n in 0..<total {
                let pull =
                    n % max(1, total / max(options.pullRequestsPerRepository, 1)) == 1
                    && repository.issues.filter({ $0["pull_request"] != nil }).count < options.pullRequestsPerRepository
                var issue = Self.issue(
                    &state, repository: repository.json, number: n + 1, title: "Issue \(n + 1) of \(name)",
                    random: &random, created: created.addingTimeInterval(Double(n) * 3600), pull: pull)
                if !repository.labels.isEmpty {
                    let label = repository.labels[Int(random.next() % UInt64(repository.labels.count))]
                    issue["labels"] = [.object(label)]
                }
                if !repository.milestones.isEmpty, n % 3 == 0 {
                    issue["milestone"] = .object(repository.milestones[n % repository.milestones.count])
                }
                repository.issues.append(issue)
            }
            let plain = repository.issues.filter { $0["pull_request"] == nil }
            for c in 0..<options.commentsPerRepository where !plain.isEmpty {
                let target = plain[c % plain.count]["number"]?.intValue ?? 1
                repository.comments.append(
                    Self.comment(
                        &state, repository: repository.json, issueNumber: target, body: "Comment \(c + 1)",
                        random: &random, created: created.addingTimeInterval(Double(c) * 1800 + 900)))
            }
            state.repositories.append(repository)
        }
        return state
    }

    private static func issue(
        _ state: inout State, repository: [String: JSONValue], number: Int, title: String, random: inout Random,
        created: Date, pull: Bool
    ) -> [String: JSONValue] {
        state.nextID += 1
        let fullName = repository["full_name"]?.stringValue ?? ""
        let author = state.users[Int(random.next() % UInt64(state.users.count))]
        let assignee = state.users[Int(random.next() % UInt64(state.users.count))]
        let closed = !pull && random.next() % 4 == 0
        var issue: [String: JSONValue] = [
            "id": .int(state.nextID), "number": .int(number), "title": .string(title),
            "body": random.next() % 5 == 0 ? .null : .string("Details of \(title.lowercased())."),
            "state": closed ? "closed" : "open", "user": .object(author),
            "assignees": random.next() % 3 == 0 ? [] : [.object(assignee)], "labels": [], "milestone": .null,
            "comments": 0, "created_at": .string(timestamp(created)),
            "updated_at": .string(timestamp(created.addingTimeInterval(600))),
            "closed_at": closed ? .string(timestamp(created.addingTimeInterval(7200))) : .null,
            "url": .string("\(base)/repos/\(fullName)/issues/\(number)"),
            "repository_url": .string("\(base)/repos/\(fullName)"),
            "html_url": .string("https://github.com/\(fullName)/issues/\(number)"),
        ]
        if pull {
            issue["pull_request"] = ["url": .string("\(base)/repos/\(fullName)/pulls/\(number)")]
            issue["draft"] = .bool(random.next() % 4 == 0)
            issue["merged_at"] = .null
            issue["head"] = ["ref": .string("feature-\(number)")]
            issue["base"] = ["ref": "main"]
        }
        return issue
    }

    /// A pull request as `/pulls` shows it (its `url` under `pulls`, no `pull_request` key).
    static func pullShape(_ issue: [String: JSONValue]) -> [String: JSONValue] {
        var pull = issue
        pull["url"] = issue["pull_request"]?["url"] ?? .null
        pull["pull_request"] = nil
        pull["html_url"] = .string(
            (issue["html_url"]?.stringValue ?? "").replacingOccurrences(of: "/issues/", with: "/pull/"))
        return pull
    }

    private static func comment(
        _ state: inout State, repository: [String: JSONValue], issueNumber: Int, body: String, random: inout Random,
        created: Date
    ) -> [String: JSONValue] {
        state.nextID += 1
        let fullName = repository["full_name"]?.stringValue ?? ""
        return [
            "id": .int(state.nextID), "body": .string(body),
            "user": .object(state.users[Int(random.next() % UInt64(state.users.count))]),
            "created_at": .string(timestamp(created)), "updated_at": .string(timestamp(created)),
            "issue_url": .string("\(base)/repos/\(fullName)/issues/\(issueNumber)"),
            "url": .string("\(base)/repos/\(fullName)/issues/comments/\(state.nextID)"),
        ]
    }
}

/// SplitMix64: a small deterministic generator for the simulators' data.
struct Random {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
