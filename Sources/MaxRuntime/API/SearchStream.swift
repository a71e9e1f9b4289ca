public import MaxCore
import MaxStorage

/// A search streamed page after page: every match (`max search --all`).
public struct SearchStream: Sendable {
    /// The fields each record carries, in order.
    public let fields: [String]
    /// The records.
    public let records: RecordStream
}

/// The records of a ``SearchStream``: read from a local store a batch at a time, or from a node a
/// page at a time.
public struct RecordStream: AsyncSequence, Sendable {
    /// The element type.
    public typealias Element = EntityRecord

    private let local: EntityRecordSequence?
    private let first: SearchPage?
    private let next: (@Sendable (String) async throws -> SearchPage)?

    /// The records of a local store.
    init(local: EntityRecordSequence) {
        self.local = local
        self.first = nil
        self.next = nil
    }

    /// The records of `first` and of the pages `next` reads after it, by cursor.
    init(first: SearchPage, next: @escaping @Sendable (String) async throws -> SearchPage) {
        self.local = nil
        self.first = first
        self.next = next
    }

    /// Makes an iterator from the first record.
    public func makeAsyncIterator() -> Iterator {
        Iterator(local: local?.makeAsyncIterator(), page: first, next: next)
    }

    /// Reads the next batch or page when the current one runs out.
    public struct Iterator: AsyncIteratorProtocol {
        var local: EntityRecordSequence.Iterator?
        var page: SearchPage?
        let next: (@Sendable (String) async throws -> SearchPage)?
        var position = 0

        /// The next record, or `nil` after the last.
        public mutating func next() async throws -> EntityRecord? {
            if local != nil { return try await local?.next() }
            while let current = page {
                if position < current.records.count {
                    defer { position += 1 }
                    return current.records[position]
                }
                guard current.hasMore, let cursor = current.cursor, let next else {
                    page = nil
                    return nil
                }
                try Task.checkCancellation()
                page = try await next(cursor)
                position = 0
            }
            return nil
        }
    }
}

extension MaxAPI {
    /// Every match, page after page of `batchSize` (at most ``SearchPage/maximumLimit``): the
    /// first page is read (and the request checked) before this returns.
    ///
    /// - Throws: as ``search(_:)``.
    public func searchAll(_ request: SearchRequest, batchSize: Int) async throws -> SearchStream {
        var pageRequest = request
        pageRequest.limit = min(request.limit ?? batchSize, batchSize, SearchPage.maximumLimit)
        let first = try await search(pageRequest)
        return SearchStream(
            fields: first.fields,
            records: RecordStream(first: first) { [pageRequest] cursor in
                var next = pageRequest
                next.cursor = cursor
                return try await search(next)
            })
    }
}
