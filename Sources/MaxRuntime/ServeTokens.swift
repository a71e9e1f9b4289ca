public import Foundation
import MaxCore
import MaxCredentials

/// The bearer tokens of `max serve`, kept hashed in `.max/serve-tokens.json` (private): a token is
/// shown once, when it is made, and only its SHA-256 is stored.
public struct ServeTokens: Sendable {
    /// What a token may do: a set of ``PolicyAction``s.
    public enum Scope: String, Sendable, CaseIterable, Comparable {
        /// `connector.catalog.read` and `connector.operation.read`: ls, status, schema, ops,
        /// search, count, runs, jobs, metrics.
        case read
        /// Read, plus `connector.operation.invoke` and `connector.instance.manage`: run
        /// operations and syncs.
        case operate
        /// Every action, `connector.credential.manage` included.
        case admin

        /// The actions the scope allows.
        public var actions: Set<PolicyAction> {
            switch self {
            case .read: [.catalogRead, .operationRead]
            case .operate: [.catalogRead, .operationRead, .operationInvoke, .instanceManage]
            case .admin: Set(PolicyAction.allCases)
            }
        }

        /// The narrowest scope that allows `action`.
        public static func narrowest(allowing action: PolicyAction) -> Scope {
            allCases.first { $0.actions.contains(action) } ?? .admin
        }

        private var rank: Int {
            switch self {
            case .read: 0
            case .operate: 1
            case .admin: 2
            }
        }

        /// Orders scopes by what they allow: `read < operate < admin`.
        public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.rank < rhs.rank }
    }

    /// The project.
    public let project: Project

    /// The tokens of `project`.
    public init(project: Project) {
        self.project = project
    }

    /// Makes a token with `scope` for `principal` (its own, `token:<id>`, when nil), that lasts
    /// `lifetime` (for ever when nil); returns it (the only time it is shown).
    ///
    /// - Throws: `project.write_failed`, `project.unsafe_path`.
    public func create(
        scope: Scope, principal: Principal? = nil, lifetime: TimeInterval? = nil, now: Date = Date()
    ) throws -> String {
        var bytes = [UInt8](repeating: 0, count: 24)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255, using: &generator) }
        let token = "mxt_" + bytes.map { String(format: "%02x", $0) }.joined()
        var entries = try load()
        var entry: [String: JSONValue] = [
            "sha256": .string(ContentDigest.sha256(token)), "scope": .string(scope.rawValue),
            "createdAt": .string(ISO8601.format(now)),
        ]
        if let principal {
            entry["user"] = .string(principal.user)
            entry["groups"] = .array(principal.groups.map(JSONValue.string))
        }
        if let lifetime { entry["expiresAt"] = .string(ISO8601.format(now.addingTimeInterval(lifetime))) }
        entries.append(.object(entry))
        try save(entries)
        return token
    }

    private func save(_ entries: [JSONValue]) throws {
        let url = try project.runtimeFileURL("serve-tokens.json")
        try AtomicFile.writeInProject(Data(JSONValue.array(entries).prettyJSONText.utf8), to: url, permissions: 0o600)
    }

    /// A token of the project, as a request presents it.
    public struct Grant: Sendable, Hashable {
        /// What it may do.
        public let scope: Scope
        /// A short, stable name for it that reveals nothing of the token: the first 12 hex digits
        /// of its SHA-256, for logs and the audit log (`serve:3f9a…`).
        public let id: String
        /// Who it belongs to: its user and groups, or `token:<id>` for a token made without one.
        public var principal = Principal(user: "")
    }

    /// A token as `max serve tokens ls` shows it: never the token, nor its hash.
    public struct Listing: Sendable, Hashable, Codable {
        /// Its id (the first 12 hex digits of its SHA-256).
        public var id: String
        /// Its scope.
        public var scope: String
        /// Its user, if it has one.
        public var user: String?
        /// Its groups.
        public var groups: [String]
        /// When it was made.
        public var createdAt: String?
        /// When it stops working, if it does.
        public var expiresAt: String?
        /// When it was revoked, if it was.
        public var revokedAt: String?
        /// `active`, `expired` or `revoked`.
        public var state: String
    }

    /// The project's tokens, oldest first.
    ///
    /// - Throws: `project.invalid_file` when the token file is damaged.
    public func list(now: Date = Date()) throws -> [Listing] {
        try load().map { entry in
            let expires = entry["expiresAt"]?.stringValue
            let revoked = entry["revokedAt"]?.stringValue
            let expired = expires.flatMap(ISO8601.parse).map { $0 <= now } ?? false
            return Listing(
                id: String((entry["sha256"]?.stringValue ?? "").prefix(12)), scope: entry["scope"]?.stringValue ?? "",
                user: entry["user"]?.stringValue, groups: (entry["groups"]?.arrayValue ?? []).compactMap(\.stringValue),
                createdAt: entry["createdAt"]?.stringValue, expiresAt: expires, revokedAt: revoked,
                state: revoked != nil ? "revoked" : expired ? "expired" : "active")
        }
    }

    /// Revokes the token whose id is `id` (or starts with it, when only one does): it stops
    /// working at once, in every server and session.
    ///
    /// - Returns: The revoked token's id.
    /// - Throws: `serve.token_not_found` when no token, or more than one, has that id.
    @discardableResult
    public func revoke(_ id: String, now: Date = Date()) throws -> String {
        var entries = try load()
        let matches = entries.indices.filter {
            !id.isEmpty && (entries[$0]["sha256"]?.stringValue ?? "").hasPrefix(id.lowercased())
        }
        guard matches.count == 1, let index = matches.first, var entry = entries[index].objectValue else {
            throw MaxError(
                .serveTokenNotFound,
                matches.isEmpty ? "no token has the id \(id)" : "\(matches.count) tokens have ids starting \(id)",
                hint: "\"max serve tokens ls\" lists their ids")
        }
        entry["revokedAt"] = entry["revokedAt"] ?? .string(ISO8601.format(now))
        entries[index] = .object(entry)
        try save(entries)
        return String((entry["sha256"]?.stringValue ?? "").prefix(12))
    }

    /// The scope of `token`, or `nil` when it is not one of this project's.
    public func scope(of token: String) throws -> Scope? {
        try grant(for: token)?.scope
    }

    /// The grant of `token`, or `nil` when it is not one of this project's.
    ///
    /// - Throws: `project.invalid_file` when the token file is damaged.
    public func grant(for token: String, now: Date = Date()) throws -> Grant? {
        let digest = ContentDigest.sha256(token)
        guard let entry = try load().first(where: { $0["sha256"]?.stringValue == digest }),
            let scope = entry["scope"]?.stringValue.flatMap(Scope.init(rawValue:)), entry["revokedAt"] == nil,
            entry["expiresAt"]?.stringValue.flatMap(ISO8601.parse).map({ $0 > now }) ?? true
        else { return nil }
        let id = String(digest.prefix(12))
        let principal = Principal(
            user: entry["user"]?.stringValue ?? "token:\(id)",
            groups: (entry["groups"]?.arrayValue ?? []).compactMap(\.stringValue))
        return Grant(scope: scope, id: id, principal: principal)
    }

    private func load() throws -> [JSONValue] {
        let url = try project.runtimeFileURL("serve-tokens.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return [] }
        guard let entries = try? JSONValue(parsing: String(decoding: data, as: UTF8.self)).arrayValue else {
            throw MaxError(
                .invalidProjectFile, "\(url.path) is damaged", hint: "delete it and create the tokens again",
                context: ["path": url.path])
        }
        return entries
    }
}
