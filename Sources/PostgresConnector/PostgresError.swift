public import MaxCore

extension MaxError.Code {
    /// The PostgreSQL server cannot be reached (refused, timed out, gone mid-sync).
    public static let postgresUnreachable = Self(domain: "postgres", name: "unreachable", category: .transient)
    /// The server refused the user or password.
    public static let postgresAuthenticationFailed = Self(
        domain: "postgres", name: "authentication_failed", category: .permanent)
    /// TLS could not be set up as `sslmode` asks (the server has none, or its certificate fails).
    public static let postgresTLSFailed = Self(domain: "postgres", name: "tls_failed", category: .permanent)
    /// The database does not exist.
    public static let postgresDatabaseNotFound = Self(
        domain: "postgres", name: "database_not_found", category: .notFound)
    /// A table the config names is not there (or not readable by the user).
    public static let postgresTableNotFound = Self(domain: "postgres", name: "table_not_found", category: .notFound)
    /// The user may not read what Max asked for.
    public static let postgresPermissionDenied = Self(
        domain: "postgres", name: "permission_denied", category: .permanent)
    /// Another failure the server reported, with its SQLSTATE.
    public static let postgresQueryFailed = Self(domain: "postgres", name: "query_failed", category: .permanent)
}
