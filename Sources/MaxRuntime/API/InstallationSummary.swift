public import Foundation
public import MaxCore

/// An installation as `max ls`, `GET /v1/installations` and `max_ls` list it.
public struct InstallationSummary: Codable, Sendable, Hashable {
    /// The installation's name.
    public var name: String
    /// The installation's id in its project (`max.json`).
    public var id: String?
    /// Its connector (`remote` for one served by another node).
    public var connector: String
    /// `active`, `syncing`, `interrupted`, `degraded`, `credential_expired`, `cancelled`, `error`,
    /// `disabled`, or `never synced`.
    public var status: String
    /// The entities stored, deleted ones excluded; `nil` when they could not be counted.
    public var entities: Int?
    /// The end of the latest completed sync.
    public var lastSync: Date?
    /// The latest run, if any.
    public var lastRun: LastRun?
    /// When `max serve` syncs it next on its schedule (`"sync": {"every": …}`); `nil` without one,
    /// or when it is disabled.
    public var nextRun: Date?
    /// What its last health check found (`max status`, or `max serve`'s periodic checks).
    public var health: String?
    /// When that check ran.
    public var healthCheckedAt: Date?
    /// Why the installation could not be read, when it could not.
    public var error: MaxError?
    /// Its state (SPEC-hardening §4): `provisioning`, `active`, `degraded`, `error`,
    /// `credential_expired` or `disabled` (see ``InstallationState``).
    public var state: String?
    /// Why it is in that state (none when active).
    public var stateReason: String?
    /// The error of its latest sync or failing health check, whichever is newer.
    public var lastError: String?
    /// The connector version it runs with, as `max.json` records it.
    public var connectorVersion: String?
    /// The version of its connector's config schema its config was written for.
    public var configVersion: Int?
    /// The group it is scoped to (`"group"` in `max.json`), if any.
    public var group: String?
    /// Its rate limit, when `max.json` sets one (`{"rate": …, "burst": …}`; else the connector's).
    public var rateLimit: JSONValue?

    /// The latest run of an installation, in short.
    public struct LastRun: Codable, Sendable, Hashable {
        /// The run's id.
        public var id: String
        /// How it ended (or `running`).
        public var status: String
        /// The error that stopped it.
        public var error: String?

        /// A run.
        public init(id: String, status: String, error: String? = nil) {
            self.id = id
            self.status = status
            self.error = error
        }
    }

    /// A summary.
    public init(
        name: String, connector: String, status: String, entities: Int?, lastSync: Date? = nil,
        lastRun: LastRun? = nil, error: MaxError? = nil
    ) {
        self.name = name
        self.connector = connector
        self.status = status
        self.entities = entities
        self.lastSync = lastSync
        self.lastRun = lastRun
        self.error = error
    }

    /// Compares everything but the error's cause.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.name == rhs.name && lhs.id == rhs.id && lhs.connector == rhs.connector && lhs.status == rhs.status
            && lhs.entities == rhs.entities && lhs.lastSync == rhs.lastSync && lhs.lastRun == rhs.lastRun
            && lhs.nextRun == rhs.nextRun && lhs.health == rhs.health && lhs.healthCheckedAt == rhs.healthCheckedAt
            && lhs.error?.code == rhs.error?.code && lhs.error?.message == rhs.error?.message
            && lhs.state == rhs.state && lhs.stateReason == rhs.stateReason && lhs.lastError == rhs.lastError
            && lhs.connectorVersion == rhs.connectorVersion && lhs.configVersion == rhs.configVersion
            && lhs.rateLimit == rhs.rateLimit && lhs.group == rhs.group
    }

    /// Hashes the name and status.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(status)
    }
}

/// The installations of a node.
public struct InstallationList: Codable, Sendable, Hashable {
    /// Every installation, in `max.json`'s order.
    public var installations: [InstallationSummary]

    /// A list.
    public init(installations: [InstallationSummary]) {
        self.installations = installations
    }
}

/// What a health check found, beside what the local syncs say.
public struct InstallationHealth: Codable, Sendable, Hashable {
    /// The installation.
    public var name: String
    /// `healthy`, `unhealthy`, `credential_expired`, or `error` when it could not be checked.
    public var status: String
    /// The local state (``InstallationSummary/status``).
    public var sync: String?
    /// The installation's state after this check (``InstallationSummary/state``), and why.
    public var state: String?
    /// Why it is in that state.
    public var stateReason: String?
    /// Why it is not healthy.
    public var reason: String?
    /// What to do about it.
    public var hint: String?

    /// A result.
    public init(name: String, status: String, sync: String?, reason: String? = nil, hint: String? = nil) {
        self.name = name
        self.status = status
        self.sync = sync
        self.reason = reason
        self.hint = hint
    }
}

/// A count.
public struct CountResult: Codable, Sendable, Hashable {
    /// One group of a count by fields.
    public struct Group: Codable, Sendable, Hashable {
        /// The values the group's entities share, by field (`{"status": "todo"}`).
        public var values: [String: JSONValue]
        /// How many.
        public var count: Int

        /// A group.
        public init(values: [String: JSONValue], count: Int) {
            self.values = values
            self.count = count
        }
    }

    /// How many matched.
    public var count: Int
    /// With `groupBy`: how many for each combination of the fields' values, most first.
    public var groups: [Group]?

    /// A count.
    public init(count: Int, groups: [Group]? = nil) {
        self.count = count
        self.groups = groups
    }
}

/// An installation's credentials: names and where each comes from, never a value.
public struct CredentialList: Codable, Sendable, Hashable {
    /// One credential.
    public struct Entry: Codable, Sendable, Hashable {
        /// The credential's key (`api_token`).
        public var key: String
        /// `stored` (sealed in `.max/`), or the reference it is read from (`env:ACME_TOKEN`).
        public var source: String
        /// When it was stored, for a stored one.
        public var setAt: String?

        /// An entry.
        public init(key: String, source: String, setAt: String? = nil) {
            self.key = key
            self.source = source
            self.setAt = setAt
        }
    }

    /// The installation.
    public var installation: String
    /// Its credentials, by key.
    public var credentials: [Entry]

    /// A list.
    public init(installation: String, credentials: [Entry]) {
        self.installation = installation
        self.credentials = credentials
    }
}
