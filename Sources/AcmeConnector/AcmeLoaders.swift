public import MaxConnector
import MaxCore

/// What the Acme loaders work with: a client and the workspace chosen during onboarding.
public struct AcmeContext: Sendable {
    /// The API client.
    public let client: AcmeClient
    /// The workspace this installation syncs.
    public let workspaceID: String

    /// Creates a context.
    public init(client: AcmeClient, workspaceID: String) {
        self.client = client
        self.workspaceID = workspaceID
    }
}

/// The Acme loaders: one collection loader per list endpoint (paginated with `limit` and `after`),
/// and one entity loader per type for refreshing single entities.
public enum AcmeLoaders {
    /// The page size asked of list endpoints (the API allows up to 10,000).
    ///
    /// Every sync worker holds one page: at 2,000 a 1,000,000-task sync peaked at 140 MB against
    /// 95 MB at 500, for a wall time within 2 % (`max-bench sync`, docs/benchmarks.md).
    public static let pageSize = 500

    /// The chosen workspace, as the root's only member.
    public static let rootWorkspaces = CollectionLoader<AcmeContext>(
        "rootWorkspaces", owner: "AcmeRoot", field: "workspaces", target: "AcmeWorkspace"
    ) { _, _, context in
        .last([try await context.client.read("/api/workspaces/\(context.workspaceID)", AcmeEntityShape.workspace.read)])
    }

    /// A workspace's users.
    public static let workspaceUsers = CollectionLoader<AcmeContext>(
        "workspaceUsers", owner: "AcmeWorkspace", field: "users", target: "AcmeUser", pageSize: pageSize
    ) { workspace, request, context in
        try await list("/api/users", "workspaceId", workspace, request, context, AcmeEntityShape.user)
    }

    /// A workspace's projects.
    public static let workspaceProjects = CollectionLoader<AcmeContext>(
        "workspaceProjects", owner: "AcmeWorkspace", field: "projects", target: "AcmeProject", pageSize: pageSize
    ) { workspace, request, context in
        try await list("/api/projects", "workspaceId", workspace, request, context, AcmeEntityShape.project)
    }

    /// A project's tasks.
    public static let projectTasks = CollectionLoader<AcmeContext>(
        "projectTasks", owner: "AcmeProject", field: "tasks", target: "AcmeTask", pageSize: pageSize
    ) { project, request, context in
        try await list("/api/tasks", "projectId", project, request, context, AcmeEntityShape.task)
    }

    /// A project's files.
    public static let projectFiles = CollectionLoader<AcmeContext>(
        "projectFiles", owner: "AcmeProject", field: "files", target: "AcmeFile", pageSize: pageSize
    ) { project, request, context in
        try await list("/api/files", "projectId", project, request, context, AcmeEntityShape.file)
    }

    /// One workspace by id.
    public static let workspace = EntityLoader<AcmeContext>.single("workspace", for: "AcmeWorkspace") { ref, context in
        try await fetch(ref, context, AcmeEntityShape.workspace)
    }

    /// One user by id.
    public static let user = EntityLoader<AcmeContext>.single("user", for: "AcmeUser") { ref, context in
        try await fetch(ref, context, AcmeEntityShape.user)
    }

    /// One project by id.
    public static let project = EntityLoader<AcmeContext>.single("project", for: "AcmeProject") { ref, context in
        try await fetch(ref, context, AcmeEntityShape.project)
    }

    /// One task by id.
    public static let task = EntityLoader<AcmeContext>.single("task", for: "AcmeTask") { ref, context in
        try await fetch(ref, context, AcmeEntityShape.task)
    }

    /// One file by id.
    public static let file = EntityLoader<AcmeContext>.single("file", for: "AcmeFile") { ref, context in
        try await fetch(ref, context, AcmeEntityShape.file)
    }

    private static let paths: [EntityType: String] = [
        "AcmeWorkspace": "workspaces", "AcmeUser": "users", "AcmeProject": "projects", "AcmeTask": "tasks",
        "AcmeFile": "files",
    ]

    /// One page of a list endpoint filtered by its owner, as entity inputs.
    private static func list(
        _ path: String, _ filter: String, _ owner: Ref, _ request: PageRequest, _ context: AcmeContext,
        _ shape: AcmeEntityShape
    ) async throws -> Page<EntityInput> {
        try await context.client.page(path, filter: [(filter, owner.id)], page: request, entity: shape.read)
    }

    /// GETs one entity; nil when the API says it no longer exists.
    private static func fetch(_ ref: Ref, _ context: AcmeContext, _ shape: AcmeEntityShape) async throws
        -> EntityInput?
    {
        do {
            return try await context.client.read("/api/\(paths[ref.type] ?? "")/\(ref.id)", shape.read)
        } catch let error as MaxError where error.code == .httpNotFound {
            return nil
        }
    }
}
