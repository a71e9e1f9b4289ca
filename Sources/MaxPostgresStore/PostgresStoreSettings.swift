/// Where a PostgreSQL store lives: the server, the database, who Max signs in as, and the schema
/// (PostgreSQL's namespace) that holds one installation's tables.
public struct PostgresStoreSettings: Sendable, Hashable {
    /// The server's host.
    public var host: String
    /// Its port.
    public var port: Int
    /// The database.
    public var database: String
    /// The user.
    public var user: String
    /// The password, resolved from its reference by the caller; `nil` for trust or peer
    /// authentication.
    public var password: String?
    /// The schema holding the installation's tables (created when missing).
    public var namespace: String
    /// How many connections the store holds, so that many calls run at once (at least one).
    public var connections: Int
    /// How connections are encrypted.
    public var tls: TLS = .disable

    /// How a store's connections are encrypted (libpq's `sslmode`).
    public enum TLS: Sendable, Hashable {
        /// In the clear (a server on this machine).
        case disable
        /// Encrypted, the server's certificate not checked.
        case require
        /// Encrypted, the certificate checked against the system's authorities or the PEM file
        /// given, and the host name against it.
        case verifyFull(rootCertificates: String?)
    }

    /// Settings.
    public init(
        host: String, port: Int = 5432, database: String, user: String, password: String?, namespace: String,
        connections: Int = 2
    ) {
        self.connections = connections
        self.host = host
        self.port = port
        self.database = database
        self.user = user
        self.password = password
        self.namespace = namespace
    }

    /// `host:port/database`, for messages (never the password).
    public var address: String { "\(host):\(port)/\(database)" }
}
