/// One page of results, and how to ask for the next.
public struct Page<Item: Sendable>: Sendable {
    /// The items on this page.
    public var items: [Item]
    /// Whether more items follow this page.
    public var hasMore: Bool
    /// The opaque cursor to pass as ``PageRequest/cursor`` for the next page; `nil` on the last page.
    public var cursor: String?

    /// Creates a page.
    public init(items: [Item], hasMore: Bool, cursor: String?) {
        self.items = items
        self.hasMore = hasMore
        self.cursor = cursor
    }

    /// A page with everything: no more to come.
    public static func last(_ items: [Item]) -> Page { Page(items: items, hasMore: false, cursor: nil) }

    /// The same page with each item transformed.
    public func map<T>(_ transform: (Item) throws -> T) rethrows -> Page<T> {
        Page<T>(items: try items.map(transform), hasMore: hasMore, cursor: cursor)
    }
}

extension Page: Equatable where Item: Equatable {}

/// A request for one page: how many items at most, and where to start.
public struct PageRequest: Sendable, Hashable, Codable {
    /// The most items the page may hold.
    public var limit: Int
    /// The cursor of the previous page, or `nil` for the first page.
    public var cursor: String?

    /// Creates a request.
    public init(limit: Int, cursor: String? = nil) {
        self.limit = limit
        self.cursor = cursor
    }

    /// The first page of `limit` items.
    public static func first(_ limit: Int) -> PageRequest { PageRequest(limit: limit) }
}
