import Foundation
public import MaxConnector
import MaxCore

/// The git connector: a local repository through the `git` executable, with no network.
///
/// It syncs the commits reachable from any ref (with their diff stats), their authors, the local
/// branches, the tags and the files at HEAD. Later syncs are incremental by reachability: only
/// the commits that are new since the last sync are read, and commits no ref reaches any more
/// (after a rebase, a reset, a deleted branch or a pruned reflog) are deleted, found by comparing
/// every commit stored with every commit git reaches.
public struct GitConnector: ConnectorModule {
    /// What onboarding produces.
    public struct Config: Codable, Sendable, Hashable {
        /// The repository's top folder (or the folder of a bare repository), absolute.
        public var path: String

        /// A config.
        public init(path: String) {
            self.path = path
        }
    }

    /// The connector.
    public init() {}

    /// The definition.
    public var def: ConnectorDef<GitContext> { Self.definition }

    /// Builds an installation; nothing runs until a loader does.
    public func initialise(_ config: Config, credentials: any CredentialStore) throws -> Installation<GitContext> {
        let context = GitContext(path: config.path)
        return Installation(
            context: context,
            health: {
                do {
                    _ = try await context.reader.git.run(["rev-parse", "--git-dir"])
                    return .healthy
                } catch let error as MaxError {
                    return .unhealthy(error.message)
                } catch {
                    return .unhealthy("\(error)")
                }
            })
    }

    static let onboarding = OnboardingFlow([
        .input(
            InputStep(
                "Repository", description: "A local git repository: its folder, or any folder inside it.",
                fields: [.string("path", label: "Repository path", placeholder: "~/src/project")])),
        .custom(
            CustomStep("Checking the repository") { state, _ in
                ["path": .string(try await locate(state["path"]?.stringValue ?? ""))]
            }),
    ])

    /// The absolute top folder of the repository at or above `path`.
    ///
    /// - Throws: `onboarding.validation_failed` when it is not in a repository.
    static func locate(_ path: String) async throws -> String {
        let expanded = (path as NSString).expandingTildeInPath
        let absolute = URL(fileURLWithPath: expanded).standardizedFileURL.path
        let git = GitRunner(path: absolute)
        do {
            let top = try await git.run(["rev-parse", "--show-toplevel"]).trimmingCharacters(
                in: .whitespacesAndNewlines)
            if !top.isEmpty { return top }
        } catch let error as MaxError where error.code == .gitFailed {
            // A bare repository has no work tree: accept it by its git folder.
            if let bare = try? await git.run(["rev-parse", "--is-bare-repository"]),
                bare.trimmingCharacters(in: .whitespacesAndNewlines) == "true"
            {
                return absolute
            }
            throw MaxError(
                .onboardingValidationFailed, "\(absolute) is not in a git repository",
                hint: "give the folder of a repository (one with a .git inside)", context: ["field": "path"],
                cause: error)
        }
        return absolute
    }

    private static let definition = ConnectorDef<GitContext>(
        name: "git", displayName: "Git",
        description: "Sync the commits, authors, branches, tags and files of a local git repository",
        version: "1.0.0", schema: GitSchema.schema, onboarding: onboarding,
        seeder: Seeder { context in
            let root = Ref("GitRepository", context.path)
            return Seed(
                entities: [try await context.reader.repository(id: context.path)],
                plan: SyncPlan([
                    .concurrent(
                        ["commits", "authors", "branches", "tags", "files"].map { .forRoot(root, .loadCollection($0)) })
                ]))
        },
        resolvers: [
            Resolver(
                for: "GitRepository",
                collections: [
                    CollectionLoader(
                        "repositoryCommits", owner: "GitRepository", field: "commits", target: "GitCommit",
                        pageSize: 2000
                    ) { _, page, context in
                        let skip = Int(page.cursor ?? "") ?? 0
                        let commits = try await context.reader.checkedCommits(["--all"], skip: skip, limit: page.limit)
                        let more = commits.count == page.limit
                        return Page(items: commits, hasMore: more, cursor: more ? String(skip + commits.count) : nil)
                    },
                    whole("authors", "GitAuthor") { try await $0.authors() },
                    whole("branches", "GitBranch") { try await $0.branches() },
                    whole("tags", "GitTag") { try await $0.tags() },
                    whole("files", "GitFile") { try await $0.files() },
                ])
        ],
        changeFeed: ChangeFeed(
            position: { context in try await context.reader.position() },
            changes: { after, context in try await GitChanges(context: context).since(after) }),
        configSchema: .derived(from: onboarding, closed: true))

    /// A collection read in one page.
    static func whole(
        _ field: String, _ target: EntityType, read: @escaping @Sendable (GitReader) async throws -> [EntityInput]
    ) -> CollectionLoader<GitContext> {
        CollectionLoader("repository.\(field)", owner: "GitRepository", field: field, target: target, pageSize: 1) {
            _, _, context in Page.last(try await read(context.reader))
        }
    }
}

/// What the git connector's loaders use.
public struct GitContext: Sendable {
    /// The repository's path, which is also the repository entity's id.
    public let path: String
    let reader: GitReader

    init(path: String) {
        self.path = path
        reader = GitReader(path: path)
    }
}
