import Foundation
public import MaxConnector
import MaxCore
import Synchronization

/// The files connector: a folder of documents.
///
/// Every regular file under it (include and exclude
/// globs applied) is a `File` with its size, times, SHA-256, media type and, for UTF-8 text up to a
/// limit, its text; a Markdown file adds its front matter, title, headings and links to other files.
///
/// Later syncs are incremental: only files whose content, name or place changed since the last
/// sync began are read again, and the files no longer there (deleted, or renamed: a rename is the
/// old path deleted and the new one read) are deleted. A symbolic link is followed only to a regular
/// file inside the folder.
public struct FilesConnector: ConnectorModule {
    /// What onboarding produces.
    public struct Config: Codable, Sendable, Hashable {
        /// The folder, absolute.
        public var path: String
        /// Globs a file's path must match one of (comma-separated, or a list); all files when absent.
        public var include: GlobList?
        /// Globs no file's path may match.
        public var exclude: GlobList?
        /// The longest text kept, in bytes (1 MiB when absent).
        public var maxTextBytes: Int?

        /// A config.
        public init(path: String, include: GlobList? = nil, exclude: GlobList? = nil, maxTextBytes: Int? = nil) {
            self.path = path
            self.include = include
            self.exclude = exclude
            self.maxTextBytes = maxTextBytes
        }
    }

    /// The connector.
    public init() {}

    /// The definition.
    public var def: ConnectorDef<FilesContext> { Self.definition }

    /// Builds an installation; nothing is read until a sync.
    public func initialise(_ config: Config, credentials: any CredentialStore) throws -> Installation<FilesContext> {
        let context = FilesContext(config)
        return Installation(
            context: context,
            health: { await .checking { _ = try context.walker.walk() } })
    }

    static let onboarding = OnboardingFlow([
        .input(
            InputStep(
                "Folder", description: "A folder of documents; every file under it is synced, its text too.",
                fields: [
                    .string("path", label: "Folder", placeholder: "~/notes"),
                    .string("include", label: "Include (globs, comma-separated)", required: false, placeholder: "*.md"),
                    .string("exclude", label: "Exclude (globs)", required: false, placeholder: "node_modules, .git"),
                ])),
        .custom(
            CustomStep("Checking the folder") { state, _ in
                let path = (((state["path"]?.stringValue ?? "") as NSString).expandingTildeInPath)
                let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isFolder), isFolder.boolValue,
                    FileManager.default.isReadableFile(atPath: absolute)
                else {
                    throw MaxError(
                        .onboardingValidationFailed, "\(absolute) is not a folder Max can read",
                        hint: "give the path of a folder", context: ["field": "path"])
                }
                return ["path": .string(absolute)]
            }),
    ])

    private static let definition = ConnectorDef<FilesContext>(
        name: "files", displayName: "Files",
        description: "Sync the files of a folder: their text, and Markdown's front matter, headings and links",
        version: "1.0.0", schema: FilesSchema.schema, onboarding: onboarding,
        seeder: Seeder { context in
            let root = Ref("FilesRoot", context.root)
            return Seed(entities: [EntityInput(root)], plan: SyncPlan([.forRoot(root, .loadCollection("files"))]))
        },
        resolvers: [
            Resolver(
                for: "FilesRoot",
                collections: [
                    CollectionLoader("files", owner: "FilesRoot", field: "files", target: "File", pageSize: 200) {
                        _, page, context in
                        // The first page walks the folder; the next ones reuse that walk. The cursor
                        // is the last path read, so a resumed sync starts after it whatever changed.
                        let walk = try context.walk(fresh: page.cursor == nil)
                        let after = page.cursor ?? ""
                        let rest = walk.entries.drop { !after.isEmpty && $0.path <= after }
                        let slice = rest.prefix(page.limit)
                        let inputs = slice.map { context.reader.input($0, known: walk.paths) }
                        let more = rest.count > slice.count
                        return Page(items: inputs, hasMore: more, cursor: more ? slice.last?.path : nil)
                    }
                ])
        ],
        changeFeed: FilesChanges.feed,
        configSchema: .derived(
            from: onboarding,
            properties: [
                "include": TextList.jsonSchema, "exclude": TextList.jsonSchema,
                "maxTextBytes": ["type": "integer", "minimum": 0, "title": "The longest text kept, in bytes (1 MiB)"],
            ], closed: true))
}

/// Globs as `max.json` holds them: a list, or comma-separated text (what a prompt gives).
public typealias GlobList = TextList

/// What the files connector's loaders use: the folder's walker and reader, and one walk per sync.
public struct FilesContext: Sendable {
    /// The folder, which is also the root's id.
    public let root: String
    let walker: FolderWalker
    let reader: FileReader
    private let cache = WalkCache()

    /// One walk: the files, and their paths.
    struct Walked: Sendable {
        let entries: [FolderEntry]
        let paths: Set<String>
    }

    init(_ config: FilesConnector.Config) {
        root = config.path
        walker = FolderWalker(
            root: config.path, include: (config.include?.patterns ?? []).map(Glob.init),
            exclude: (config.exclude?.patterns ?? []).map(Glob.init))
        reader = FileReader(root: config.path, maxTextBytes: config.maxTextBytes ?? (1 << 20))
    }

    /// The folder walked now (`fresh`), or as last walked by this installation instance.
    func walk(fresh: Bool = true) throws -> Walked {
        if !fresh, let walked = cache.value.withLock({ $0 }) { return walked }
        let walk = try walker.walk()
        let walked = Walked(entries: walk.entries, paths: Set(walk.entries.map(\.path)))
        cache.value.withLock { $0 = walked }
        return walked
    }
}

/// The last walk, shared by the pages of one sync.
final class WalkCache: Sendable {
    let value = Mutex<FilesContext.Walked?>(nil)
}
