import Foundation
import GRDB
import Hummingbird

/// What the generic resource routes need of a record.
protocol AcmeRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    var id: String { get }
    var updatedAt: String { get set }
    var deletedAt: String? { get set }
}

extension Workspace: AcmeRecord {}
extension User: AcmeRecord {}
extension Project: AcmeRecord {}
extension AcmeTask: AcmeRecord {}
extension AcmeFile: AcmeRecord {}

/// The CRUD routes every Acme resource shares: list (optionally by parent, optionally paginated),
/// create (201), get, patch, and soft delete, each logging to the change log and notifying webhooks.
struct ResourceRoutes<Record: AcmeRecord> {
    /// What an update puts in its change event's payload.
    enum UpdatePayload {
        /// The changed fields with their new values.
        case changedFields
        /// `null`.
        case none
    }

    let path: String
    let entityType: String
    let idPrefix: String
    let parentFilter: String?
    let updatePayload: UpdatePayload
    /// Builds a new record from a body (validating references inside the transaction).
    let create: @Sendable (Body, _ id: String, _ now: String, Database) throws -> Record
    /// Applies a body to a record.
    let update: @Sendable (inout Record, Body, _ now: String, Database) throws -> Void
    /// Runs after an update that changed something, in the same transaction (task history).
    var afterUpdate:
        (
            @Sendable (_ before: Record, _ after: Record, _ changes: [String: (AnyJSON, AnyJSON)], Body, Database)
                throws -> Void
        )?

    func add<Context: RequestContext>(to router: Router<Context>, state: AcmeState) {
        let group = router.group(RouterPath("api/\(path)"))
        group.get { request, _ in try await list(request, state: state) }
        group.post { request, _ in
            var request = request
            return try await create(try await Body.read(&request), state: state)
        }
        group.get(":id") { _, context in
            guard let record = try await state.database.live(Record.self, id: try context.parameters.require("id"))
            else {
                throw AcmeHTTPError.notFound
            }
            return try Reply.json(record)
        }
        group.patch(":id") { request, context in
            var request = request
            return try await patch(try context.parameters.require("id"), try await Body.read(&request), state: state)
        }
        group.delete(":id") { _, context in try await delete(try context.parameters.require("id"), state: state) }
    }

    private func list(_ request: Request, state: AcmeState) async throws -> Response {
        let query = request.uri.queryParameters
        var limit: Int?
        if let text = query["limit"] {
            guard let value = Int(text), (1...10_000).contains(value) else {
                throw AcmeHTTPError.badRequest("limit must be an integer from 1 to 10000")
            }
            limit = value
        }
        let records = try await state.database.list(
            Record.self, parentColumn: parentFilter,
            parent: parentFilter.flatMap { query[Substring($0)].map(String.init) },
            after: query["after"].map(String.init), limit: limit)
        return try Reply.json(records)
    }

    private func create(_ body: Body, state: AcmeState) async throws -> Response {
        var random = SystemRandomNumberGenerator()
        let id = idPrefix + AcmeRandom.hex(random.next()) + AcmeRandom.hex(random.next())
        let now = AcmeTime.now()
        let (record, event) = try await state.database.writer.write { db in
            let record = try create(body, id, now, db)
            try record.insert(db)
            let event = try AcmeDatabase.logChange(
                db, entityType: entityType, entityId: id, action: "create", payload: Reply.text(record), at: now)
            return (record, event)
        }
        state.webhooks.notify(event)
        return try Reply.json(record, status: .created)
    }

    private func patch(_ id: String, _ body: Body, state: AcmeState) async throws -> Response {
        let now = AcmeTime.now()
        let (record, event) = try await state.database.writer.write { db -> (Record, ChangeEvent?) in
            guard
                let before = try Record.fetchOne(
                    db, sql: "SELECT * FROM \(Record.databaseTableName) WHERE id = ? AND deletedAt IS NULL",
                    arguments: [id])
            else { throw AcmeHTTPError.notFound }
            var after = before
            try update(&after, body, now, db)
            let changes = Self.diff(before, after)
            guard !changes.isEmpty else { return (before, nil) }
            after.updatedAt = now
            try after.update(db)
            try afterUpdate?(before, after, changes, body, db)
            let payload: String? =
                switch updatePayload {
                case .changedFields: Reply.text(changes.mapValues { $0.1 })
                case .none: nil
                }
            let event = try AcmeDatabase.logChange(
                db, entityType: entityType, entityId: id, action: "update", payload: payload, at: now)
            return (after, event)
        }
        if let event { state.webhooks.notify(event) }
        return try Reply.json(record)
    }

    private func delete(_ id: String, state: AcmeState) async throws -> Response {
        let now = AcmeTime.now()
        let event = try await state.database.writer.write { db in
            try db.execute(
                sql: "UPDATE \(Record.databaseTableName) SET deletedAt = ? WHERE id = ? AND deletedAt IS NULL",
                arguments: [now, id])
            guard db.changesCount > 0 else { throw AcmeHTTPError.notFound }
            return try AcmeDatabase.logChange(
                db, entityType: entityType, entityId: id, action: "delete", payload: nil, at: now)
        }
        state.webhooks.notify(event)
        return try Reply.json(["ok": true])
    }

    /// The fields whose JSON differs, with their values before and after (`updatedAt` excluded).
    static func diff(_ before: Record, _ after: Record) -> [String: (AnyJSON, AnyJSON)] {
        let decoder = JSONDecoder()
        guard let old = try? decoder.decode([String: AnyJSON].self, from: Reply.encoder.encode(before)),
            let new = try? decoder.decode([String: AnyJSON].self, from: Reply.encoder.encode(after))
        else { return [:] }
        var changes: [String: (AnyJSON, AnyJSON)] = [:]
        for (key, value) in new where key != "updatedAt" && old[key] != value {
            changes[key] = (old[key] ?? .null, value)
        }
        return changes
    }
}

extension Database {
    /// Answers 400 "`field` does not exist" unless a live row with `id` is in `table`.
    func requireLive(_ table: String, id: String, field: String) throws {
        guard try exists(table, id: id) else { throw AcmeHTTPError.badRequest("\(field) does not exist") }
    }

    /// Whether a live row with `id` exists in `table`.
    func exists(_ table: String, id: String, where extra: String = "", _ arguments: StatementArguments = []) throws
        -> Bool
    {
        try Bool.fetchOne(
            self, sql: "SELECT 1 FROM \(table) WHERE id = ? AND deletedAt IS NULL \(extra)", arguments: [id] + arguments
        ) ?? false
    }
}
