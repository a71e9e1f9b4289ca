import MaxCore
import MaxQuery
import MaxStorage
import MaxTestSupport
import Testing

/// Random and adversarial filters, through the parser, the checker and SQLite: each is answered or
/// refused with a validation error (exit 2), never a crash and never a storage error (exit 1).
struct FilterFuzzTests {
    static func store() async throws -> EntityStore {
        let store = try EntityStore.inMemory(schema: SampleSchema.schema)
        try await store.upsert((0..<40).map { SampleSchema.item($0) })
        return store
    }

    @Test(arguments: 1...8)
    func everyFilterIsAnsweredOrRefusedAsBadInput(seed: Int) async throws {
        let store = try await Self.store()
        var fuzzer = FilterFuzzer(fields: SampleSchema.item.fields.map(\.name), seed: UInt64(seed))
        var answered = 0
        for _ in 0..<500 {
            let expression = fuzzer.next()
            do {
                let query = try Query("Item", filter: expression, limit: 5)
                _ = try await store.count(query)
                _ = try await store.page(query)
                answered += 1
            } catch let error as MaxError {
                #expect(
                    error.category == .validationError,
                    "seed \(seed): \(error.code) for \(String(expression.prefix(120)).debugDescription)")
            }
        }
        #expect(answered >= 10, "the fuzzer should produce valid filters too, not only garbage")
    }

    /// The filters that crashed or failed inside SQLite before the limits (issue 7's reports).
    @Test(arguments: [
        (String(repeating: "(", count: 12_000), MaxError.Code.filterTooLarge),
        (
            String(repeating: "(", count: 15_000) + "priority = 1" + String(repeating: ")", count: 15_000),
            .filterTooLarge
        ),
        (String(repeating: "NOT ", count: 20_000) + "priority = 1", .filterTooLarge),
        (String(repeating: "NOT ", count: 3_000) + "priority = 1", .filterTooLarge),
        (Array(repeating: "priority = 1", count: 6_000).joined(separator: " AND "), .filterTooLarge),
        ("priority IN (" + (0..<5_000).map(String.init).joined(separator: ",") + ")", .filterTooLarge),
        ("title = \"" + String(repeating: "x", count: 100_000) + "\"", .filterTooLarge),
        (String(repeating: ")", count: 5_000), .invalidFilter),
    ])
    func oversizedFiltersAreRefusedBeforeSQL(_ expression: String, _ code: MaxError.Code) async throws {
        let store = try await Self.store()
        let error = try await #require(throws: MaxError.self) {
            _ = try await store.count(try Query("Item", filter: expression))
        }
        #expect(error.code == code)
        #expect(error.category == .validationError)
        if code == .filterTooLarge {
            let maximum = try #require(error.context["maximum"])
            #expect(error.message.contains(maximum), "the message names the limit: \(error.message)")
        }
    }

    /// The largest filter the limits allow still runs in SQLite: the limits sit below SQLite's own.
    @Test func filtersAtTheLimitsRun() async throws {
        let store = try await Self.store()
        let chain = Array(repeating: "priority >= 0", count: Filter.maximumConditions - 1).joined(separator: " OR ")
        let list = "priority IN (" + (0..<Filter.maximumValues).map(String.init).joined(separator: ",") + ")"
        // 15 × "NOT (" and one more NOT: 31 levels and 16 NOTs, so it means `list`.
        let nested =
            String(repeating: "NOT (", count: Filter.maximumDepth / 2 - 1) + "NOT " + list
            + String(repeating: ")", count: Filter.maximumDepth / 2 - 1)
        let expression = "(\(chain)) AND \(nested)"
        let count = try await store.count(try Query("Item", filter: expression))
        #expect(count > 0)
        let deepest =
            String(repeating: "(", count: Filter.maximumDepth) + "priority = 1"
            + String(repeating: ")", count: Filter.maximumDepth)
        #expect(try await store.count(try Query("Item", filter: deepest)) > 0)
        let tooDeep = "(" + deepest + ")"
        let error = try #require(throws: MaxError.self) { try Query("Item", filter: tooDeep) }
        #expect(error.code == .filterTooLarge)
        #expect(error.context["limit"] == "depth")
    }
}
