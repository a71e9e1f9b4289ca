import Foundation
import Logging
import MaxConnector
import MaxCore
import NIOCore
import NIOSSL
import PostgresNIO

/// Opens connections to the installation's server, and turns PostgresNIO's failures into errors
/// that say what to fix.
struct PostgresLink: Sendable {
    let config: PostgresConfig
    let credentials: any CredentialStore
    let logger: Logger

    static let password = Credential.key("password")

    /// A connection with the session settings Max reads under: UTC, ISO dates, read only.
    func connect() async throws -> PostgresConnection {
        var configuration = PostgresConnection.Configuration(
            host: config.host, port: config.port ?? 5432, username: config.user,
            password: try await password(), database: config.database, tls: try tls())
        configuration.options.connectTimeout = .seconds(10)
        // Dates in UTC, ISO text, and a session that cannot write.
        configuration.options.additionalStartupParameters = [
            ("TimeZone", "UTC"), ("DateStyle", "ISO"), ("default_transaction_read_only", "on"),
            ("application_name", "max"),
        ]
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw failure(error)
        }
        return connection
    }

    /// Runs `query` and collects its rows, mapping failures.
    func rows(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [PostgresRow] {
        do {
            var rows: [PostgresRow] = []
            for try await row in try await connection.query(query, logger: logger) { rows.append(row) }
            return rows
        } catch {
            throw failure(error)
        }
    }

    /// Opens a connection, runs `body` with it, closes it.
    func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await connect()
        do {
            let value = try await body(connection)
            try? await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private func password() async throws -> String? {
        do {
            return try await credentials.get(Self.password)
        } catch let error as MaxError where error.code == .credentialMissing {
            return nil  // trust or peer authentication: the server says if it wants one
        }
    }

    private func tls() throws -> PostgresConnection.Configuration.TLS {
        switch try config.tlsMode {
        case .disable:
            return .disable
        case .require:
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = .none
            return .require(try NIOSSLContext(configuration: settings))
        case .verifyFull:
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = .fullVerification
            if let file = config.sslrootcert, !file.isEmpty {
                settings.trustRoots = .file(file)
            }
            do {
                return .require(try NIOSSLContext(configuration: settings))
            } catch {
                throw MaxError(
                    .invalidConfig,
                    "the certificate authorities in \(config.sslrootcert ?? "the system store") cannot be read",
                    hint: "give sslrootcert the path of a PEM file", context: ["field": "sslrootcert"])
            }
        }
    }

    var address: String { "\(config.host):\(config.port ?? 5432)" }

    /// The error to report for `error`, which PostgresNIO (or NIO beneath it) threw.
    func failure(_ error: any Error) -> MaxError {
        if let error = error as? MaxError { return error }
        if error is CancellationError {
            return MaxError(.postgresUnreachable, "the query to \(address) was cancelled")
        }
        guard let error = error as? PSQLError else {
            return unreachable(Self.reason("\(error)"))
        }
        switch error.code {
        case .server:
            return server(error)
        case .sslUnsupported:
            return MaxError(
                .postgresTLSFailed,
                "the PostgreSQL server at \(address) does not accept TLS connections, and sslmode is \((try? config.tlsMode.rawValue) ?? "set")",
                hint:
                    "turn on ssl in the server's postgresql.conf, or set \"sslmode\": \"disable\" in the installation's config (only on a network you trust)",
                context: ["host": config.host])
        case .authMechanismRequiresPassword:
            return MaxError(
                .postgresAuthenticationFailed, "the server at \(address) asks for a password and none is stored",
                hint: "store the password: \(MaxError.reauthenticateCommand())", context: ["user": config.user])
        case .unsupportedAuthMechanism, .saslError:
            return MaxError(
                .postgresAuthenticationFailed, "signing in to \(address) as \(config.user) failed",
                hint: "check the user and the password: \(MaxError.reauthenticateCommand())",
                context: ["user": config.user])
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
            if let underlying = error.underlying, "\(underlying)".lowercased().contains("certificate") {
                return MaxError(
                    .postgresTLSFailed, "the certificate of \(address) failed verification: \(underlying)",
                    hint:
                        "give the server's certificate authority in \"sslrootcert\", or set \"sslmode\": \"require\" to encrypt without checking it",
                    context: ["host": config.host])
            }
            return unreachable(error.underlying.map { Self.reason("\($0)") } ?? "the connection closed")
        default:
            return MaxError(
                .postgresQueryFailed, "PostgreSQL at \(address) failed: \(String(describing: error.code))",
                context: ["host": config.host])
        }
    }

    /// A network failure in a few words (NIO's descriptions name every address tried).
    static func reason(_ description: String) -> String {
        let lowered = description.lowercased()
        if lowered.contains("connection refused") { return "the connection was refused" }
        if lowered.contains("timed out") || lowered.contains("timeout") { return "the connection timed out" }
        if lowered.contains("resolve") || lowered.contains("no such host") || lowered.contains("unknown host") {
            return "the host name does not resolve"
        }
        if lowered.contains("unreachable") { return "the network is unreachable" }
        return description
    }

    private func unreachable(_ reason: String) -> MaxError {
        MaxError(
            .postgresUnreachable, "cannot reach PostgreSQL at \(address): \(reason)",
            hint:
                "check that the server runs and accepts TCP connections there (listen_addresses, pg_hba.conf, a firewall), and the installation's host and port",
            context: ["host": config.host])
    }

    private func server(_ error: PSQLError) -> MaxError {
        let state = error.serverInfo?[.sqlState] ?? ""
        let message = error.serverInfo?[.message] ?? "an error"
        switch state {
        case "28P01", "28000":
            return MaxError(
                .postgresAuthenticationFailed, "PostgreSQL at \(address) refused the user \(config.user): \(message)",
                hint: "check the user and the password: \(MaxError.reauthenticateCommand())",
                context: ["user": config.user, "sqlstate": state])
        case "3D000":
            return MaxError(
                .postgresDatabaseNotFound, "there is no database \(config.database) at \(address)",
                hint: "check the installation's database name", context: ["database": config.database])
        case "42P01":
            return MaxError(
                .postgresTableNotFound, "a table Max reads is gone: \(message)",
                hint: "sync again: Max reads the tables the database has now", context: ["sqlstate": state])
        case "42501":
            return MaxError(
                .postgresPermissionDenied, "\(config.user) may not read it: \(message)",
                hint: "grant the user SELECT on the tables (GRANT SELECT ON ALL TABLES IN SCHEMA … TO \(config.user))",
                context: ["sqlstate": state])
        case _ where state.hasPrefix("08") || state.hasPrefix("57P"):
            return unreachable(message)
        default:
            return MaxError(
                .postgresQueryFailed, "PostgreSQL at \(address) failed: \(message) (SQLSTATE \(state))",
                context: ["sqlstate": state])
        }
    }
}
