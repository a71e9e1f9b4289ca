import Foundation
import MaxCore

/// The entity type the store benchmark writes: ten fields of every scalar type, like a task.
enum BenchSchema {
    static let user = EntityDef("BenchUser", fields: [.string("name")])
    static let task = EntityDef(
        "BenchTask",
        fields: [
            .string("title"), .string("description"), .string("status", indexed: true), .int("priority"),
            .double("estimate"), .bool("done"), .date("dueDate"), .json("tags"), .ref("assignee", to: "BenchUser"),
            .date("updatedAt"),
        ],
        indexes: [["status", "updatedAt"]])
    static let schema = Schema(namespace: "bench", entities: [user, task])

    /// The same ten fields with no secondary index (the assignee kept as plain text), to show what
    /// index maintenance costs a write.
    static let plainSchema = Schema(
        namespace: "bench",
        entities: [
            EntityDef(
                "BenchTask",
                fields: task.fields.map { $0.name == "assignee" ? .string("assignee") : Field($0.name, $0.type) })
        ])

    /// A task for the plain schema: the assignee as text.
    static func plainTask(_ index: Int) -> EntityInput {
        var input = task(index)
        if case .ref(let ref) = input["assignee"] { input["assignee"] = .string(ref.id) }
        return input
    }

    static let statuses = ["todo", "in_progress", "in_review", "done", "cancelled"]
    static let epoch = 1_767_225_600.0

    /// The `index`-th task, the same on every run.
    static func task(_ index: Int) -> EntityInput {
        var generator = index &* 2_654_435_761 &+ 97
        func next(_ bound: Int) -> Int {
            generator = generator &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(UInt(bitPattern: generator >> 17) % UInt(bound))
        }
        let id = String(index, radix: 16)
        return EntityInput(
            "BenchTask", id: "tsk_" + String(repeating: "0", count: max(0, 12 - id.count)) + id,
            fields: [
                "title": .string("Task \(index): review the \(["spec", "build", "docs", "bench"][next(4)])"),
                "description": next(3) == 0
                    ? .null : .string("Longer text for task \(index) so rows have a realistic size."),
                "status": .string(statuses[next(statuses.count)]),
                "priority": .int(next(5)),
                "estimate": .double(Double(next(40)) / 4),
                "done": .bool(next(2) == 0),
                "dueDate": next(4) == 0
                    ? .null : .date(Date(timeIntervalSince1970: epoch + Double(next(365)) * 86_400)),
                "tags": .json(.array([["backend", "frontend", "ops"][next(3)]])),
                "assignee": .ref(Ref("BenchUser", "usr_\(next(500))")),
                "updatedAt": .date(Date(timeIntervalSince1970: epoch + Double(index) * 7.5)),
            ])
    }
}
