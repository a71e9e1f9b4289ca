/// A search of an installation's local data.
public struct SearchRequest: Codable, Sendable, Hashable {
    /// The installation.
    public var installation: String
    /// The entity type, such as `AcmeTask`.
    public var entityType: String
    /// A filter expression (`status = "todo" AND priority >= 3`).
    public var filter: String?
    /// The fields: `a,b,c`, or `.props`, `.meta`, `.all`; `nil` for `.props`.
    public var fields: String?
    /// The order: `field[:asc|desc],…`; `nil` for by id.
    public var orderBy: String?
    /// The page size, 1 to ``SearchPage/maximumLimit``; `nil` for 100.
    public var limit: Int?
    /// Where the previous page ended.
    public var cursor: String?
    /// Whether entities deleted upstream are included.
    public var includeDeleted: Bool?

    /// A request.
    public init(
        installation: String, entityType: String, filter: String? = nil, fields: String? = nil,
        orderBy: String? = nil, limit: Int? = nil, cursor: String? = nil, includeDeleted: Bool = false
    ) {
        self.installation = installation
        self.entityType = entityType
        self.filter = filter
        self.fields = fields
        self.orderBy = orderBy
        self.limit = limit
        self.cursor = cursor
        self.includeDeleted = includeDeleted
    }

    /// The page size when none is given.
    public static let defaultLimit = 100
}
