import Foundation
import GRDB
import MaxCore
import MaxQuery
import MaxStorage
import MaxStore
import MaxTestSupport
import Testing

/// Collection membership follows what the owners' listings and the change feed say, not the
/// members' freshness.
struct CollectionMembershipTests {
    let store: EntityStore

    init() throws {
        store = try EntityStore.inMemory(schema: SampleSchema.schema)
    }

    func members(_ project: String) async throws -> [String] {
        let record = try await store.record(Ref("Project", project), selection: try FieldSelection(parsing: "tasks"))
        guard case .refs(let refs)? = record?["tasks"] else { return [] }
        return refs.map(\.id).sorted()
    }

    static func listing(_ project: String, _ items: [String], sweepSince: Date?) -> EntityWriteBatch {
        EntityWriteBatch(
            upserts: items.map { EntityInput("Item", id: $0, fields: ["title": .string($0)]) },
            links: [.init(owner: Ref("Project", project), field: "tasks", targets: items.map { Ref("Item", $0) })],
            sweeps: sweepSince.map { [.init(owner: Ref("Project", project), field: "tasks", notSyncedSince: $0)] } ?? []
        )
    }

    @Test func aMemberThatMovedLeavesItsOldOwnerWhateverTheOrder() async throws {
        try await store.upsert([EntityInput("Project", id: "p1"), EntityInput("Project", id: "p2")])
        let first = Date(timeIntervalSince1970: 1_000)
        try await store.write(Self.listing("p1", ["a", "b"], sweepSince: nil), at: first)
        try await store.write(Self.listing("p2", ["c"], sweepSince: nil), at: first)

        // The next run: b moved to p2, and p2 happens to be listed before p1.
        let second = Date(timeIntervalSince1970: 2_000)
        try await store.write(Self.listing("p2", ["b", "c"], sweepSince: second), at: second.addingTimeInterval(1))
        try await store.write(Self.listing("p1", ["a"], sweepSince: second), at: second.addingTimeInterval(2))
        #expect(try await members("p1") == ["a"])
        #expect(try await members("p2") == ["b", "c"])
        #expect(try await store.record(Ref("Item", "b")) != nil, "b moved, it was not deleted")
    }

    @Test func membershipsAndDeletionsFromAChangeFeed() async throws {
        try await store.upsert([EntityInput("Project", id: "p1"), EntityInput("Project", id: "p2")])
        try await store.write(Self.listing("p1", ["a", "b"], sweepSince: nil))
        try await store.write(
            EntityWriteBatch(
                upserts: [EntityInput("Item", id: "a", fields: ["title": "moved"])],
                memberships: [.init(member: Ref("Item", "a"), ownerType: "Project", field: "tasks", owners: ["p2"])]))
        #expect(try await members("p1") == ["b"])
        #expect(try await members("p2") == ["a"])

        try await store.write(EntityWriteBatch(deletions: [Ref("Item", "b")]))
        #expect(try await members("p1") == [])
        #expect(try await store.record(Ref("Item", "b")) == nil)
        #expect(try await store.record(Ref("Item", "b"), includeDeleted: true) != nil, "a tombstone stays")
    }

    @Test func anExactSetTombstonesEveryStoredEntityItDoesNotList() async throws {
        try await store.upsert([EntityInput("Project", id: "p1")])
        try await store.write(Self.listing("p1", ["a", "b", "c", "d"], sweepSince: nil))
        var batch = EntityWriteBatch(upserts: [EntityInput("Item", id: "e", fields: ["title": "new"])])
        batch.exactSets = [.init(type: "Item", ids: ["a", "c", "e", "not-stored"])]
        try await store.write(batch)
        #expect(try await members("p1") == ["a", "c"], "b and d left the collection")
        #expect(try await store.record(Ref("Item", "b")) == nil)
        #expect(try await store.record(Ref("Item", "d"), includeDeleted: true) != nil, "a tombstone stays")
        #expect(try await store.record(Ref("Item", "e")) != nil, "listed and upserted in the same batch")
        #expect(try await store.record(Ref("Item", "not-stored"), includeDeleted: true) == nil, "nothing is created")

        // Storing a tombstoned entity again brings it back.
        try await store.upsert([EntityInput("Item", id: "b", fields: ["title": "back"])])
        #expect(try await store.record(Ref("Item", "b")) != nil)
    }

    // MARK: A collection read through its members' ref (Person.items, the inverse of Item.assignee)

    func items(_ person: String) async throws -> [String] {
        let record = try await store.record(Ref("Person", person), selection: try FieldSelection(parsing: "items"))
        guard case .refs(let refs)? = record?["items"] else { return [] }
        return refs.map(\.id).sorted()
    }

    static func assigned(_ person: String, _ items: [String], sweepSince: Date?) -> EntityWriteBatch {
        EntityWriteBatch(
            upserts: items.map {
                EntityInput("Item", id: $0, fields: ["title": .string($0), "assignee": .ref(Ref("Person", person))])
            },
            links: [.init(owner: Ref("Person", person), field: "items", targets: items.map { Ref("Item", $0) })],
            sweeps: sweepSince.map { [.init(owner: Ref("Person", person), field: "items", notSyncedSince: $0)] } ?? [])
    }

    @Test func anInverseCollectionIsReadFromItsMembersRef() async throws {
        try await store.upsert([EntityInput("Person", id: "u1"), EntityInput("Person", id: "u2")])
        let first = Date(timeIntervalSince1970: 1_000)
        try await store.write(Self.assigned("u1", ["a", "b", "c"], sweepSince: nil), at: first)
        try await store.write(Self.assigned("u2", ["d"], sweepSince: nil), at: first)
        #expect(try await items("u1") == ["a", "b", "c"])
        #expect(try await items("u2") == ["d"])
        // Filters through it, as through a collection of links.
        let holders = try await store.page(try Query("Person", filter: #"items = "d""#)).items.map(\.ref.id)
        #expect(holders == ["u2"])
        #expect(try await store.count(try Query("Person", filter: "items IS NULL")) == 0)
        #expect(try await store.count(try Query("Person", filter: #"items.title IN ("a", "d")"#)) == 2)

        // The next run: b moved to u2 (listed first), c was deleted upstream.
        let second = Date(timeIntervalSince1970: 2_000)
        try await store.write(Self.assigned("u2", ["b", "d"], sweepSince: second), at: second.addingTimeInterval(1))
        try await store.write(Self.assigned("u1", ["a"], sweepSince: second), at: second.addingTimeInterval(2))
        #expect(try await items("u1") == ["a"])
        #expect(try await items("u2") == ["b", "d"])
        #expect(try await store.record(Ref("Item", "b")) != nil, "b moved, it was not deleted")
        #expect(try await store.record(Ref("Item", "c")) == nil, "c was not listed again: deleted upstream")

        // A tombstone is no member; a change feed's membership is the member's ref.
        try await store.write(EntityWriteBatch(deletions: [Ref("Item", "d")]))
        try await store.write(
            EntityWriteBatch(
                upserts: [EntityInput("Item", id: "a", fields: ["assignee": .ref(Ref("Person", "u2"))])],
                memberships: [.init(member: Ref("Item", "a"), ownerType: "Person", field: "items", owners: ["u2"])]))
        #expect(try await items("u1") == [])
        #expect(try await items("u2") == ["a", "b"])
        #expect(try await store.count(try Query("Person", filter: "items IS NULL")) == 1)
    }

    @Test func aCollectionThatBecomesInverseDropsItsLinks() async throws {
        let folder = try TemporaryDirectory(prefix: "inverse")
        let file = folder.file("data.db")
        // Before: Person.items kept as links.
        let linked = EntityDef(
            "Person", fields: [.string("name"), .collection("items", of: "Item")])
        let before = Schema(namespace: "sample", entities: [linked, SampleSchema.project, SampleSchema.item])
        do {
            let store = try EntityStore.open(at: file, schema: before)
            try await store.write(
                EntityWriteBatch(
                    upserts: [EntityInput("Person", id: "u1")]
                        + ["a", "b"].map {
                            EntityInput("Item", id: $0, fields: ["assignee": .ref(Ref("Person", "u1"))])
                        },
                    links: [
                        .init(
                            owner: Ref("Person", "u1"), field: "items", targets: [Ref("Item", "a"), Ref("Item", "b")])
                    ]))
        }
        func links() throws -> Int {
            try DatabaseQueue(path: file.path).read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM _max_links WHERE field = 'items'") ?? -1
            }
        }
        #expect(try links() == 2)
        // After: the same field read through Item.assignee; the links go when the store is opened.
        let store = try EntityStore.open(at: file, schema: SampleSchema.schema)
        #expect(try links() == 0)
        let record = try await store.record(Ref("Person", "u1"), selection: try FieldSelection(parsing: "items"))
        #expect(record?["items"] == .refs([Ref("Item", "a"), Ref("Item", "b")]))
    }
}
