import Foundation
import MaxCore
import MaxQuery
import MaxStorage
import MaxTestSupport
import Testing

/// Pages through random tables under random orderings with `--after` cursors and checks that every row comes exactly
/// once, in the right order.
///
/// Each seed reproduces its case.
struct PaginationPropertyTests {
    @Test(arguments: 1...24)
    func everyRowExactlyOnceUnderAnyOrdering(seed: Int) async throws {
        var rng = SplitMix64(seed: UInt64(seed) * 7919)
        let items = SampleSchema.randomItems(count: Int.random(in: 0...150, using: &rng), using: &rng)
        let store = try EntityStore.inMemory(schema: SampleSchema.schema)
        try await store.upsert(items)
        let filters = [nil, "priority IS NOT NULL OR done = true", #"status != "done""#]

        for _ in 0..<4 {
            let ordering = SampleSchema.randomOrdering(using: &rng)
            let filter = filters.randomElement(using: &rng)!
            let limit = Int.random(in: 1...17, using: &rng)
            var query = try Query("Item", filter: filter, ordering: ordering, limit: limit)
            query.selection = try FieldSelection(parsing: "_id")
            let checked = try query.checked(against: SampleSchema.schema)
            let expected = Reference.ids(items, filter: checked.filter, ordering: checked.ordering)

            var seen: [String] = []
            var pages = 0
            repeat {
                let page = try await store.page(query)
                seen += page.items.map(\.ref.id)
                #expect(page.items.count <= limit)
                #expect(page.hasMore == (page.cursor != nil))
                query.cursor = page.cursor
                pages += 1
            } while query.cursor != nil && pages <= expected.count + 1
            let context = "seed \(seed), order \(ordering.text), filter \(filter ?? "none"), limit \(limit)"
            #expect(seen == expected, "\(context)")
            #expect(Set(seen).count == seen.count, "duplicates under \(context)")
        }
    }
}
