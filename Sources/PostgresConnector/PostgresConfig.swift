public import MaxConnector
import MaxCore

/// What onboarding produces for a PostgreSQL installation (never the password: that is the
/// `password` credential).
public struct PostgresConfig: Codable, Sendable, Hashable {
    /// The server's host name or address.
    public var host: String
    /// Its port (5432 when absent).
    public var port: Int?
    /// The database.
    public var database: String
    /// The user Max signs in as; it needs only `SELECT` on the tables.
    public var user: String
    /// The schemas whose tables are synced (`public` when absent).
    public var schemas: TextList?
    /// The tables synced, as `schema.table`, `table` (in any synced schema) or globs (`sales.*`);
    /// all readable tables when absent or `*`.
    public var tables: TextList?
    /// Tables left out, in the same forms.
    public var excludeTables: TextList?
    /// The column whose value grows with every change of a table's rows, by table.
    ///
    /// Keys are `schema.table` or `table`; a value is a column (`updated_at`), or `xmin` for the
    /// transaction-id approach. Tables not named use a column named `updated_at` (or `modified_at`) of a
    /// timestamp type when they have one, `xmin` otherwise.
    public var cursorColumns: [String: String]?
    /// How connections are encrypted.
    ///
    /// `disable`, `require` (encrypted, the certificate not checked) or `verify-full` (encrypted,
    /// the certificate checked against the host name). `disable` for a loopback host when absent,
    /// `verify-full` for any other.
    public var sslmode: String?
    /// A PEM file of the certificate authorities `verify-full` trusts, instead of the system's.
    public var sslrootcert: String?
    /// Rows read per query (5,000 when absent).
    public var pageSize: Int?

    /// A config.
    public init(
        host: String, port: Int? = nil, database: String, user: String, schemas: [String]? = nil,
        tables: [String]? = nil, excludeTables: [String]? = nil, cursorColumns: [String: String]? = nil,
        sslmode: String? = nil, sslrootcert: String? = nil, pageSize: Int? = nil
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.user = user
        self.schemas = schemas.map(TextList.init)
        self.tables = tables.map(TextList.init)
        self.excludeTables = excludeTables.map(TextList.init)
        self.cursorColumns = cursorColumns
        self.sslmode = sslmode
        self.sslrootcert = sslrootcert
        self.pageSize = pageSize
    }

    /// The schemas synced.
    var schemaNames: [String] {
        let names = schemas?.items ?? []
        return names.isEmpty ? ["public"] : names
    }

    /// The TLS mode: the configured one, or the default for the host.
    var tlsMode: TLSMode {
        get throws {
            guard let sslmode, !sslmode.isEmpty else { return HostName.isLoopback(host) ? .disable : .verifyFull }
            guard let mode = TLSMode(rawValue: sslmode) else {
                throw MaxError(
                    .invalidConfig, "sslmode '\(sslmode)' is not one Max knows",
                    hint: "use disable, require or verify-full", context: ["field": "sslmode"])
            }
            return mode
        }
    }

    /// How a connection is encrypted.
    enum TLSMode: String, Sendable {
        case disable
        case require
        case verifyFull = "verify-full"
    }

}
