public import MaxCore

/// The entity types an installation found at its source, and how to load them: for connectors
/// whose data model depends on what they connect to (a database's tables), not on the connector.
///
/// An installation that discovers its model (see ``Installation/init(context:start:stop:health:discover:)``)
/// syncs into these types instead of its definition's schema; the definition's resolvers still
/// apply to the types both declare (a root). Discovery runs once per live installation, before
/// its store is opened for a sync.
///
/// ```swift
/// discover: {
///     let tables = try await catalog.tables()
///     return DiscoveredModel(schema: schema(of: tables), resolvers: tables.map(resolver))
/// }
/// ```
public struct DiscoveredModel<Context: Sendable>: Sendable {
    /// The installation's data model.
    public var schema: Schema
    /// The loaders of its types.
    public var resolvers: [Resolver<Context>]
    /// What a person should know about the model, reported with the sync (a table left out).
    public var notes: [String]

    /// Creates a model.
    public init(schema: Schema, resolvers: [Resolver<Context>], notes: [String] = []) {
        self.schema = schema
        self.resolvers = resolvers
        self.notes = notes
    }
}
