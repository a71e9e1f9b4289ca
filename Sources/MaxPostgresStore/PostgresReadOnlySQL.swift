import Foundation
public import Logging
import MaxCore
public import MaxQuery
public import MaxStore
import NIOCore
import PostgresNIO

/// `max sql` over installations' tables in the project's PostgreSQL database: the views
/// ``SQLViews`` defines, the same limits as in SQLite.
///
/// A connection of its own, closed after the statement:
/// - the views are made as temporary views of the session, and a bare name written in other
///   case than a view's or a column's (`acmetask`, `duedate`) is quoted as theirs, since
///   PostgreSQL folds bare names to lower case where SQLite ignores case;
/// - the statement runs alone (PostgreSQL's extended protocol takes one statement) in a read-only
///   transaction, which is rolled back, so a write, `CREATE`, `COPY … FROM` or `LOCK` is refused
///   by the server, as `sql.read_only`;
/// - `statement_timeout` stops it at the time limit (`sql.timeout`); past the row limit it is
///   `sql.too_many_rows`.
///
/// It reads as the store's user, so the user's privileges bound what a statement can name beyond
/// the views.
public enum PostgresReadOnlySQL {
    /// Runs `sql` over `sources` (their `databaseSchema` is each installation's namespace).
    ///
    /// - Throws: `sql.read_only`, `sql.timeout`, `sql.too_many_rows`, `sql.invalid` with the
    ///   position; `storage.postgres_unreachable`.
    public static func run(
        _ sql: String, over sources: [SQLViews.Source], settings: PostgresStoreSettings, limits: SQLLimits,
        logger: Logger = Logger(label: "max.sql.postgres")
    ) async throws -> SQLRows {
        let plain = SQLViews(sources, dialect: .postgres, includeDeleted: false)
        // PostgreSQL folds bare names to lower case: `AcmeTask` and `dueDate` are written quoted.
        let text = SQLText(
            sql, qualifiedViews: plain.qualifiedNames, dialect: .postgres, foldedNames: plain.foldedNames)
        let views = SQLViews(sources, dialect: .postgres, includeDeleted: text.mentionsDeleted)
        try refuseIfNotARead(text)
        var configuration = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.user, password: settings.password,
            database: settings.database, tls: try PostgresEntityStore.tls(settings))
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = [("application_name", "max sql")]
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw MaxError(
                .postgresStoreUnreachable,
                "the PostgreSQL store at \(settings.address) cannot be reached as \(settings.user): \(PostgresEntityStore.reason(error))",
                hint:
                    "check storage.postgres in max.json (host, port, database, user, sslmode) and its password's variable",
                context: ["host": settings.host, "database": settings.database])
        }
        do {
            let rows = try await run(text, views: views, on: connection, limits: limits, logger: logger)
            try? await connection.close()
            return rows
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private static func run(
        _ text: SQLText, views: SQLViews, on connection: PostgresConnection, limits: SQLLimits, logger: Logger
    ) async throws -> SQLRows {
        func setUp(_ statement: String) async throws {
            do {
                _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).get()
            } catch {
                throw MaxError(
                    .postgresStoreFailed,
                    "max sql could not prepare its session: \(PostgresEntityStore.reason(error))",
                    context: ["statement": String(statement.prefix(200))])
            }
        }
        for view in views.views { try await setUp(view.create(in: .postgres)) }
        let (seconds, attoseconds) = limits.timeout.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        try await setUp("SET statement_timeout = \(max(1, milliseconds))")
        try await setUp("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        try await setUp("BEGIN READ ONLY")
        do {
            let sequence = try await connection.query(PostgresQuery(unsafeSQL: text.rewritten), logger: logger)
            var columns: [String] = []
            var rows: [[JSONValue]] = []
            for try await row in sequence {
                let cells = row.makeRandomAccess()
                if columns.isEmpty { columns = (0..<cells.count).map { cells[$0].columnName } }
                guard rows.count < limits.maxRows else { throw MaxError.sqlTooManyRows(limits.maxRows) }
                rows.append(try (0..<cells.count).map { try value(cells[$0]) })
            }
            if columns.isEmpty { columns = sequence.columns.map(\.name) }
            return SQLRows(columns: columns, rows: rows)
        } catch let error as PSQLError {
            throw failure(error, text: text, limits: limits)
        }
    }

    /// Refuses, before connecting, a statement whose first word makes it something else than a
    /// query; the read-only transaction refuses the rest (a `WITH` that deletes).
    private static func refuseIfNotARead(_ text: SQLText) throws {
        guard let first = text.firstWord?.uppercased() else {
            throw MaxError(
                .sqlInvalid, "there is no statement to run",
                hint:
                    "give one SELECT, for example: max sql acme \"SELECT status, count(*) FROM AcmeTask GROUP BY status\""
            )
        }
        guard ["SELECT", "WITH", "VALUES", "TABLE", "("].contains(first) else {
            throw MaxError.sqlReadOnly(first)
        }
    }

    private static func failure(_ error: PSQLError, text: SQLText, limits: SQLLimits) -> MaxError {
        let state = error.serverInfo?[.sqlState] ?? ""
        let message = error.serverInfo?[.message] ?? PostgresEntityStore.reason(error)
        switch state {
        case "57014": return MaxError.sqlTimeout(limits.timeout)
        case "25006", "42501": return MaxError.sqlReadOnly("what the server refused (\(message))")
        default:
            // The server's position counts characters from 1.
            let offset = error.serverInfo?[.position].flatMap(Int.init).map { position in
                text.rewritten.prefix(max(0, position - 1)).utf8.count
            }
            if message.contains("cannot insert multiple commands") {
                return MaxError.sqlInvalid("max sql runs one statement at a time", in: text, at: nil)
            }
            return MaxError.sqlInvalid(message, in: text, at: offset)
        }
    }

    /// A cell as JSON: numbers, text, booleans; dates as ISO-8601; JSON as its value.
    private static func value(_ cell: PostgresCell) throws -> JSONValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .bool: return .bool(try cell.decode(Bool.self))
        case .int2, .int4, .int8: return .int(Int(try cell.decode(Int64.self)))
        case .float4, .float8: return .double(try cell.decode(Double.self))
        case .numeric:
            let decimal = try cell.decode(Decimal.self)
            let rounded = NSDecimalNumber(decimal: decimal)
            if decimal == Decimal(rounded.int64Value) { return .int(Int(rounded.int64Value)) }
            return .double(rounded.doubleValue)
        case .json, .jsonb:
            guard var bytes = cell.bytes else { return .null }
            if cell.dataType == .jsonb, cell.format == .binary { bytes.moveReaderIndex(forwardBy: 1) }
            let text = bytes.readString(length: bytes.readableBytes) ?? ""
            return (try? JSONValue(parsing: text)) ?? .string(text)
        case .timestamp, .timestamptz, .date:
            let date = try cell.decode(Date.self)
            return .string(date.formatted(.iso8601))
        case .uuid: return .string(try cell.decode(UUID.self).uuidString.lowercased())
        default:
            do {
                return .string(try cell.decode(String.self))
            } catch {
                throw MaxError(
                    .sqlInvalid,
                    "the column \(cell.columnName) has a type max sql cannot show (PostgreSQL type \(cell.dataType))",
                    hint: "cast it to text in the statement: \(cell.columnName)::text")
            }
        }
    }
}
