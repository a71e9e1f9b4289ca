/// How an Acme server runs: where it listens, where it keeps data, what it seeds, and the faults it injects.
///
/// The defaults match the original Acme API.
public struct AcmeOptions: Sendable, Hashable {
    /// The address to bind.
    public var host = "127.0.0.1"
    /// The port; 0 picks a free one.
    public var port = 4567
    /// The SQLite file, or `nil` to keep everything in memory.
    public var dataPath: String?
    /// The seed every generated id, value and timestamp derives from.
    public var seed: UInt64 = 42
    /// What to create at start-up.
    public var seeding = Seeding()
    /// More requests than this per second from one key get 429; `nil` for no limit.
    public var rateLimit: Int?
    /// The fraction (0…1) of authenticated requests that fail with 500 or 503, chosen
    /// deterministically from the seed.
    public var failRate: Double = 0
    /// Latency added to every authenticated request, in milliseconds.
    public var latencyMilliseconds = 0
    /// Whether authenticated requests that write (not GET) are held, after they are counted, until
    /// `POST /api/holds/release`: a test kills a client whose request is at the source.
    public var holdWrites = false
    /// After this many authenticated reads (GET), hold every further one until
    /// `POST /api/holds/release`: a test signals a client certainly in the middle of a sync.
    public var holdReadsAfter: Int?
    /// How long OAuth access tokens live, in seconds.
    public var tokenTTL = 3600
    /// The tenant's name.
    public var tenant = "default"

    /// Creates options with the defaults.
    public init() {}

    /// How much data to generate.
    public struct Seeding: Sendable, Hashable, Codable {
        /// Workspaces.
        public var workspaces = 1
        /// Users per workspace, besides the system user.
        public var usersPerWorkspace = 5
        /// Projects per workspace.
        public var projectsPerWorkspace = 3
        /// Tasks per project.
        public var tasksPerProject = 10
        /// Files per project.
        public var filesPerProject = 5

        /// Creates seeding options with the defaults.
        public init() {}

        /// Creates seeding options.
        public init(
            workspaces: Int, usersPerWorkspace: Int, projectsPerWorkspace: Int, tasksPerProject: Int,
            filesPerProject: Int
        ) {
            self.workspaces = workspaces
            self.usersPerWorkspace = usersPerWorkspace
            self.projectsPerWorkspace = projectsPerWorkspace
            self.tasksPerProject = tasksPerProject
            self.filesPerProject = filesPerProject
        }
    }

    /// The status the `index`-th authenticated request (counting from 1) fails with on purpose under
    /// ``failRate`` and ``seed``, or `nil` when it is served: tests use it to pick a seed that fails
    /// the request they want.
    public func injectedFailure(forRequest index: UInt64) -> Int? {
        guard failRate > 0 else { return nil }
        let roll = AcmeRandom.mix(seed, index)
        let unit = Double(roll >> 11) / Double(1 << 53)
        guard unit < failRate else { return nil }
        return roll & 1 == 0 ? 500 : 503
    }
}
