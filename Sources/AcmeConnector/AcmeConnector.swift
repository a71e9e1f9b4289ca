public import MaxConnector
import MaxCore

/// The Acme connector: syncs one workspace of an Acme tenant (its users, projects, tasks and
/// files) into Max.
public struct AcmeConnector: ConnectorModule {
    /// What onboarding produces: plain config, no secrets.
    public struct Config: Codable, Sendable, Hashable {
        /// The tenant's base URL.
        public var baseURL: String
        /// The workspace to sync.
        public var workspaceId: String
        /// How Max signs in; an API token when absent (installations from before OAuth).
        public var auth: AcmeAuth?

        /// Creates a config.
        public init(baseURL: String, workspaceId: String, auth: AcmeAuth? = nil) {
            self.baseURL = baseURL
            self.workspaceId = workspaceId
            self.auth = auth
        }
    }

    /// Creates the connector.
    public init() {}

    /// The definition.
    public var def: ConnectorDef<AcmeContext> { Self.definition }

    private static let definition = ConnectorDef<AcmeContext>(
        name: "acme", displayName: "Acme", description: "Sync workspaces, users, projects, tasks and files from Acme",
        icon: "", version: "1.0.0",
        scopes: ["read:workspaces", "read:users", "read:projects", "read:tasks", "read:files"],
        schema: AcmeSchema.schema, onboarding: AcmeOnboarding.flow,
        seeder: Seeder { context in
            let root = Ref("AcmeRoot", context.workspaceID)
            return Seed(
                entities: [EntityInput(root)],
                plan: SyncPlan([
                    .forRoot(root, .loadCollection("workspaces")),
                    .concurrent([
                        .forAll("AcmeWorkspace", .loadCollection("users")),
                        .forAll("AcmeWorkspace", .loadCollection("projects")),
                    ]),
                    .concurrent([
                        .forAll("AcmeProject", .loadCollection("tasks")),
                        .forAll("AcmeProject", .loadCollection("files")),
                    ]),
                ]))
        },
        resolvers: [
            Resolver(for: "AcmeRoot", collections: [AcmeLoaders.rootWorkspaces]),
            Resolver(
                for: "AcmeWorkspace", loading: ["name", "createdAt", "updatedAt"], with: AcmeLoaders.workspace,
                collections: [AcmeLoaders.workspaceUsers, AcmeLoaders.workspaceProjects]),
            Resolver(
                for: "AcmeUser", loading: AcmeSchema.user.rowFields.map(\.name), with: AcmeLoaders.user),
            Resolver(
                for: "AcmeProject", loading: AcmeSchema.project.rowFields.map(\.name), with: AcmeLoaders.project,
                collections: [AcmeLoaders.projectTasks, AcmeLoaders.projectFiles]),
            Resolver(for: "AcmeTask", loading: AcmeSchema.task.rowFields.map(\.name), with: AcmeLoaders.task),
            Resolver(for: "AcmeFile", loading: AcmeSchema.file.rowFields.map(\.name), with: AcmeLoaders.file),
        ],
        // Acme documents no rate limit; this is a ceiling well above what a sync sends, so the
        // limiter only matters once a tenant answers 429.
        rateLimit: RateLimit(rate: 1000, burst: 100),
        changeFeed: AcmeChangeFeed.feed,
        auth: ConnectorAuth(
            [.apiKey, .oauth2],
            metadata: [
                "authorizationURL": "{baseURL}/oauth/authorize", "tokenURL": "{baseURL}/oauth/token", "scopes": "read",
            ]),
        operations: AcmeOperations.all, operationSchemaVersion: "1.0.0",
        configSchema: .derived(
            from: AcmeOnboarding.flow, properties: ["auth": ["enum": ["token", "oauth"]]]))

    /// Builds an installation over the shared HTTP client.
    public func initialise(_ config: Config, credentials: any CredentialStore) throws -> Installation<AcmeContext> {
        try initialise(config, credentials: credentials, http: .shared)
    }

    /// Builds an installation: a client for the tenant and the chosen workspace, sending through
    /// `http`.
    ///
    /// No I/O until `start()`, which checks the token.
    public func initialise(_ config: Config, credentials: any CredentialStore, http: ConnectorHTTPClient) throws
        -> Installation<AcmeContext>
    {
        let client = AcmeClient(
            baseURL: config.baseURL, auth: config.auth ?? .token, credentials: credentials, http: http)
        let context = AcmeContext(client: client, workspaceID: config.workspaceId)
        return Installation(
            context: context,
            start: {
                let _: AcmeDTO.Workspace = try await client.get("/api/workspaces/\(config.workspaceId)")
            },
            health: {
                await .checking {
                    let _: AcmeDTO.Workspace = try await client.get("/api/workspaces/\(config.workspaceId)")
                }
            })
    }
}
