public import MaxCore

/// The static description of a connector: identity, schema, onboarding, and the sync pieces (seeder and resolvers).
///
/// Pure data, available without initialising anything.
///
/// `Context` is the connector's own context type: the services and config its loaders use, built by
/// ``ConnectorModule/initialise(_:credentials:)``.
public struct ConnectorDef<Context: Sendable>: Sendable {
    /// The registry name, such as `acme`.
    public let name: String
    /// The name people see, such as `Acme`.
    public let displayName: String
    /// One sentence on what it syncs.
    public let description: String
    /// An icon URL.
    public let icon: String
    /// The connector's version (semantic versioning).
    public let version: String
    /// The permissions it needs from the source.
    public let scopes: [String]
    /// Its data model.
    public let schema: Schema
    /// How a user connects it.
    public let onboarding: OnboardingFlow
    /// How a sync starts.
    public let seeder: Seeder<Context>
    /// How each entity type's fields and collections are loaded.
    public let resolvers: [Resolver<Context>]
    /// How the source's transient failures are retried (`max.json` may override it per installation).
    public let retryPolicy: RetryPolicy
    /// The request rate the source allows, if it has one.
    ///
    /// `max.json` may override it. A limiter runs at this rate and slows down on 429s; without one,
    /// the runtime's limiter starts at a rate no sync reaches and only slows down on 429s.
    public let rateLimit: RateLimit?
    /// What changed since a position, for incremental syncs; `nil` when every sync reads everything.
    public let changeFeed: ChangeFeed<Context>?
    /// How the connector authenticates (declared for catalogs and agents).
    public let auth: ConnectorAuth
    /// The actions it offers, by id, in declaration order.
    public let operations: [OperationDef<Context>]
    /// The version of the operations' schemas: a minor bump only adds, a major one may break
    /// (see ``OperationCompatibility``).
    public let operationSchemaVersion: String
    /// The versioned schema of its config, with the migrations from older versions.
    public let configSchema: ConfigSchema

    /// Creates a definition.
    ///
    /// Without a `configSchema`, the config's schema is derived from `onboarding` (version 1).
    public init(
        name: String, displayName: String, description: String, icon: String = "", version: String,
        scopes: [String] = [], schema: Schema, onboarding: OnboardingFlow, seeder: Seeder<Context>,
        resolvers: [Resolver<Context>], retryPolicy: RetryPolicy = .standard, rateLimit: RateLimit? = nil,
        changeFeed: ChangeFeed<Context>? = nil, auth: ConnectorAuth = .none, operations: [OperationDef<Context>] = [],
        operationSchemaVersion: String = "1.0.0", configSchema: ConfigSchema? = nil
    ) {
        self.configSchema = configSchema ?? .derived(from: onboarding)
        self.changeFeed = changeFeed
        self.auth = auth
        self.operations = operations
        self.operationSchemaVersion = operationSchemaVersion
        self.retryPolicy = retryPolicy
        self.rateLimit = rateLimit
        self.name = name
        self.displayName = displayName
        self.description = description
        self.icon = icon
        self.version = version
        self.scopes = scopes
        self.schema = schema
        self.onboarding = onboarding
        self.seeder = seeder
        self.resolvers = resolvers
    }

    /// The identity and schema, without the sync pieces.
    public var info: ConnectorInfo {
        ConnectorInfo(
            name: name, displayName: displayName, description: description, icon: icon, version: version,
            scopes: scopes, schema: schema)
    }

    /// The definition with another data model: what an installation that discovers its entity
    /// types syncs with.
    func replacing(schema: Schema, resolvers: [Resolver<Context>]) -> ConnectorDef {
        ConnectorDef(
            name: name, displayName: displayName, description: description, icon: icon, version: version,
            scopes: scopes, schema: schema, onboarding: onboarding, seeder: seeder, resolvers: resolvers,
            retryPolicy: retryPolicy, rateLimit: rateLimit, changeFeed: changeFeed, auth: auth,
            operations: operations, operationSchemaVersion: operationSchemaVersion, configSchema: configSchema)
    }

    /// Checks that the definition hangs together: a valid schema, and resolvers and loaders that
    /// name only types and fields the schema declares.
    ///
    /// - Throws: `schema.invalid` or `connector.invalid_definition`, naming every problem.
    public func validate() throws {
        try schema.validate()
        var problems: [String] = []
        for resolver in resolvers {
            guard let def = schema.definition(of: resolver.entityType) else {
                problems.append("a resolver is declared for '\(resolver.entityType)', which is not in the schema")
                continue
            }
            for (field, loader) in resolver.fieldLoaders {
                if def.field(named: field)?.type.isStoredInRow != true {
                    problems.append("resolver of \(def.name) loads '\(field)', which is not a row field of it")
                }
                if loader.entityType != def.type {
                    problems.append("loader '\(loader.name)' loads \(loader.entityType), not \(def.name)")
                }
            }
            for (field, loader) in resolver.collectionLoaders {
                guard case .collection(let target) = def.field(named: field)?.type else {
                    problems.append("resolver of \(def.name) lists '\(field)', which is not a collection of it")
                    continue
                }
                if loader.target != target || loader.owner != def.type {
                    problems.append("collection loader '\(loader.name)' does not match \(def.name).\(field)")
                }
            }
        }
        var seen: Set<String> = []
        for operation in operations.map(\.info) {
            if !seen.insert(operation.id).inserted {
                problems.append("the operation '\(operation.id)' is declared twice")
            }
            if let type = operation.writeThrough, schema.definition(of: type) == nil {
                problems.append(
                    "the operation '\(operation.id)' writes through to '\(type)', which is not in the schema")
            }
            if operation.writeThrough != nil && !operation.mutating {
                problems.append("the operation '\(operation.id)' writes through but does not declare itself mutating")
            }
        }
        problems += configSchema.definitionProblems
        if OperationCompatibility.Version(operationSchemaVersion) == nil {
            problems.append("operationSchemaVersion '\(operationSchemaVersion)' is not MAJOR.MINOR.PATCH")
        }
        guard problems.isEmpty else {
            throw MaxError(
                .invalidConnector, "the \(name) connector is inconsistent: " + problems.joined(separator: "; "),
                context: ["connector": name])
        }
    }
}

/// A connector's identity and schema: what `max connectors` and `max schema` show.
public struct ConnectorInfo: Sendable, Hashable, Codable {
    /// The registry name.
    public let name: String
    /// The name people see.
    public let displayName: String
    /// One sentence on what it syncs.
    public let description: String
    /// An icon URL.
    public let icon: String
    /// The version.
    public let version: String
    /// The permissions it needs.
    public let scopes: [String]
    /// The data model.
    public let schema: Schema
}
