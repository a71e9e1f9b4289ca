public import MaxCore
import MaxQuery

/// The entities a query matches, read a batch at a time with keyset pagination.
///
/// Each batch is its own short read, so a long stream never holds a transaction open or a whole
/// result set in memory, and it neither skips nor repeats a row that stays put while it runs.
public struct EntityRecordSequence: AsyncSequence, Sendable {
    /// The element type.
    public typealias Element = EntityRecord

    let store: EntityStore
    let query: CheckedQuery
    let batchSize: Int

    /// Makes an iterator that starts at the query's cursor.
    public func makeAsyncIterator() -> Iterator {
        Iterator(store: store, query: query, batchSize: batchSize, cursor: query.after)
    }

    /// Reads the next batch when the current one runs out.
    public struct Iterator: AsyncIteratorProtocol {
        let store: EntityStore
        let query: CheckedQuery
        let batchSize: Int
        var cursor: QueryCursor?
        var buffer: [EntityRecord] = []
        var position = 0
        var isFinished = false

        /// The next entity, or `nil` after the last.
        public mutating func next() async throws -> EntityRecord? {
            if position == buffer.count {
                guard !isFinished else { return nil }
                try Task.checkCancellation()
                let batch = try await store.fetch(query, after: cursor, limit: batchSize)
                buffer = batch.records
                position = 0
                cursor = batch.last
                isFinished = batch.records.count < batchSize
                if buffer.isEmpty { return nil }
            }
            defer { position += 1 }
            return buffer[position]
        }
    }
}
