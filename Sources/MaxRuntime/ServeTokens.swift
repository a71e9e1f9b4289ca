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

    /// Makes a token with `scope`; returns it (the only time it is shown).
    ///
    /// - Throws: `project.write_failed`, `project.unsafe_path`.
    public func create(scope: Scope, now: Date = Date()) throws -> String {
        var bytes = [UInt8](repeating: 0, count: 24)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255, using: &generator) }
        let token = "mxt_" + bytes.map { String(format: "%02x", $0) }.joined()
        var entries = try load()
        entries.append([
            "sha256": .string(ContentDigest.sha256(token)), "scope": .string(scope.rawValue),
            "createdAt": .string(ISO8601.format(now)),
        ])
        let url = try project.runtimeFileURL("serve-tokens.json")
        try AtomicFile.writeInProject(Data(JSONValue.array(entries).prettyJSONText.utf8), to: url, permissions: 0o600)
        return token
    }

    /// A token of the project, as a request presents it.
    public struct Grant: Sendable, Hashable {
        /// What it may do.
        public let scope: Scope
        /// A short, stable name for it that reveals nothing of the token: the first 12 hex digits
        /// of its SHA-256, for logs and the audit log (`serve:3f9a…`).
        public let id: String
    }

    /// The scope of `token`, or `nil` when it is not one of this project's.
    public func scope(of token: String) throws -> Scope? {
        try grant(for: token)?.scope
    }

    /// The grant of `token`, or `nil` when it is not one of this project's.
    ///
    /// - Throws: `project.invalid_file` when the token file is damaged.
    public func grant(for token: String) throws -> Grant? {
        let digest = ContentDigest.sha256(token)
        guard let entry = try load().first(where: { $0["sha256"]?.stringValue == digest }),
            let scope = entry["scope"]?.stringValue.flatMap(Scope.init(rawValue:))
        else { return nil }
        return Grant(scope: scope, id: String(digest.prefix(12)))
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
