public import MaxCore

/// The ordered steps of a sync.
///
/// Steps run one after another; a ``SyncStep/concurrent(_:)`` group runs its steps side by side.
///
/// ```swift
/// SyncPlan([
///     .forRoot(root, .loadCollection("users")),
///     .concurrent([
///         .forAll("AcmeProject", .loadCollection("tasks")),
///         .forAll("AcmeProject", .loadCollection("files")),
///     ]),
///     .forAll("AcmeTask", .loadFields(["description"])),
/// ])
/// ```
public struct SyncPlan: Sendable, Hashable, Codable {
    /// The steps, in order.
    public var steps: [SyncStep]

    /// Creates a plan.
    public init(_ steps: [SyncStep]) {
        self.steps = steps
    }

    /// Every leaf step, in order, with concurrent groups flattened.
    public var leafSteps: [SyncStep] {
        steps.flatMap(\.leaves)
    }
}

/// One step of a plan.
public indirect enum SyncStep: Sendable, Hashable, Codable {
    /// Run an operation for one entity (a root, or any known entity).
    case forRoot(Ref, SyncOperation)
    /// Run an operation for every stored entity of a type, as stored when the step starts.
    case forAll(EntityType, SyncOperation)
    /// Run the steps side by side; the group ends when all have.
    case concurrent([SyncStep])

    /// This step, or the leaves of its group.
    public var leaves: [SyncStep] {
        if case .concurrent(let steps) = self { return steps.flatMap(\.leaves) }
        return [self]
    }

    /// The step's operation and the entity type it applies to, for a leaf step.
    public var target: (type: EntityType, operation: SyncOperation)? {
        switch self {
        case .forRoot(let ref, let operation): (ref.type, operation)
        case .forAll(let type, let operation): (type, operation)
        case .concurrent: nil
        }
    }
}

/// What a step does to each entity it covers.
public enum SyncOperation: Sendable, Hashable, Codable {
    /// Load these fields through their resolvers' loaders.
    case loadFields([String])
    /// Load every member of this collection through its collection loader, page by page.
    case loadCollection(String)
}
