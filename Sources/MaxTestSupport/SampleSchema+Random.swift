import Foundation
public import MaxCore
public import MaxQuery

extension SampleSchema {
    /// The fields of `Item` an ordering may use.
    public static let orderable = ["title", "status", "priority", "estimate", "done", "dueDate", "assignee", "_id"]

    /// Random items with small domains (many ties) and nulls: where orderings and cursors go wrong.
    public static func randomItems(count: Int, using rng: inout SplitMix64) -> [EntityInput] {
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

    /// A random ordering of one to three of ``orderable``, each ascending or descending.
    public static func randomOrdering(using rng: inout SplitMix64) -> Ordering {
        let count = Int.random(in: 1...3, using: &rng)
        let fields = orderable.shuffled(using: &rng).prefix(count)
        return Ordering(fields.map { Ordering.Key($0, Bool.random(using: &rng) ? .ascending : .descending) })
    }
}
