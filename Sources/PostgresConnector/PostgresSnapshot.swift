import Logging
import MaxCore
import PostgresNIO

/// The connections of one sync, every one reading the same snapshot of the database.
///
/// The first opens a repeatable-read transaction and exports its snapshot, the others import it (what
/// parallel `pg_dump` does). So every page of every table is read as of one instant, and
/// keyset paging never skips or repeats a row that changed while the sync read.
final class PostgresSnapshot: Sendable {
    let connections: [PostgresConnection]
    private let link: PostgresLink

    private init(connections: [PostgresConnection], link: PostgresLink) {
        self.connections = connections
        self.link = link
    }

    /// Opens `count` connections on one snapshot.
    static func open(_ link: PostgresLink, count: Int) async throws -> PostgresSnapshot {
        var connections: [PostgresConnection] = []
        do {
            let first = try await link.connect()
            connections.append(first)
            _ = try await link.rows("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", on: first)
            let id = try await link.rows("SELECT pg_export_snapshot()", on: first).first?.decode(String.self) ?? ""
            // The id is hex digits and dashes; SET TRANSACTION SNAPSHOT takes no parameter.
            guard !id.isEmpty, id.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
                throw MaxError(.postgresQueryFailed, "the server exported no usable snapshot ('\(id)')")
            }
            for _ in 1..<max(1, count) {
                let connection = try await link.connect()
                connections.append(connection)
                _ = try await link.rows("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", on: connection)
                _ = try await link.rows(PostgresQuery(unsafeSQL: "SET TRANSACTION SNAPSHOT '\(id)'"), on: connection)
            }
        } catch {
            for connection in connections { try? await connection.close() }
            throw error
        }
        return PostgresSnapshot(connections: connections, link: link)
    }

    /// The connection the `index`th table reads on.
    func connection(for index: Int) -> PostgresConnection { connections[index % connections.count] }

    /// Ends the transactions (nothing was written) and closes the connections.
    func close() async {
        for connection in connections {
            _ = try? await link.rows("COMMIT", on: connection)
            try? await connection.close()
        }
    }
}
