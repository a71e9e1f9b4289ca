public import MaxCore

/// Says which loader provides each field of one entity type, and which loader lists each of its
/// collections.
///
/// ```swift
/// static let task = Resolver<AcmeContext>(for: "AcmeTask", loading: ["title", "status"], with: AcmeLoaders.task)
/// static let project = Resolver<AcmeContext>(for: "AcmeProject", loading: ["name"], with: AcmeLoaders.project,
///                                            collections: [AcmeLoaders.projectTasks])
/// ```
public struct Resolver<Context: Sendable>: Sendable {
    /// The entity type resolved.
    public let entityType: EntityType
    /// The loader of each field.
    public let fieldLoaders: [String: EntityLoader<Context>]
    /// The loader of each collection field.
    public let collectionLoaders: [String: CollectionLoader<Context>]

    /// Creates a resolver from a loader per field and a loader per collection.
    public init(
        for type: EntityType, fields: [String: EntityLoader<Context>] = [:],
        collections: [CollectionLoader<Context>] = []
    ) {
        self.entityType = type
        self.fieldLoaders = fields
        self.collectionLoaders = Dictionary(collections.map { ($0.field, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Creates a resolver where one loader provides all of `names`.
    public init(
        for type: EntityType, loading names: [String], with loader: EntityLoader<Context>,
        collections: [CollectionLoader<Context>] = []
    ) {
        self.init(
            for: type, fields: Dictionary(names.map { ($0, loader) }, uniquingKeysWith: { first, _ in first }),
            collections: collections)
    }
}

/// Starts a sync: returns the root entities to store and the plan that loads the rest.
///
/// ```swift
/// static let seeder = Seeder<AcmeContext> { context in
///     let root = Ref("AcmeRoot", context.workspaceID)
///     return Seed(entities: [EntityInput(root)], plan: SyncPlan([
///         .forRoot(root, .loadCollection("workspaces")),
///         .forAll("AcmeProject", .loadCollection("tasks")),
///     ]))
/// }
/// ```
public struct Seeder<Context: Sendable>: Sendable {
    /// Produces the seed.
    public let seed: @Sendable (Context) async throws -> Seed

    /// Creates a seeder.
    public init(seed: @escaping @Sendable (Context) async throws -> Seed) {
        self.seed = seed
    }
}

/// What a seeder returns: root entities to store first, and the plan.
public struct Seed: Sendable {
    /// Entities to store before the plan runs (the roots).
    public var entities: [EntityInput]
    /// The plan.
    public var plan: SyncPlan

    /// Creates a seed.
    public init(entities: [EntityInput], plan: SyncPlan) {
        self.entities = entities
        self.plan = plan
    }
}
