import Foundation
public import MaxConnector
public import MaxCore

/// A connector that runs a manifest: every stream a collection loader on the SDK's engine, so a
/// manifest's sync has the retries, rate limits, breaker, resumable pages, incremental positions and
/// tombstones of a connector written in Swift.
///
/// ```swift
/// let github = try ManifestConnector(ManifestLoader.load(BundledManifests.github, source: "bundled:github"))
/// ```
public struct ManifestConnector: ConnectorModule {
    /// The installation's config: whatever onboarding stored, as JSON.
    public struct Config: Codable, Sendable, Hashable {
        /// The values.
        public var values: JSONValue

        /// Creates a config.
        public init(_ values: JSONValue) { self.values = values }

        /// Decodes any JSON object.
        public init(from decoder: any Decoder) throws { values = try JSONValue(from: decoder) }

        /// Encodes the values.
        public func encode(to encoder: any Encoder) throws { try values.encode(to: encoder) }
    }

    /// The checked manifest.
    public let compiled: CompiledManifest
    /// The definition built from it.
    public let def: ConnectorDef<ManifestContext>

    /// A connector running `compiled`.
    public init(_ compiled: CompiledManifest) {
        self.compiled = compiled
        self.def = Self.definition(compiled)
    }

    /// Builds an installation over the shared HTTP client.
    public func initialise(_ config: Config, credentials: any CredentialStore) throws -> Installation<ManifestContext> {
        try initialise(config, credentials: credentials, http: .shared)
    }

    /// Builds an installation whose requests go through `http`.
    ///
    /// No I/O until a sync or `health()`.
    public func initialise(_ config: Config, credentials: any CredentialStore, http: ConnectorHTTPClient) throws
        -> Installation<ManifestContext>
    {
        let values = Self.withDefaults(config.values, compiled.manifest)
        let context = ManifestContext(compiled: compiled, config: values, credentials: credentials, http: http)
        let health = compiled.manifest.health
        return Installation(
            context: context,
            health: {
                guard let health else { return .healthy }
                return await .checking {
                    let request = try context.requester.build(health, scope: ["config": values])
                    _ = try context.requester.requireSuccess(try await context.requester.send(request))
                }
            })
    }

    /// The config with the manifest's defaults for keys it lacks.
    static func withDefaults(_ config: JSONValue, _ manifest: Manifest) -> JSONValue {
        var values = config.objectValue ?? [:]
        for input in manifest.config ?? [] where values[input.key] == nil || values[input.key] == .null {
            if let value = input.default { values[input.key] = value }
        }
        return .object(values)
    }

    private static func definition(_ compiled: CompiledManifest) -> ConnectorDef<ManifestContext> {
        let manifest = compiled.manifest
        let streams = manifest.streams
        let rootType = compiled.rootType
        func owner(of stream: StreamSpec) -> EntityType {
            stream.parent.flatMap { compiled.stream($0) }.map { EntityType($0.entity) } ?? rootType
        }
        func loader(_ stream: StreamSpec) -> CollectionLoader<ManifestContext> {
            CollectionLoader(
                stream.name, owner: owner(of: stream), field: stream.collectionField, target: EntityType(stream.entity),
                pageSize: stream.pageSize ?? 100
            ) { parent, request, context in
                let first = Paginator(stream.pagination, pageSize: request.limit).first
                let position = request.cursor.map { PagePosition(text: $0, first: first) }
                let page = try await context.page(of: stream, parent: parent.id, at: position, pageSize: request.limit)
                return Page(items: page.inputs + page.emitted, hasMore: page.next != nil, cursor: page.next?.text)
            }
        }
        let read = streams.filter { $0.request != nil }
        var resolvers = [
            Resolver<ManifestContext>(for: rootType, collections: read.filter { $0.parent == nil }.map(loader))
        ]
        for stream in streams {
            resolvers.append(
                Resolver(
                    for: EntityType(stream.entity), collections: read.filter { $0.parent == stream.name }.map(loader)))
        }
        // The plan: the root's streams side by side, then each level of children.
        var depth: [String: Int] = [:]
        for stream in read { depth[stream.name] = stream.parent.flatMap { depth[$0] }.map { $0 + 1 } ?? 0 }
        var steps: [SyncStep] = []
        for level in 0...(depth.values.max() ?? 0) {
            let leaves: [SyncStep] = read.filter { depth[$0.name] == level }.map { stream in
                level == 0
                    ? .forAll(rootType, .loadCollection(stream.collectionField))
                    : .forAll(owner(of: stream), .loadCollection(stream.collectionField))
            }
            if !leaves.isEmpty { steps.append(leaves.count == 1 ? leaves[0] : .concurrent(leaves)) }
        }
        let plan = SyncPlan(steps)
        let limits = manifest.rateLimit
        let rateLimit = limits.flatMap { spec -> RateLimit? in
            guard spec.rate != nil || spec.burst != nil || spec.concurrency != nil else { return nil }
            let rate = spec.rate ?? 1000
            return RateLimit(rate: rate, burst: spec.burst ?? max(1, Int(rate)), concurrency: spec.concurrency)
        }
        let incremental = manifest.changeLog != nil || streams.contains { $0.incremental != nil }
        return ConnectorDef(
            name: manifest.name, displayName: manifest.displayName, description: manifest.description,
            version: manifest.version, schema: compiled.schema, onboarding: ManifestOnboarding.flow(compiled),
            seeder: Seeder { context in
                let root = Ref(rootType, context.rootID)
                return Seed(entities: [EntityInput(root)], plan: plan)
            },
            resolvers: resolvers, rateLimit: rateLimit,
            changeFeed: incremental ? ManifestChangeFeed.feed(compiled) : nil,
            auth: ManifestOnboarding.auth(manifest),
            operations: ManifestOperations.all(compiled),
            operationSchemaVersion: manifest.version)
    }
}
