import Foundation
import MaxConnector
import MaxCore
import MaxCredentials
import MaxQuery
import MaxStorage
import MaxStore

/// This project as a Max node: the ``MaxAPI`` over its installations, their stores, the operation
/// invoker and the job runner.
///
/// Reads open stores read-only and need no connector: a store keeps the schema it was written
/// with. An installation served by another node is not this node's to answer: ``MaxNodes`` sends
/// its calls to a ``RemoteNode``, and here they are `remote.unsupported`.
public struct LocalNode: MaxAPI {
    /// The project.
    public let workspace: MaxWorkspace
    /// Who calls, for the audit log of syncs and operations (`cli:<user>`, `serve:<token>`, `mcp`).
    public var caller: String
    /// The request that led to the calls, when there is one (`max serve`'s `X-Request-Id`).
    public var requestID: String?
    /// Connections that read each installation's store at once, kept open between calls; `nil`
    /// for a one-shot command, which opens a store per call and lets it go.
    public var keptReaders: Int?

    /// The node of `workspace`, called by `caller`.
    public init(workspace: MaxWorkspace, caller: String) {
        self.workspace = workspace
        self.caller = caller
    }

    /// This node as a long-lived process runs it (`max serve`, `max mcp`): each installation's
    /// store stays open between calls, with `readers` connections reading at once (by default as
    /// many as the machine has cores, at least two).
    public func longLived(readers: Int? = nil) -> LocalNode {
        var node = self
        node.keptReaders = readers ?? max(2, ProcessInfo.processInfo.activeProcessorCount)
        return node
    }

    /// This node called by someone else.
    public func calling(as caller: String, requestID: String? = nil) -> LocalNode {
        var node = self
        node.caller = caller
        node.requestID = requestID
        return node
    }

    /// The record of a local installation.
    ///
    /// - Throws: `installation.not_found`; `remote.unsupported` for one another node serves.
    func localRecord(_ name: String) throws -> InstallationRecord {
        let record = try workspace.record(name)
        guard record.remoteURL == nil else {
            throw MaxError(
                .remoteUnsupported, "\(name) is served by the Max node at \(record.remoteURL ?? "")",
                hint: "ask through MaxNodes, which calls that node", context: ["installation": name])
        }
        return record
    }

    // MARK: Search and count

    /// One page of matches.
    ///
    /// - Throws: `installation.not_found`, `search.*` for a bad filter, field, order or cursor
    ///   (with the column), `storage.*`.
    public func search(_ request: SearchRequest) async throws -> SearchPage {
        let (store, raw, query) = try await prepare(request)
        let page = try await store.page(raw)
        return SearchPage(
            entityType: request.entityType, fields: query.fields.map(\.name), records: page.items,
            hasMore: page.hasMore, cursor: page.cursor)
    }

    /// Every match, read `batchSize` at a time from the store as the caller iterates.
    ///
    /// - Throws: as ``search(_:)``.
    public func searchAll(_ request: SearchRequest, batchSize: Int) async throws -> SearchStream {
        let (store, raw, query) = try await prepare(request)
        let size = min(request.limit ?? batchSize, batchSize)
        if let sqlite = store as? EntityStore {
            let local = sqlite.records(query, batchSize: size)
            return SearchStream(fields: query.fields.map(\.name), records: RecordStream(local: local))
        }
        // Another database: page by page, through the cursor.
        var first = raw
        first.limit = size
        let page = try await store.page(first)
        let fields = query.fields.map(\.name)
        let firstPage = SearchPage(
            entityType: request.entityType, fields: fields, records: page.items, hasMore: page.hasMore,
            cursor: page.cursor)
        return SearchStream(
            fields: fields,
            records: RecordStream(first: firstPage) { [first] cursor in
                var next = first
                next.cursor = cursor
                let page = try await store.page(next)
                return SearchPage(
                    entityType: request.entityType, fields: fields, records: page.items, hasMore: page.hasMore,
                    cursor: page.cursor)
            })
    }

    /// The number of matches.
    ///
    /// - Throws: as ``search(_:)``.
    public func count(_ request: CountRequest) async throws -> CountResult {
        _ = try localRecord(request.installation)
        let store = try await workspace.readingStore(request.installation, keepingOpen: keptReaders)
        if let groupBy = request.groupBy {
            let names = try Self.groupFields(groupBy)
            let selection = try FieldSelection(parsing: groupBy)
            let groups = try await explainingNeverSynced(request.installation) {
                try await store.countGroups(
                    try Query(
                        EntityType(request.entityType), filter: request.filter, selection: selection,
                        includeDeleted: request.includeDeleted ?? false))
            }
            return CountResult(
                count: groups.map(\.count).reduce(0, +),
                groups: groups.map { group in
                    CountResult.Group(
                        values: Dictionary(
                            zip(names, group.values.map(\.jsonValue)), uniquingKeysWith: { first, _ in first }),
                        count: group.count)
                })
        }
        let count = try await explainingNeverSynced(request.installation) {
            try await store.count(
                try Query(
                    EntityType(request.entityType), filter: request.filter,
                    includeDeleted: request.includeDeleted ?? false))
        }
        return CountResult(count: count)
    }

    /// The field names of a `groupBy`: plain fields and ref paths only (a group is one value).
    ///
    /// - Throws: `search.invalid_group_by` for an empty name or a `.props`-style set.
    static func groupFields(_ groupBy: String) throws -> [String] {
        let names = groupBy.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") }) else {
            throw MaxError(
                .invalidGroupBy, "--group-by takes field names separated by commas, not '\(groupBy.prefix(80))'",
                hint: "for example --group-by status,assignee.displayName (max schema lists the fields)")
        }
        return names
    }

    /// Runs `body`; an unknown entity type of an installation never synced says so (a source whose
    /// types are found at the source, a database, has none before its first sync).
    private func explainingNeverSynced<T>(_ name: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as MaxError where error.code == .unknownEntityType {
            let data = try workspace.project.dataURL(name)
            guard !FileManager.default.fileExists(atPath: data.path) else { throw error }
            throw MaxError(
                error.code, error.message,
                hint: "\(name) has never been synced: run \"max sync \(name)\" first (\(error.hint ?? ""))",
                context: error.context)
        }
    }

    private func prepare(_ request: SearchRequest) async throws -> (any SyncStore, Query, CheckedQuery) {
        _ = try localRecord(request.installation)
        let store = try await workspace.readingStore(request.installation, keepingOpen: keptReaders)
        let schema = await store.storedSchema
        let query = try Query(
            EntityType(request.entityType), filter: request.filter,
            selection: try request.fields.map(FieldSelection.init(parsing:)) ?? .props,
            ordering: try request.orderBy.map(Ordering.init(parsing:)) ?? .byID,
            limit: request.limit ?? SearchRequest.defaultLimit, cursor: request.cursor,
            includeDeleted: request.includeDeleted ?? false)
        return (
            store, query,
            try await explainingNeverSynced(request.installation) { try query.checked(against: schema) }
        )
    }

    // MARK: Runs and audit

    /// An installation's syncs, newest first; a run left running by a process that is gone is
    /// `interrupted`.
    ///
    /// - Throws: `installation.not_found`, `api.invalid_request` for a limit outside 1…1000,
    ///   `storage.*`.
    public func runs(_ request: RunsRequest) async throws -> RunList {
        let name = request.installation
        _ = try localRecord(name)
        let limit = request.limit ?? 20
        guard (1...1000).contains(limit) else {
            throw MaxError.invalidRequest("limit must be between 1 and 1000, not \(limit)")
        }
        // A run left running by a process that is gone shows as interrupted, as in `max ls`.
        let store = try await workspace.readingStore(name, keepingOpen: keptReaders)
        let now = Date()
        let locked = InstallationLock.holder(of: name, in: workspace.project) != nil
        let runs = try await store.runs(limit: limit)
            .enumerated().map { index, run in
                // In a shared store, a run is live while its driver's hold lasts (a worker takes
                // over one whose hold ran out); in a local one, while its process holds the lock.
                let live = store.isShared ? (run.heldUntil.map { $0 >= now } ?? false) : locked && index == 0
                return Self.info(run.status == .running && !live ? run.with(status: .interrupted) : run)
            }
        return RunList(runs: runs)
    }

    /// A stored run as the API shows it.
    static func info(_ run: SyncRun) -> RunInfo {
        RunInfo(
            id: run.id, kind: run.kind, status: run.status.rawValue, startedAt: run.startedAt,
            finishedAt: run.finishedAt, entities: run.entitiesWritten, requests: run.requests, retries: run.retries,
            rateLimited: run.rateLimited, tasksFailed: run.tasksFailed, error: run.error)
    }

    /// Audit events, newest first: of one installation or all, matching `filter`.
    ///
    /// - Throws: `installation.not_found`; `search.*` for a bad filter.
    public func audit(_ request: AuditRequest) async throws -> SearchPage {
        if let installation = request.installation { _ = try workspace.record(installation) }
        var conditions: [String] = []
        if let installation = request.installation {
            conditions.append("installation = \(JSONValue.string(installation).jsonText)")
        }
        if let filter = request.filter {
            _ = try Filter(parsing: filter)  // errors point into the filter as it was written
            conditions.append("(\(filter))")
        }
        let limit = request.limit ?? 50
        guard (1...1000).contains(limit) else {
            throw MaxError.invalidRequest("limit must be between 1 and 1000, not \(limit)")
        }
        let store = try await AuditLog(project: workspace.project).openForReading()
        let query = try Query(
            AuditLog.eventType, filter: conditions.isEmpty ? nil : conditions.joined(separator: " AND "),
            selection: try FieldSelection(parsing: AuditLog.fieldNames.joined(separator: ",")),
            ordering: try Ordering(parsing: "at:desc"), limit: limit)
        let fields = try query.checked(against: AuditLog.schema).fields
        let page = try await store.page(query)
        return SearchPage(
            entityType: AuditLog.eventType.name, fields: fields.map(\.name), records: page.items,
            hasMore: page.hasMore, cursor: page.cursor)
    }

    // MARK: Credentials

    /// The names of an installation's credentials and where each comes from: `stored`, or the
    /// reference in `max.json` (which wins over anything stored).
    ///
    /// - Throws: `installation.not_found`, `credentials.*` for an unreadable store.
    public func credentials(_ request: InstallationRequest) async throws -> CredentialList {
        let name = request.installation
        let record = try workspace.record(name)
        let stored = try workspace.credentials(for: name, installation: record.id).listing()
        let references = record.credentialReferences
        let entries =
            (stored.filter { references[$0.name] == nil }.map {
                CredentialList.Entry(key: $0.name, source: "stored", setAt: $0.setAt)
            } + references.map { CredentialList.Entry(key: $0.key, source: $0.value.shown) })
            .sorted { $0.key < $1.key }
        return CredentialList(installation: name, credentials: entries)
    }
}
