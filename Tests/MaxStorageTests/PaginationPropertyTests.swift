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
    static let orderable = ["title", "status", "priority", "estimate", "done", "dueDate", "assignee", "_id"]

    static func randomItems(count: Int, using rng: inout SplitMix64) -> [EntityInput] {
        (0..<count).map { index in
            var input = EntityInput("Item", id: "i\(Int.random(in: 0..<1_000_000, using: &rng))_\(index)")
            func maybe(_ value: FieldValue) -> FieldValue { Int.random(in: 0..<4, using: &rng) == 0 ? .null : value }
            // Small domains make many ties, which is where cursors go wrong.
            input["title"] = maybe(.string(["a", "b", "B", "ab", ""][Int.random(in: 0..<5, using: &rng)]))
            input["status"] = maybe(.string(["todo", "done"][Int.random(in: 0..<2, using: &rng)]))
            input["priority"] = maybe(.int(Int.random(in: -2...2, using: &rng)))
            input["estimate"] = maybe(.double([0.5, 1, 1.5, -3][Int.random(in: 0..<4, using: &rng)]))
            input["done"] = maybe(.bool(Bool.random(using: &rng)))
            input["dueDate"] = maybe(
                .date(Date(timeIntervalSince1970: Double(Int.random(in: 0...3, using: &rng)) * 86_400)))
            input["assignee"] = maybe(.ref(Ref("Person", "p\(Int.random(in: 0...2, using: &rng))")))
            return input
        }
    }

    static func randomOrdering(using rng: inout SplitMix64) -> Ordering {
        let count = Int.random(in: 1...3, using: &rng)
        let fields = orderable.shuffled(using: &rng).prefix(count)
        return Ordering(fields.map { Ordering.Key($0, Bool.random(using: &rng) ? .ascending : .descending) })
    }

    @Test(arguments: 1...24)
    func everyRowExactlyOnceUnderAnyOrdering(seed: Int) async throws {
        var rng = SplitMix64(seed: UInt64(seed) * 7919)
        let items = Self.randomItems(count: Int.random(in: 0...150, using: &rng), using: &rng)
        let store = try EntityStore.inMemory(schema: SampleSchema.schema)
        try await store.upsert(items)
        let filters = [nil, "priority IS NOT NULL OR done = true", #"status != "done""#]

        for _ in 0..<4 {
            let ordering = Self.randomOrdering(using: &rng)
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
