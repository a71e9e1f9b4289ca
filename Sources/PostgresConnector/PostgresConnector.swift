import Foundation
import Logging
public import MaxConnector
import MaxCore
import PostgresNIO

/// The PostgreSQL connector: a database's tables as entity types, read-only.
///
/// Each table the user may read in the configured schemas (and `tables` choose) becomes an entity
/// type named after it (see ``TableModel`` for names, ids and refs), whose fields are its columns
/// typed from the catalog. A full sync reads every table in key order, a page at a time, with
/// keyset pagination, all in one snapshot of the database; an incremental one reads the rows
/// changed since (by a cursor column, or `xmin`) and finds deleted rows by comparing keys (see
/// ``PostgresChanges``). A column added or dropped upstream changes the entity type on the next
/// sync. Max never writes to the database: its sessions are read-only.
public struct PostgresConnector: ConnectorModule {
    /// The connector.
    public init() {}

    /// The definition: a root type only; the tables' types are found per installation.
    public var def: ConnectorDef<PostgresContext> { Self.definition }

    /// Builds an installation without the installation's logger.
    public func initialise(_ config: PostgresConfig, credentials: any CredentialStore) throws -> Installation<
        PostgresContext
    > {
        try initialise(config, credentials: credentials, http: .shared)
    }

    /// Builds an installation; nothing connects until its tables are discovered or it starts.
    ///
    /// The HTTP client is used only for its logger (the installation's log).
    public func initialise(_ config: PostgresConfig, credentials: any CredentialStore, http: ConnectorHTTPClient)
        throws -> Installation<PostgresContext>
    {
        _ = try config.tlsMode
        var logger = http.logger ?? Logger(label: "max.postgres")
        logger.logLevel = max(logger.logLevel, .notice)
        let context = PostgresContext(config: config, credentials: credentials, logger: logger)
        return Installation(
            context: context, start: { try await context.start() }, stop: { await context.stop() },
            health: {
                await .checking {
                    _ = try await context.link.withConnection { connection in
                        try await context.link.rows("SELECT 1", on: connection).count
                    }
                }
            },
            discover: {
                let model = try await context.discover()
                return DiscoveredModel(
                    schema: model.schema,
                    resolvers: [Resolver(for: PostgresModel.root, collections: model.tables.map(Self.loader))],
                    notes: model.notes)
            })
    }

    /// The loader of a table's rows, in key order.
    static func loader(_ table: TableModel) -> CollectionLoader<PostgresContext> {
        CollectionLoader(
            table.type.name, owner: PostgresModel.root, field: table.field, target: table.type, pageSize: 5000
        ) { _, page, context in
            let after = try page.cursor.map(Self.key)
            let limit = min(page.limit, context.pageSize)
            let (inputs, last) = try await context.rows(of: table, after: after, limit: limit)
            let more = inputs.count == limit
            return Page(items: inputs, hasMore: more, cursor: more ? last.map(Self.cursor) : nil)
        }
    }

    static func cursor(_ key: [String]) -> String { JSONValue.array(key.map(JSONValue.string)).jsonText }

    static func key(_ cursor: String) throws -> [String] {
        guard let values = try? JSONValue(parsing: cursor).arrayValue else {
            throw MaxError(
                .invalidConfig, "the stored page position '\(cursor.prefix(40))' is not a PostgreSQL connector's",
                hint: "start over: max sync <installation> --restart")
        }
        return values.compactMap(\.stringValue)
    }

    static let onboarding = OnboardingFlow([
        .input(
            InputStep(
                "PostgreSQL server",
                description:
                    "The database Max reads (it only reads: a user with SELECT on the tables is enough).",
                fields: [
                    .string("host", label: "Host", default: "localhost"),
                    InputField("port", label: "Port", kind: .number, required: false, placeholder: "5432"),
                    .string("database", label: "Database"),
                    .string("user", label: "User"),
                    .string("schemas", label: "Schemas (comma-separated)", required: false, placeholder: "public"),
                    .string(
                        "sslmode", label: "TLS (disable, require, verify-full)", required: false,
                        placeholder: "disable on this machine, verify-full elsewhere"),
                ],
                credentials: [CredentialInput(PostgresLink.password, label: "Password")])),
        .select(
            SelectStep("Tables to sync", field: "tables", multiple: true, default: "*") { state, context in
                let config = try PostgresConnector().decodeConfig(.object(state.filter { $0.key != "tables" }))
                let link = PostgresLink(
                    config: config, credentials: context.credentialStore, logger: Logger(label: "max.postgres"))
                let tables = try await link.withConnection { connection in
                    try await PostgresCatalog.tables(in: config.schemaNames, link: link, on: connection)
                }
                guard !tables.isEmpty else {
                    throw MaxError(
                        .onboardingValidationFailed,
                        "\(config.user) may read no table in \(config.schemaNames.joined(separator: ", ")) of \(config.database)",
                        hint: "grant the user SELECT on the tables, or give other schemas",
                        context: ["field": "schemas"])
                }
                return [SelectOption(label: "All \(tables.count) tables", value: "*")]
                    + tables.map { SelectOption(label: $0.qualifiedName, value: $0.qualifiedName) }
            }),
    ])

    private static let definition = ConnectorDef<PostgresContext>(
        name: "postgres", displayName: "PostgreSQL",
        description: "Sync the tables of a PostgreSQL database: rows as entities, foreign keys as refs",
        version: "1.0.0",
        schema: Schema(namespace: "postgres", entities: [], roots: [EntityDef(PostgresModel.root, fields: [])]),
        onboarding: onboarding,
        seeder: Seeder { context in
            let root = Ref(PostgresModel.root, context.root)
            let tables = context.model?.tables ?? []
            return Seed(
                entities: [EntityInput(root)],
                plan: SyncPlan(
                    tables.isEmpty ? [] : [.concurrent(tables.map { .forRoot(root, .loadCollection($0.field)) })]))
        },
        resolvers: [], changeFeed: PostgresChanges.feed, auth: .none,
        configSchema: .derived(
            from: onboarding,
            properties: [
                "port": ["type": "integer", "minimum": 1, "maximum": 65535],
                "schemas": TextList.jsonSchema, "tables": TextList.jsonSchema,
                "excludeTables": [
                    "type": ["string", "array"], "items": ["type": "string"],
                    "title": "Tables left out (names or globs)",
                ],
                "cursorColumns": [
                    "type": "object", "additionalProperties": ["type": "string", "minLength": 1],
                    "title": "The change column of each table (a column, or xmin)",
                ],
                "sslmode": ["enum": ["disable", "require", "verify-full"]],
                "sslrootcert": ["type": "string", "minLength": 1, "title": "PEM file of the CAs verify-full trusts"],
                "pageSize": ["type": "integer", "minimum": 1, "title": "Rows read per query (5000)"],
            ]))
}
