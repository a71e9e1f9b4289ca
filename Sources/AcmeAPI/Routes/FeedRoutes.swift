import Foundation
import GRDB
import Hummingbird

/// The change log and task history.
enum FeedRoutes {
    struct EventDTO: Encodable {
        let sequence: Int
        let entityType: String
        let entityId: String
        let action: String
        let payload: AnyJSON
        let timestamp: String

        init(_ event: ChangeEvent) {
            sequence = event.sequence
            entityType = event.entityType
            entityId = event.entityId
            action = event.action
            payload = event.payload.flatMap { try? JSONDecoder().decode(AnyJSON.self, from: Data($0.utf8)) } ?? .null
            timestamp = event.timestamp
        }
    }

    struct EventsPage: Encodable {
        let events: [EventDTO]
        let nextCursor: Int?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(events, forKey: .events)
            try container.encode(nextCursor, forKey: .nextCursor)
        }

        private enum CodingKeys: String, CodingKey { case events, nextCursor }
    }

    struct HistoryDTO: Encodable {
        let id: String
        let taskId: String
        let changedById: String
        let changedAt: String
        let changes: AnyJSON
    }

    struct HistoryPage: Encodable {
        let entries: [HistoryDTO]
        let nextCursor: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(entries, forKey: .entries)
            try container.encode(nextCursor, forKey: .nextCursor)
        }

        private enum CodingKeys: String, CodingKey { case entries, nextCursor }
    }

    static func add<Context: RequestContext>(to router: Router<Context>, state: AcmeState) {
        router.get("api/changes") { request, _ -> Response in
            let query = request.uri.queryParameters
            let since = try integer(query["since"], name: "since", default: 0, range: 0...Int.max)
            let limit = try integer(query["limit"], name: "limit", default: 100, range: 1...1000)
            let events = try await state.database.writer.read { db in
                try ChangeEvent.fetchAll(
                    db, sql: "SELECT * FROM changes WHERE sequence > ? ORDER BY sequence LIMIT ?",
                    arguments: [since, limit])
            }
            let next = events.count == limit ? events.last?.sequence : nil
            return try Reply.json(EventsPage(events: events.map(EventDTO.init), nextCursor: next))
        }

        router.get("api/tasks/:id/history") { request, context -> Response in
            let id = try context.parameters.require("id")
            let query = request.uri.queryParameters
            let limit = try integer(query["limit"], name: "limit", default: 50, range: 1...1000)
            let before = query["before"].map(String.init)
            let entries = try await state.database.writer.read { db -> [HistoryEntry] in
                guard try db.exists("tasks", id: id) else { throw AcmeHTTPError.notFound }
                var sql = "SELECT * FROM history WHERE taskId = ?"
                var arguments: StatementArguments = [id]
                if let before {
                    guard
                        let anchor = try Row.fetchOne(
                            db, sql: "SELECT changedAt, id FROM history WHERE id = ? AND taskId = ?",
                            arguments: [before, id])
                    else { throw AcmeHTTPError.badRequest("before is not an entry of this task") }
                    sql += " AND (changedAt < ? OR (changedAt = ? AND id < ?))"
                    let changedAt: String = anchor["changedAt"]
                    arguments += [changedAt, changedAt, before]
                }
                sql += " ORDER BY changedAt DESC, id DESC LIMIT ?"
                arguments += [limit]
                return try HistoryEntry.fetchAll(db, sql: sql, arguments: arguments)
            }
            let dtos = entries.map {
                HistoryDTO(
                    id: $0.id, taskId: $0.taskId, changedById: $0.changedById, changedAt: $0.changedAt,
                    changes: (try? JSONDecoder().decode(AnyJSON.self, from: Data($0.changes.utf8))) ?? .null)
            }
            return try Reply.json(
                HistoryPage(entries: dtos, nextCursor: entries.count == limit ? entries.last?.id : nil))
        }
    }

    static func integer(_ text: Substring?, name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw AcmeHTTPError.badRequest("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}
