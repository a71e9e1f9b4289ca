public import MaxCore
import Synchronization

/// An installation with the connector's types erased: what the platform holds and syncs.
///
/// It pairs the definition's seeder and resolvers with the installation's context, so the sync
/// engine can call loaders without knowing the connector's context type.
public struct LiveInstallation: Sendable {
    /// The connector's identity and schema.
    public let info: ConnectorInfo
    private let onStart: @Sendable () async throws -> Void
    private let onStop: @Sendable () async -> Void
    private let onHealth: @Sendable () async -> HealthStatus
    private let seedFunction: @Sendable () async throws -> Seed
    private let positionFunction: (@Sendable () async throws -> String)?
    private let changesFunction: (@Sendable (String) async throws -> ChangePage)?
    private let loaders: Loaders
    private let discoverFunction: (@Sendable () async throws -> Loaders)?
    private let discovered = DiscoveredLoaders()
    /// The connector's operations, in declaration order.
    public let operations: [OperationInfo]
    /// How the connector authenticates.
    public let auth: ConnectorAuth
    /// The version of the operations' schemas.
    public let operationSchemaVersion: String
    private let executors: [String: @Sendable (OperationCall) async throws -> OperationOutput]

    init<Context: Sendable>(def: ConnectorDef<Context>, installation: Installation<Context>) {
        let context = installation.context
        self.info = def.info
        self.onStart = { try await installation.start() }
        self.onStop = { await installation.stop() }
        self.onHealth = { await installation.health() }
        let seeder = def.seeder
        self.seedFunction = { try await seeder.seed(context) }
        if let feed = def.changeFeed {
            self.positionFunction = { try await feed.position(context) }
            self.changesFunction = { after in try await feed.changes(after, context) }
        } else {
            self.positionFunction = nil
            self.changesFunction = nil
        }
        self.loaders = Loaders(schema: def.schema, resolvers: def.resolvers, context: context)
        if let discover = installation.discover {
            self.discoverFunction = {
                let model = try await discover()
                // The definition's resolvers still load the types the model keeps (its root).
                let kept = def.resolvers.filter { model.schema.definition(of: $0.entityType) != nil }
                let resolvers = kept + model.resolvers
                try def.replacing(schema: model.schema, resolvers: resolvers).validate()
                return Loaders(schema: model.schema, resolvers: resolvers, context: context, notes: model.notes)
            }
        } else {
            self.discoverFunction = nil
        }
        self.operations = def.operations.map(\.info)
        self.auth = def.auth
        self.operationSchemaVersion = def.operationSchemaVersion
        var executors: [String: @Sendable (OperationCall) async throws -> OperationOutput] = [:]
        for operation in def.operations {
            executors[operation.info.id] = { call in try await operation.execute(call, context) }
        }
        self.executors = executors
    }

    /// The schema of the module's one entry point (SPEC-operations `inputSchema`): an operation
    /// id and that operation's input, one `oneOf` branch per operation.
    public var inputSchema: JSONValue {
        [
            "type": "object", "required": ["operation", "input"],
            "properties": ["operation": ["enum": .array(operations.map { .string($0.id) })]],
            "oneOf": .array(
                operations.map { operation in
                    ["properties": ["operation": ["const": .string(operation.id)], "input": operation.input.json]]
                }),
        ]
    }

    /// The operation `id`.
    ///
    /// - Throws: `operation.not_found`, listing the operations there are.
    public func operation(_ id: String) throws -> OperationInfo {
        guard let info = operations.first(where: { $0.id == id }) else { throw unknownOperation(id) }
        return info
    }

    private func unknownOperation(_ id: String) -> MaxError {
        MaxError(
            .operationNotFound, "\(info.name) has no operation named '\(id)'",
            hint: operations.isEmpty
                ? "\(info.name) offers no operations" : "operations: " + operations.map(\.id).joined(separator: ", "),
            context: ["operation": id])
    }

    /// The one entry point of operations: runs `id` with `call` (whose input the caller validated).
    ///
    /// - Throws: `operation.not_found`; what the operation throws.
    public func execute(_ id: String, _ call: OperationCall) async throws -> OperationOutput {
        guard let executor = executors[id] else { throw unknownOperation(id) }
        return try await executor(call)
    }

    /// The installation's schema: the one it discovered at its source (see ``discoverSchema()``),
    /// or its connector's.
    public var schema: Schema { current.schema }

    /// Whether the installation finds its entity types at its source, so its schema is known only
    /// once ``discoverSchema()`` ran.
    public var discoversSchema: Bool { discoverFunction != nil }

    /// Finds the installation's entity types at its source.
    ///
    /// It runs once: later calls return the same schema. Without discovery, the connector's schema.
    ///
    /// - Throws: what the connector's discovery throws; `connector.invalid_definition` when the
    ///   model it found has loaders that do not match its schema.
    @discardableResult
    public func discoverSchema() async throws -> Schema {
        guard let discoverFunction else { return info.schema }
        if let found = discovered.value.withLock({ $0 }) { return found.schema }
        let found = try await discoverFunction()
        return discovered.value.withLock { value in
            if value == nil { value = found }
            return value?.schema ?? found.schema
        }
    }

    private var current: Loaders { discovered.value.withLock { $0 } ?? loaders }

    /// What the discovery found worth telling (a table left out); empty before it ran.
    public var discoveryNotes: [String] { current.notes }

    /// Starts the installation, after finding its entity types at the source when it discovers them.
    public func start() async throws {
        if discoversSchema { try await discoverSchema() }
        try await onStart()
    }

    /// Stops the installation.
    public func stop() async { await onStop() }

    /// Checks the installation's health.
    public func health() async -> HealthStatus { await onHealth() }

    /// Runs the seeder.
    public func seed() async throws -> Seed { try await seedFunction() }

    /// Whether the connector has a change feed, so syncs after a full one can be incremental.
    public var hasChangeFeed: Bool { changesFunction != nil }

    /// The change feed's position now, or `nil` without a feed.
    public func changePosition() async throws -> String? { try await positionFunction?() }

    /// The changes after `position`, or `nil` without a feed.
    public func changes(after position: String) async throws -> ChangePage? { try await changesFunction?(position) }

    /// The loaders that provide `fields` of `type`, each with the fields it provides, in the order
    /// the fields were asked for.
    ///
    /// - Throws: `sync.no_loader` naming the fields no resolver provides.
    public func loaders(for type: EntityType, fields: [String]) throws -> [(
        loader: BoundEntityLoader, fields: [String]
    )] {
        let available = current.entityLoaders[type] ?? [:]
        let missing = fields.filter { available[$0] == nil }
        guard missing.isEmpty else {
            throw MaxError(
                .noLoader, "no resolver of the \(info.name) connector loads \(type).\(missing.joined(separator: ", "))",
                context: ["connector": info.name, "entityType": type.name])
        }
        var groups: [(loader: BoundEntityLoader, fields: [String])] = []
        for field in fields {
            guard let loader = available[field] else { continue }
            if let index = groups.firstIndex(where: { $0.loader.name == loader.name }) {
                groups[index].fields.append(field)
            } else {
                groups.append((loader, [field]))
            }
        }
        return groups
    }

    /// The loader of the collection `field` of `type`.
    ///
    /// - Throws: `sync.no_loader` when no resolver lists it.
    public func collectionLoader(for type: EntityType, field: String) throws -> BoundCollectionLoader {
        guard let loader = current.collectionLoaders[type]?[field] else {
            throw MaxError(
                .noLoader, "no resolver of the \(info.name) connector lists \(type).\(field)",
                context: ["connector": info.name, "entityType": type.name, "field": field])
        }
        return loader
    }
}

/// The loaders of one data model, bound to an installation's context.
private struct Loaders: Sendable {
    let schema: Schema
    let entityLoaders: [EntityType: [String: BoundEntityLoader]]
    let collectionLoaders: [EntityType: [String: BoundCollectionLoader]]
    let notes: [String]

    init<Context: Sendable>(schema: Schema, resolvers: [Resolver<Context>], context: Context, notes: [String] = []) {
        self.schema = schema
        self.notes = notes
        var entityLoaders: [EntityType: [String: BoundEntityLoader]] = [:]
        var collectionLoaders: [EntityType: [String: BoundCollectionLoader]] = [:]
        for resolver in resolvers {
            for (field, loader) in resolver.fieldLoaders {
                entityLoaders[resolver.entityType, default: [:]][field] = BoundEntityLoader(
                    name: loader.name, entityType: loader.entityType, batchSize: loader.batchSize
                ) { refs in try await loader.load(refs, context) }
            }
            for (field, loader) in resolver.collectionLoaders {
                collectionLoaders[resolver.entityType, default: [:]][field] = BoundCollectionLoader(
                    name: loader.name, owner: loader.owner, field: loader.field, target: loader.target,
                    pageSize: loader.pageSize
                ) { owner, page in try await loader.load(owner, page, context) }
            }
        }
        self.entityLoaders = entityLoaders
        self.collectionLoaders = collectionLoaders
    }
}

/// The model a live installation discovered, shared by its copies.
private final class DiscoveredLoaders: Sendable {
    let value = Mutex<Loaders?>(nil)
}

/// An entity loader bound to an installation's context.
public struct BoundEntityLoader: Sendable {
    /// The loader's name.
    public let name: String
    /// The entity type it loads.
    public let entityType: EntityType
    /// How many refs one call takes at most.
    public let batchSize: Int
    /// Loads the entities.
    public let load: @Sendable ([Ref]) async throws -> [EntityInput]
}

/// A collection loader bound to an installation's context.
public struct BoundCollectionLoader: Sendable {
    /// The loader's name.
    public let name: String
    /// The owner's entity type.
    public let owner: EntityType
    /// The collection field.
    public let field: String
    /// The members' entity type.
    public let target: EntityType
    /// The page size to ask for.
    public let pageSize: Int
    /// Loads one page of members.
    public let load: @Sendable (Ref, PageRequest) async throws -> Page<EntityInput>
}
