import Foundation
public import MaxCore
import MaxQuery
public import MaxStorage

/// What a front end (the command line, a server, an MCP server) can ask of a project, as typed
/// requests and results: no front end builds queries or opens stores itself, and nothing here
/// knows which front end asked.
///
/// Reads open stores read-only and need no connector: a store keeps the schema it was written
/// with. Operations go through the ``OperationInvoker`` and syncs through ``MaxWorkspace``.
public struct MaxFacade: Sendable {
    /// The project.
    public let workspace: MaxWorkspace

    /// A façade over `workspace`.
    public init(workspace: MaxWorkspace) {
        self.workspace = workspace
    }

    // MARK: Search and count

    /// A search of an installation's local data.
    public struct SearchRequest: Sendable, Hashable {
        /// The installation.
        public var installation: String
        /// The entity type, such as `AcmeTask`.
        public var entityType: String
        /// A filter expression (`status = "todo" AND priority >= 3`).
        public var filter: String?
        /// The fields: `a,b,c`, or `.props`, `.meta`, `.all`; `nil` for `.props`.
        public var fields: String?
        /// The order: `field[:asc|desc],…`; `nil` for by id.
        public var orderBy: String?
        /// The page size, 1 to ``maximumLimit``.
        public var limit: Int
        /// Where the previous page ended.
        public var cursor: String?
        /// Whether entities deleted upstream are included.
        public var includeDeleted: Bool

        /// A request.
        public init(
            installation: String, entityType: String, filter: String? = nil, fields: String? = nil,
            orderBy: String? = nil, limit: Int = 1000, cursor: String? = nil, includeDeleted: Bool = false
        ) {
            self.installation = installation
            self.entityType = entityType
            self.filter = filter
            self.fields = fields
            self.orderBy = orderBy
            self.limit = limit
            self.cursor = cursor
            self.includeDeleted = includeDeleted
        }
    }

    /// The largest page a search returns.
    public static let maximumLimit = Query.maximumLimit

    /// One page of a search.
    public struct SearchPage: Sendable {
        /// The entity type.
        public let entityType: String
        /// The fields each record carries, in order.
        public let fields: [String]
        /// The records.
        public let records: [EntityRecord]
        /// Whether more follow.
        public let hasMore: Bool
        /// The cursor for the next page, if more follow.
        public let cursor: String?
    }

    /// A search streamed page after page: every match.
    public struct SearchStream: Sendable {
        /// The fields each record carries, in order.
        public let fields: [String]
        /// The records.
        public let records: RecordStream
    }

    /// The records of a ``SearchStream``: read from the local store a batch at a time, or from a
    /// remote node a page at a time.
    public struct RecordStream: AsyncSequence, Sendable {
        /// The element type.
        public typealias Element = EntityRecord

        let local: EntityRecordSequence?
        let remote: (@Sendable (String?) async throws -> SearchPage)?
        let firstCursor: String?

        /// Makes an iterator from the first record.
        public func makeAsyncIterator() -> Iterator {
            Iterator(local: local?.makeAsyncIterator(), remote: remote, cursor: firstCursor)
        }

        /// Reads the next batch or page when the current one runs out.
        public struct Iterator: AsyncIteratorProtocol {
            var local: EntityRecordSequence.Iterator?
            let remote: (@Sendable (String?) async throws -> SearchPage)?
            var cursor: String?
            var buffer: [EntityRecord] = []
            var position = 0
            var isFinished = false

            /// The next record, or `nil` after the last.
            public mutating func next() async throws -> EntityRecord? {
                if local != nil { return try await local?.next() }
                guard let remote else { return nil }
                if position == buffer.count {
                    guard !isFinished else { return nil }
                    try Task.checkCancellation()
                    let page = try await remote(cursor)
                    buffer = page.records
                    position = 0
                    cursor = page.cursor
                    isFinished = !page.hasMore || page.cursor == nil
                    if buffer.isEmpty { return nil }
                }
                defer { position += 1 }
                return buffer[position]
            }
        }
    }

    /// One page of matches.
    ///
    /// - Throws: `installation.not_found`, `search.*` for a bad filter, field, order or cursor
    ///   (with the column), `storage.*`.
    public func search(_ request: SearchRequest) async throws -> SearchPage {
        if let remote = try await workspace.remote(request.installation) {
            return try await Self.remoteSearch(remote, request)
        }
        let (store, query) = try await prepare(request)
        let page = try await store.page(query)
        return SearchPage(
            entityType: request.entityType, fields: query.fields.map(\.name), records: page.items,
            hasMore: page.hasMore, cursor: page.cursor)
    }

    /// Every match, read `batchSize` at a time as the caller iterates.
    ///
    /// - Throws: as ``search(_:)``.
    public func searchAll(_ request: SearchRequest, batchSize: Int = 5000) async throws -> SearchStream {
        if let remote = try await workspace.remote(request.installation) {
            // The first page tells the fields (and checks the request) before anything streams.
            var pageRequest = request
            pageRequest.limit = min(request.limit, batchSize, Self.maximumLimit)
            let first = try await Self.remoteSearch(remote, pageRequest)
            let fetch: @Sendable (String?) async throws -> SearchPage = { [pageRequest] cursor in
                var next = pageRequest
                next.cursor = cursor
                return try await Self.remoteSearch(remote, next)
            }
            // The iterator asks with no cursor first (the page already read), then with each page's.
            return SearchStream(
                fields: first.fields,
                records: RecordStream(
                    local: nil, remote: { cursor in cursor == nil ? first : try await fetch(cursor) },
                    firstCursor: nil))
        }
        let (store, query) = try await prepare(request)
        return SearchStream(
            fields: query.fields.map(\.name),
            records: RecordStream(
                local: store.records(query, batchSize: min(request.limit, batchSize)), remote: nil, firstCursor: nil))
    }

    /// The number of matches.
    ///
    /// - Throws: as ``search(_:)``.
    public func count(installation: String, entityType: String, filter: String?, includeDeleted: Bool = false)
        async throws -> Int
    {
        if let remote = try await workspace.remote(installation) {
            let answer = try await remote.get(
                "/count",
                query: [("entityType", entityType), ("filter", filter)]
                    + (includeDeleted ? [("includeDeleted", "true")] : []))
            return answer["count"]?.intValue ?? 0
        }
        let store = try await workspace.openStoreForReading(installation)
        return try await store.count(
            try Query(EntityType(entityType), filter: filter, includeDeleted: includeDeleted))
    }

    private func prepare(_ request: SearchRequest) async throws -> (EntityStore, CheckedQuery) {
        let store = try await workspace.openStoreForReading(request.installation)
        return (store, try Self.query(request).checked(against: store.schema))
    }

    /// One page from a remote installation, with the records rebuilt from its JSON.
    static func remoteSearch(_ remote: RemoteInstallation, _ request: SearchRequest) async throws -> SearchPage {
        let answer = try await remote.get(
            "/search",
            query: [
                ("entityType", request.entityType), ("filter", request.filter), ("fields", request.fields),
                ("orderBy", request.orderBy), ("limit", String(request.limit)), ("cursor", request.cursor),
                ("includeDeleted", request.includeDeleted ? "true" : nil),
            ])
        let fields = answer["fields"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let records = (answer["data"]?.arrayValue ?? []).map { item in
            EntityRecord(
                ref: Ref(EntityType(request.entityType), item["_id"]?.stringValue ?? ""),
                values: fields.map { name in (name, FieldValue(json: item[name] ?? .null)) })
        }
        return SearchPage(
            entityType: request.entityType, fields: fields, records: records,
            hasMore: answer["hasMore"]?.boolValue ?? false, cursor: answer["cursor"]?.stringValue)
    }

    static func query(_ request: SearchRequest) throws -> Query {
        try Query(
            EntityType(request.entityType), filter: request.filter,
            selection: try request.fields.map(FieldSelection.init(parsing:)) ?? .props,
            ordering: try request.orderBy.map(Ordering.init(parsing:)) ?? .byID, limit: request.limit,
            cursor: request.cursor, includeDeleted: request.includeDeleted)
    }

    // MARK: Runs and audit

    /// An installation's syncs, newest first; a run left running by a process that is gone is
    /// `interrupted`.
    ///
    /// - Throws: `installation.not_found`, `storage.*`, a remote node's errors.
    public func runs(installation: String, limit: Int = 20) async throws -> [SyncRun] {
        if let remote = try await workspace.remote(installation) {
            let answer = try await remote.get("/runs", query: [("limit", String(limit))])
            return (answer.arrayValue ?? []).compactMap(Self.run(json:))
        }
        // A run left running by a process that is gone shows as interrupted, as in `max ls`.
        let live = InstallationLock.holder(of: installation, in: workspace.project) != nil
        return try await workspace.openStoreForReading(installation).runs(limit: limit).enumerated().map { index, run in
            run.status == .running && !(live && index == 0) ? run.with(status: .interrupted) : run
        }
    }

    /// Audit events, newest first: of one installation or all, matching `filter`.
    ///
    /// - Throws: `installation.not_found`; `search.*` for a bad filter.
    public func audit(installation: String?, filter: String?, limit: Int) async throws -> SearchPage {
        if let installation { _ = try workspace.record(installation) }
        var conditions: [String] = []
        if let installation { conditions.append("installation = \(JSONValue.string(installation).jsonText)") }
        if let filter {
            _ = try Filter(parsing: filter)  // errors point into the filter as it was written
            conditions.append("(\(filter))")
        }
        let store = try AuditLog(project: workspace.project).openForReading()
        let query = try Query(
            AuditLog.eventType, filter: conditions.isEmpty ? nil : conditions.joined(separator: " AND "),
            selection: try FieldSelection(parsing: AuditLog.fieldNames.joined(separator: ",")),
            ordering: try Ordering(parsing: "at:desc"), limit: limit
        ).checked(against: store.schema)
        let page = try await store.page(query)
        return SearchPage(
            entityType: AuditLog.eventType.name, fields: query.fields.map(\.name), records: page.items,
            hasMore: page.hasMore, cursor: page.cursor)
    }
}
