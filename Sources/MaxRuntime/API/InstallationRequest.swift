import MaxCore

/// The request of a call that takes nothing.
public struct NoParameters: Codable, Sendable, Hashable {
    /// Nothing.
    public init() {}
}

/// The request of a call about one installation.
public struct InstallationRequest: Codable, Sendable, Hashable {
    /// The installation (on a local node, `schema` also takes a connector's name).
    public var installation: String

    /// A request about `installation`.
    public init(installation: String) {
        self.installation = installation
    }
}

/// A health check of one installation.
public struct StatusRequest: Codable, Sendable, Hashable {
    /// The installation.
    public var installation: String
    /// How long the source may take to answer, in seconds (1 to 300).
    public var timeout: Int?

    /// A check of `installation` waiting at most `timeout` seconds (10 when `nil`).
    public init(installation: String, timeout: Int? = nil) {
        self.installation = installation
        self.timeout = timeout
    }

    /// The timeout in seconds, defaulted and checked.
    ///
    /// - Throws: `api.invalid_request` outside 1…300.
    public func seconds() throws -> Int {
        let seconds = timeout ?? 10
        guard (1...300).contains(seconds) else {
            throw MaxError.invalidRequest("timeout must be between 1 and 300 seconds, not \(seconds)")
        }
        return seconds
    }
}

/// The runs of one installation.
public struct RunsRequest: Codable, Sendable, Hashable {
    /// The installation.
    public var installation: String
    /// How many, newest first (1 to 1000; 20 when `nil`).
    public var limit: Int?

    /// The latest `limit` runs of `installation`.
    public init(installation: String, limit: Int? = nil) {
        self.installation = installation
        self.limit = limit
    }
}

/// A sync of one installation.
public struct SyncRequest: Codable, Sendable, Hashable {
    /// The installation.
    public var installation: String
    /// Read everything again instead of only the changes.
    public var full: Bool?
    /// Discard an unfinished run instead of resuming it.
    public var restart: Bool?
    /// Tasks run at once on the node that syncs (8 when `nil`).
    public var concurrency: Int?
    /// Queue the run for the project's workers and answer at once (a project that stores in
    /// PostgreSQL only).
    public var detach: Bool?

    /// A sync of `installation`.
    public init(
        installation: String, full: Bool = false, restart: Bool = false, concurrency: Int? = nil, detach: Bool = false
    ) {
        self.installation = installation
        self.full = full
        self.restart = restart
        self.concurrency = concurrency
        self.detach = detach ? true : nil
    }
}

/// A count of one entity type's matches.
public struct CountRequest: Codable, Sendable, Hashable {
    /// The installation.
    public var installation: String
    /// The entity type, such as `AcmeTask`.
    public var entityType: String
    /// A filter expression; `nil` for all.
    public var filter: String?
    /// Whether entities deleted upstream are counted.
    public var includeDeleted: Bool?
    /// Comma-separated fields to count by (`status`, `assignee.displayName`); `nil` for one total.
    public var groupBy: String?

    /// A count.
    public init(
        installation: String, entityType: String, filter: String? = nil, includeDeleted: Bool = false,
        groupBy: String? = nil
    ) {
        self.installation = installation
        self.entityType = entityType
        self.filter = filter
        self.includeDeleted = includeDeleted
        self.groupBy = groupBy
    }
}

/// Audit events: of one installation or all, matching a filter.
public struct AuditRequest: Codable, Sendable, Hashable {
    /// Only this installation's events.
    public var installation: String?
    /// A filter over the events' fields.
    public var filter: String?
    /// How many, newest first (1 to 1000; 50 when `nil`).
    public var limit: Int?

    /// A request.
    public init(installation: String? = nil, filter: String? = nil, limit: Int? = nil) {
        self.installation = installation
        self.filter = filter
        self.limit = limit
    }
}
