import Foundation
public import MaxCore
public import MaxCredentials
public import MaxPostgresStore

/// Where a project's installations keep what they sync: a SQLite file per installation under
/// `.max/` (the default), or a PostgreSQL database that workers on any number of machines share.
///
/// `max.json` chooses PostgreSQL with a `storage` object; the password is a reference, never the
/// value:
///
/// ```json
/// "storage": {"postgres": {"host": "db.internal", "port": 5432, "database": "max",
///                          "user": "max", "password": "env:PGPASSWORD"}}
/// ```
///
/// Each installation's tables live in a schema (PostgreSQL's namespace) named after it.
public enum ProjectStorage: Sendable, Equatable {
    /// A SQLite file per installation, under `.max/installations/<name>/`.
    case sqlite
    /// One PostgreSQL database, a schema per installation.
    case postgres(PostgresStorage)

    /// The storage `max.json`'s `storage` key describes (SQLite without one).
    ///
    /// - Throws: `project.invalid_config` naming the key at fault; `credentials.literal_secret`
    ///   for a password written out.
    public init(json: JSONValue?, path: String) throws {
        guard let json else {
            self = .sqlite
            return
        }
        guard let members = json.objectValue, members.count == 1, let (kind, settings) = members.first else {
            throw ProjectFile.invalid(path, #"storage must be {"sqlite": {}} or {"postgres": {…}}"#)
        }
        switch kind {
        case "sqlite": self = .sqlite
        case "postgres": self = .postgres(try PostgresStorage(json: settings, path: path))
        default:
            throw ProjectFile.invalid(path, "storage.\(kind) is not a storage: use sqlite or postgres")
        }
    }

    /// The PostgreSQL settings, when the project stores there.
    public var postgres: PostgresStorage? {
        if case .postgres(let settings) = self { return settings }
        return nil
    }
}

/// The PostgreSQL database a project stores in (`storage.postgres` in `max.json`).
public struct PostgresStorage: Sendable, Equatable {
    /// The server's host.
    public var host: String
    /// Its port.
    public var port: Int
    /// The database.
    public var database: String
    /// Who Max signs in as.
    public var user: String
    /// Where the password comes from (`env:VAR` or `file:PATH`); `nil` when the server asks none.
    public var password: CredentialSource?
    /// `disable`, `require` or `verify-full`; by default `disable` for a server on this machine
    /// (a loopback address) and `verify-full` for any other.
    public var sslmode: String?
    /// A PEM file of the authorities that `verify-full` trusts, instead of the system's.
    public var sslrootcert: String?

    static let keys = ["host", "port", "database", "user", "password", "sslmode", "sslrootcert"]

    /// Reads `storage.postgres`.
    ///
    /// - Throws: `project.invalid_config`; `credentials.literal_secret` for a password written out.
    init(json: JSONValue, path: String) throws {
        guard let members = json.objectValue else {
            throw ProjectFile.invalid(path, "storage.postgres must be an object")
        }
        for key in members.keys where !Self.keys.contains(key) {
            throw ProjectFile.invalid(
                path, "storage.postgres.\(key) is not a setting (use \(Self.keys.joined(separator: ", ")))")
        }
        func text(_ key: String, default value: String? = nil) throws -> String {
            guard let member = members[key] else {
                guard let value else { throw ProjectFile.invalid(path, "storage.postgres.\(key) is missing") }
                return value
            }
            guard let text = member.stringValue, !text.isEmpty else {
                throw ProjectFile.invalid(path, "storage.postgres.\(key) must be a non-empty string")
            }
            return text
        }
        host = try text("host", default: "127.0.0.1")
        sslmode = members["sslmode"] == nil ? nil : try text("sslmode")
        sslrootcert = members["sslrootcert"] == nil ? nil : try text("sslrootcert")
        if let sslmode, !["disable", "require", "verify-full"].contains(sslmode) {
            throw ProjectFile.invalid(path, "storage.postgres.sslmode must be disable, require or verify-full")
        }
        database = try text("database")
        user = try text("user")
        if let value = members["port"] {
            guard let number = value.intValue, (1...65535).contains(number) else {
                throw ProjectFile.invalid(path, "storage.postgres.port must be a port number (1 to 65535)")
            }
            port = number
        } else {
            port = 5432
        }
        if let value = members["password"] {
            guard let reference = value.stringValue, reference.hasPrefix("env:") || reference.hasPrefix("file:")
            else {
                throw MaxError(
                    .literalSecret,
                    "\(path): storage.postgres.password must say where the password is, not be the password: max.json is shared and never holds a secret",
                    hint: #"write "password": "env:PGPASSWORD" (or "file:/path/to/secret") and export the variable"#,
                    context: ["path": path, "key": "storage.postgres.password"])
            }
            password = try CredentialSource(parsing: reference, key: "storage.postgres.password")
        } else {
            password = nil
        }
    }

    /// The settings of `installation`'s store, its password read from its reference.
    ///
    /// - Parameters:
    ///   - installation: The installation, whose name is its schema's.
    ///   - connections: How many connections the store holds.
    /// - Returns: The settings.
    /// - Throws: `credentials.source_unreadable` when the password's variable or file is missing.
    public func settings(for installation: String, connections: Int = 2) throws -> PostgresStoreSettings {
        let secret = try password?.read(key: "storage.postgres.password", origin: "max.json")
        var settings = PostgresStoreSettings(
            host: host, port: port, database: database, user: user, password: secret?.revealed,
            namespace: installation, connections: connections)
        settings.tls = tls
        return settings
    }

    /// The encryption `sslmode` asks for, or the default for the host.
    var tls: PostgresStoreSettings.TLS {
        switch sslmode {
        case "disable": .disable
        case "require": .require
        case "verify-full": .verifyFull(rootCertificates: sslrootcert)
        default: HostName.isLoopback(host) ? .disable : .verifyFull(rootCertificates: sslrootcert)
        }
    }

    /// `host:port/database`, for messages.
    public var address: String { "\(host):\(port)/\(database)" }
}
