import Foundation
import MaxConnector
import MaxCore
import PostgresNIO

/// The PostgreSQL connector's incremental syncs.
///
/// A position holds, per table, how far its changes were read: the largest value of its cursor
/// column (read again with `>=`, so rows sharing that value are not missed), or the oldest
/// transaction id its snapshot did not see (`xmin` approach: every row whose last change is by a
/// transaction at least that recent is read again). An incremental sync reads each table's rows
/// past its position in key order, a page at a time, then lists every key of the table: stored
/// rows whose key is gone were deleted. While it runs, the position also says which table and key
/// it reached, so a sync cut short resumes there.
enum PostgresChanges {
    /// A position, as stored between syncs (JSON).
    struct Position: Codable, Sendable, Equatable {
        var tables: [String: Mark]
        var pass: Pass?
    }

    /// How far one table was read.
    struct Mark: Codable, Sendable, Equatable {
        /// The largest cursor value read (its text); `nil` when the table was empty.
        var column: String? = nil
        /// The snapshot's oldest running transaction id, with its epoch.
        var xmin: String? = nil
    }

    /// An incremental sync under way.
    struct Pass: Codable, Sendable, Equatable {
        /// The marks the tables get once the pass ends.
        var targets: [String: Mark]
        /// The table being read, by its place in the model.
        var table: Int
        /// The last key read of it.
        var after: [String]?
    }

    static let feed = ChangeFeed<PostgresContext>(
        position: { context in try encode(Position(tables: try await marks(context), pass: nil)) },
        changes: { after, context in try await changes(after: after, context) })

    /// The next page of changes after `after`.
    static func changes(after: String, _ context: PostgresContext) async throws -> ChangePage {
        guard let model = context.model else {
            throw MaxError(.installationNotStarted, "the PostgreSQL installation's tables are not known yet")
        }
        var position = try decode(after)
        var pass: Pass
        if let current = position.pass {
            pass = current
        } else {
            pass = Pass(targets: try await marks(context), table: 0, after: nil)
        }
        guard pass.table < model.tables.count else {
            return ChangePage(
                changes: [], position: try encode(Position(tables: pass.targets, pass: nil)), hasMore: false)
        }
        let table = model.tables[pass.table]
        let changed = position.tables[table.type.name].flatMap { Self.condition(for: table, since: $0) }
        let (inputs, last) = try await context.rows(
            of: table, after: pass.after, limit: context.pageSize, condition: changed)
        let membership = [Change.Membership(PostgresModel.root, table.field, owners: [context.root])]
        var found = inputs.map { Change.upsert($0, memberships: membership) }
        if inputs.count == context.pageSize {
            pass.after = last
            position.pass = pass
            return ChangePage(changes: found, position: try encode(position), hasMore: true)
        }
        found.append(.exactly(table.type, ids: try await context.ids(of: table)))
        pass.table += 1
        pass.after = nil
        if pass.table == model.tables.count {
            return ChangePage(
                changes: found, position: try encode(Position(tables: pass.targets, pass: nil)), hasMore: false)
        }
        position.pass = pass
        return ChangePage(changes: found, position: try encode(position), hasMore: true)
    }

    /// Where each table's changes end now, in the sync's snapshot.
    static func marks(_ context: PostgresContext) async throws -> [String: Mark] {
        guard let model = context.model else { return [:] }
        var marks: [String: Mark] = [:]
        var xmin: String?
        for table in model.tables {
            let connection = try context.connection(for: table)
            switch table.cursor {
            case .column(let name, _):
                let rows = try await context.link.rows(
                    PostgresQuery(unsafeSQL: "SELECT max(\(TableModel.quoted(name)))::text FROM \(table.from)"),
                    on: connection)
                marks[table.type.name] = Mark(column: try rows.first?.decode(String?.self), xmin: nil)
            case .xmin:
                if xmin == nil {
                    let rows = try await context.link.rows(
                        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text", on: connection)
                    xmin = try rows.first?.decode(String.self)
                }
                marks[table.type.name] = Mark(column: nil, xmin: xmin)
            }
        }
        return marks
    }

    /// The rows of `table` changed since `mark`; `nil` (every row) when the mark is not of the
    /// table's kind of cursor (a table whose cursor column was configured since).
    static func condition(for table: TableModel, since mark: Mark) -> (sql: String, binds: [String])? {
        switch table.cursor {
        case .column(let name, let declared):
            guard let value = mark.column else { return nil }
            return ("\(TableModel.quoted(name)) >= $1::\(declared)", [value])
        case .xmin:
            guard let value = mark.xmin else { return nil }
            // xmin is a 32-bit transaction id: it gets the epoch of the newest id, less one when it
            // would be newer than that (it wrapped around since).
            let newest = "pg_snapshot_xmax(pg_current_snapshot())::text::int8"
            let widened = "(((\(newest) >> 32) << 32) | xmin::text::int8)"
            return ("(\(widened) - CASE WHEN \(widened) > \(newest) THEN 4294967296 ELSE 0 END) >= $1::int8", [value])
        }
    }

    static func encode(_ position: Position) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(position), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> Position {
        guard let position = try? JSONDecoder().decode(Position.self, from: Data(text.utf8)) else {
            throw MaxError(
                .invalidConfig, "the stored position '\(text.prefix(40))' is not a PostgreSQL connector's",
                hint: "run a full sync: max sync <installation> --full")
        }
        return position
    }
}
