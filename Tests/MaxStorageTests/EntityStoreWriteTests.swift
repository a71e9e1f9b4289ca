import Foundation
import MaxCore
import MaxQuery
import MaxStorage
import MaxTestSupport
import Testing

struct EntityStoreWriteTests {
    let store: EntityStore

    init() throws {
        store = try EntityStore.inMemory(schema: SampleSchema.schema)
    }

    private func item(_ id: String, _ selection: String = ".all") async throws -> EntityRecord? {
        try await store.record(Ref("Item", id), selection: try FieldSelection(parsing: selection))
    }

    @Test func upsertsMergeInsteadOfReplacing() async throws {
        try await store.upsert([SampleSchema.item(1)])
        try await store.upsert([EntityInput("Item", id: "itm_000001", fields: ["status": "done", "estimate": .null])])
        let record = try #require(try await item("itm_000001"))
        #expect(record["status"] == "done")
        #expect(record["title"] == "Item 1")
        #expect(record["priority"] == .int(1))
        #expect(record["estimate"] == .null)
        #expect(record["tags"] == .json(["odd", "urgent"]))
        #expect(record["assignee"] == .ref(Ref("Person", "per_1")))
    }

    @Test func everyTypeRoundTrips() async throws {
        let due = Date(timeIntervalSince1970: 1_767_225_600.5)
        let input = EntityInput(
            "Item", id: "x",
            fields: [
                "title": "naïve ☃", "status": "todo", "priority": .int(Int.max), "estimate": .double(-0.25),
                "done": true, "dueDate": .date(due), "tags": .json(["a": [1, 2.5, nil]]),
                "assignee": .ref(Ref("Person", "p")), "project": .null,
            ])
        try await store.upsert([input])
        let record = try #require(try await item("x", ".props"))
        for (name, value) in input.fields {
            #expect(record[name] == value, "\(name)")
        }
    }

    @Test func tombstonesAreHiddenUntilAskedForAndRevivedByAnUpsert() async throws {
        try await store.upsert((1...3).map { SampleSchema.item($0) })
        try await store.markDeleted([Ref("Item", "itm_000002")], at: Date(timeIntervalSince1970: 1_800_000_000))
        #expect(try await store.count(try Query("Item")) == 2)
        #expect(try await item("itm_000002") == nil)
        let all = try await store.page(try Query("Item", includeDeleted: true))
        #expect(all.items.map(\.ref.id) == ["itm_000001", "itm_000002", "itm_000003"])
        let tombstone = try #require(
            try await store.record(Ref("Item", "itm_000002"), selection: .all, includeDeleted: true))
        #expect(tombstone["_deleted_at"] == .date(Date(timeIntervalSince1970: 1_800_000_000)))
        #expect(tombstone["title"] == "Item 2")
        #expect(try await store.count(try Query("Item", filter: "_deleted_at IS NOT NULL", includeDeleted: true)) == 1)

        try await store.upsert([EntityInput("Item", id: "itm_000002", fields: ["status": "todo"])])
        #expect(try await store.count(try Query("Item")) == 3)
        #expect(try await item("itm_000002")?["title"] == "Item 2")
    }

    @Test func aBadInputFailsTheWholeBatch() async throws {
        let good = SampleSchema.item(1)
        let wrongType = EntityInput("Item", id: "bad", fields: ["priority": "high"])
        let error = try await #require(throws: MaxError.self) { try await store.upsert([good, wrongType]) }
        #expect(error.code == .storageTypeMismatch)
        #expect(error.message == "Item.priority is a int field, but entity bad gives it a string")
        #expect(try await store.count(try Query("Item")) == 0)

        let unknown = try await #require(throws: MaxError.self) {
            try await store.upsert([EntityInput("Item", id: "x", fields: ["colour": "red"])])
        }
        #expect(unknown.code == .storageUnknownField)
        let wrongRef = try await #require(throws: MaxError.self) {
            try await store.upsert([EntityInput("Item", id: "x", fields: ["assignee": .ref(Ref("Project", "p"))])])
        }
        #expect(wrongRef.code == .storageTypeMismatch)
        let unknownType = try await #require(throws: MaxError.self) {
            try await store.upsert([EntityInput("Nope", id: "x")])
        }
        #expect(unknownType.code == .unknownEntityType)
    }

    @Test func inputsOfDifferentShapesInOneBatch() async throws {
        try await store.upsert([
            EntityInput("Item", id: "a", fields: ["title": "A"]),
            EntityInput("Item", id: "b", fields: ["title": "B", "status": "todo"]),
            EntityInput("Person", id: "p", fields: ["name": "P"]),
            EntityInput("Item", id: "c", fields: ["status": "done"]),
            EntityInput("Item", id: "a", fields: ["status": "done"]),
        ])
        let page = try await store.page(try Query("Item", selection: try FieldSelection(parsing: "title,status")))
        #expect(
            page.items.map(\.jsonObject) == [
                ["title": "A", "status": "done"], ["title": "B", "status": "todo"], ["status": "done"],
            ])
        #expect(try await store.count(try Query("Person")) == 1)
    }

    @Test func collectionsAreReplacedLinkedAndQueryable() async throws {
        try await store.upsert((1...4).map { SampleSchema.item($0) })
        let items = (1...3).map { Ref("Item", "itm_00000\($0)") }
        try await store.upsert([
            EntityInput("Project", id: "prj_a", fields: ["name": "A", "tasks": .refs(items)]),
            EntityInput("Project", id: "prj_b", fields: ["name": "B"]),
        ])
        try await store.link(Ref("Project", "prj_b"), "tasks", to: [Ref("Item", "itm_000004"), items[0]])
        let all = try FieldSelection(parsing: "tasks")
        let a = try #require(try await store.record(Ref("Project", "prj_a"), selection: all))
        #expect(a["tasks"] == .refs(items))
        #expect(a.jsonObject == ["tasks": ["itm_000001", "itm_000002", "itm_000003"]])

        try await store.upsert([EntityInput("Project", id: "prj_a", fields: ["tasks": .refs([items[1]])])])
        #expect(try await store.record(Ref("Project", "prj_a"), selection: all)?["tasks"] == .refs([items[1]]))

        func ids(_ filter: String) async throws -> [String] {
            try await store.page(try Query("Project", filter: filter)).items.map(\.ref.id)
        }
        #expect(try await ids(#"tasks = "itm_000004""#) == ["prj_b"])
        #expect(try await ids(#"tasks = "itm_000001""#) == ["prj_b"])
        #expect(try await ids(#"tasks != "itm_000001""#) == ["prj_a"])
        #expect(try await ids(#"tasks IN ("itm_000002", "itm_000004")"#) == ["prj_a", "prj_b"])
        #expect(try await ids("tasks IS NULL") == [])
        try await store.upsert([EntityInput("Project", id: "prj_c", fields: ["name": "C"])])
        #expect(try await ids("tasks IS NULL") == ["prj_c"])
        #expect(try await ids("tasks IS NOT NULL") == ["prj_a", "prj_b"])

        let wrong = try await #require(throws: MaxError.self) {
            try await store.link(Ref("Project", "prj_a"), "tasks", to: [Ref("Person", "p")])
        }
        #expect(wrong.code == .storageTypeMismatch)
    }
}
