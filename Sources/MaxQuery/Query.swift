public import MaxCore

/// A search over one entity type: filter, fields, ordering and page.
///
/// ```swift
/// var query = try Query("AcmeTask", filter: #"status = "todo""#)
/// query.ordering = try Ordering(parsing: "updatedAt:desc")
/// query.limit = 100
/// let checked = try query.checked(against: schema)
/// ```
public struct Query: Sendable, Hashable {
    /// The most rows one page may ask for.
    public static let maximumLimit = 100_000

    /// The entity type searched.
    public var entityType: EntityType
    /// The filter, if any.
    public var filter: Filter?
    /// The text ``filter`` was parsed from, so errors can point into it.
    public var filterExpression: String?
    /// The fields to return.
    public var selection: FieldSelection
    /// The order of results.
    public var ordering: Ordering
    /// The page size.
    public var limit: Int
    /// The cursor of the previous page, if this is not the first.
    public var cursor: String?
    /// Whether tombstoned (deleted upstream) entities are returned too.
    public var includeDeleted: Bool

    /// Creates a query, parsing `filter` if one is given.
    ///
    /// - Throws: `search.invalid_filter` when `filter` does not parse.
    public init(
        _ entityType: EntityType,
        filter: String? = nil,
        selection: FieldSelection = .props,
        ordering: Ordering = .byID,
        limit: Int = 1000,
        cursor: String? = nil,
        includeDeleted: Bool = false
    ) throws {
        self.entityType = entityType
        self.filter = try filter.map(Filter.init(parsing:))
        self.filterExpression = filter
        self.selection = selection
        self.ordering = ordering
        self.limit = limit
        self.cursor = cursor
        self.includeDeleted = includeDeleted
    }

    /// Resolves the query against `schema`: the entity type, fields, filter, ordering and cursor.
    ///
    /// - Throws: `schema.unknown_entity_type`, `search.unknown_field`, `search.type_mismatch`,
    ///   `search.invalid_order`, `search.invalid_cursor` or `search.invalid_limit`.
    public func checked(against schema: Schema) throws -> CheckedQuery {
        let entity = try schema.requireDefinition(of: entityType)
        guard (1...Self.maximumLimit).contains(limit) else {
            throw MaxError(
                .invalidLimit, "the page size must be between 1 and \(Self.maximumLimit), not \(limit)",
                hint: "use --all to stream every page", context: ["limit": String(limit)])
        }
        let ordering = try ordering.checked(against: entity)
        let (fields, paths) = try selection.resolved(against: entity, in: schema)
        return CheckedQuery(
            entity: entity,
            filter: try filter?.checked(against: entity, in: schema, expression: filterExpression),
            fields: fields,
            ordering: ordering,
            limit: limit,
            after: try cursor.map { try QueryCursor(decoding: $0, for: ordering) },
            includeDeleted: includeDeleted,
            paths: paths
        )
    }
}

/// A query resolved against its entity type, ready for storage to run.
public struct CheckedQuery: Sendable, Hashable {
    /// The entity type searched.
    public var entity: EntityDef
    /// The filter, if any.
    public var filter: CheckedFilter?
    /// The fields to return, in order.
    public var fields: [Field]
    /// The total order of results.
    public var ordering: CheckedOrdering
    /// The page size.
    public var limit: Int
    /// Where the page starts: after this position.
    public var after: QueryCursor?
    /// Whether tombstones are returned too.
    public var includeDeleted: Bool
    /// The fields of ``fields`` read through refs (`assignee.displayName`), by name.
    public var paths: [String: FieldPath]

    /// Creates a checked query.
    public init(
        entity: EntityDef, filter: CheckedFilter?, fields: [Field], ordering: CheckedOrdering, limit: Int,
        after: QueryCursor?, includeDeleted: Bool, paths: [String: FieldPath] = [:]
    ) {
        self.paths = paths
        self.entity = entity
        self.filter = filter
        self.fields = fields
        self.ordering = ordering
        self.limit = limit
        self.after = after
        self.includeDeleted = includeDeleted
    }
}
