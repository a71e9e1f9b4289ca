public import MaxCore

/// Loads fields of entities a connector already knows the ids of.
///
/// A loader receives up to ``batchSize`` refs at once (one, for APIs that fetch a single entity per
/// request) and returns an input per entity it found. An entity it does not return is left as
/// stored.
///
/// ```swift
/// static let user = EntityLoader<AcmeContext>.single("user", for: "AcmeUser") { ref, context in
///     try await context.client.user(ref.id).input
/// }
/// ```
public struct EntityLoader<Context: Sendable>: Sendable {
    /// The loader's name, for logs and progress.
    public let name: String
    /// The entity type it loads.
    public let entityType: EntityType
    /// How many refs one call takes at most.
    public let batchSize: Int
    /// Loads the entities.
    public let load: @Sendable ([Ref], Context) async throws -> [EntityInput]

    /// Creates a loader that takes up to `batchSize` refs per call.
    public static func batched(
        _ name: String, for type: EntityType, batchSize: Int,
        load: @escaping @Sendable ([Ref], Context) async throws -> [EntityInput]
    ) -> EntityLoader {
        EntityLoader(name: name, entityType: type, batchSize: max(1, batchSize), load: load)
    }

    /// Creates a loader that loads one entity per call.
    public static func single(
        _ name: String, for type: EntityType, load: @escaping @Sendable (Ref, Context) async throws -> EntityInput?
    ) -> EntityLoader {
        EntityLoader(name: name, entityType: type, batchSize: 1) { refs, context in
            var inputs: [EntityInput] = []
            for ref in refs {
                if let input = try await load(ref, context) { inputs.append(input) }
            }
            return inputs
        }
    }
}

/// Loads the members of one collection of one entity, a page at a time.
///
/// Each page carries the members as inputs (with whatever fields the list endpoint returns), and
/// the cursor of the next page; it may also carry entities of other types that the members name
/// (the users a page of issues embeds), which are stored but not linked. The platform stores the
/// members, links them to the owner, and asks
/// for the next page until ``Page/hasMore`` is false.
///
/// ```swift
/// static let projectTasks = CollectionLoader<AcmeContext>("projectTasks", owner: "AcmeProject",
///                                                         field: "tasks", target: "AcmeTask") { project, page, context in
///     try await context.client.tasks(projectID: project.id, page: page)
/// }
/// ```
public struct CollectionLoader<Context: Sendable>: Sendable {
    /// The loader's name, for logs and progress.
    public let name: String
    /// The entity type that owns the collection.
    public let owner: EntityType
    /// The collection field.
    public let field: String
    /// The entity type of the members.
    public let target: EntityType
    /// The page size the platform asks for.
    public let pageSize: Int
    /// Loads one page.
    public let load: @Sendable (Ref, PageRequest, Context) async throws -> Page<EntityInput>

    /// Creates a collection loader.
    public init(
        _ name: String, owner: EntityType, field: String, target: EntityType, pageSize: Int = 100,
        load: @escaping @Sendable (Ref, PageRequest, Context) async throws -> Page<EntityInput>
    ) {
        self.name = name
        self.owner = owner
        self.field = field
        self.target = target
        self.pageSize = max(1, pageSize)
        self.load = load
    }
}
