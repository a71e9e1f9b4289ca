import Foundation
import MaxCore
import MaxTestSupport
import Testing

struct SchemaTests {
    @Test func sampleSchemaIsValid() throws {
        try SampleSchema.schema.validate()
    }

    @Test func derivesRelationshipsWithCardinality() {
        let relationships = SampleSchema.schema.relationships.map(\.description)
        #expect(
            relationships == [
                "Person.items -> Item (many)",
                "Project.owner -> Person (one)",
                "Project.tasks -> Item (many)",
                "Item.assignee -> Person (one)",
                "Item.project -> Project (one)",
            ])
    }

    @Test(arguments: [("assignee", true), ("project", false), ("title", false), ("nope", false)])
    func aCollectionsInverseIsARefOfItsMembersBackToItsOwner(inverse: String, valid: Bool) {
        let person = EntityDef("Person", fields: [.collection("items", of: "Item", inverse: inverse)])
        let schema = Schema(namespace: "s", entities: [person, SampleSchema.project, SampleSchema.item])
        if valid {
            #expect(throws: Never.self) { try schema.validate() }
        } else {
            let error = try? #require(throws: MaxError.self) { try schema.validate() }
            #expect(error?.message.contains("names '\(inverse)' as its inverse") == true)
        }
    }

    @Test func findsDefinitionsAndListsTypes() throws {
        let schema = SampleSchema.schema
        #expect(schema.entityTypes == ["Person", "Project", "Item"])
        #expect(schema.definition(named: "Item")?.fields.count == 9)
        #expect(schema.definition(named: "Nope") == nil)
        let error = try #require(throws: MaxError.self) { try schema.requireDefinition(of: "Nope") }
        #expect(error.code == .unknownEntityType)
        #expect(error.hint == "entity types: Person, Project, Item")
    }

    @Test func rootsAreEntities() {
        let root = EntityDef("Root", fields: [.collection("people", of: "Person")])
        let schema = Schema(namespace: "sample", entities: [SampleSchema.person], roots: [root])
        #expect(schema.entityTypes == ["Person", "Root"])
        #expect(schema.roots == ["Root"])
    }

    @Test(arguments: [
        (Schema(namespace: "Bad Name", entities: []), "namespace 'Bad Name'"),
        (Schema(namespace: "s", entities: [EntityDef("1Type", fields: [])]), "'1Type' is not an identifier"),
        (Schema(namespace: "s", entities: [EntityDef("A", fields: []), EntityDef("A", fields: [])]), "declared twice"),
        (Schema(namespace: "s", entities: [EntityDef("A", fields: [.string("_id")])]), "does not start with '_'"),
        (
            Schema(namespace: "s", entities: [EntityDef("A", fields: [.string("x"), .int("X")])]),
            "'A.X' is declared twice"
        ),
        (Schema(namespace: "s", entities: [EntityDef("A", fields: [.ref("b", to: "B")])]), "points at 'B'"),
        (Schema(namespace: "s", entities: [EntityDef("A", fields: [.string("x")], indexes: [["y"]])]), "names 'y'"),
        (Schema(namespace: "s", entities: [EntityDef("_max_x", fields: [])]), "reserved prefix"),
        (Schema(namespace: "s", entities: [EntityDef("A", fields: [.string("a-b")])]), "'A.a-b' must be an identifier"),
    ])
    func rejectsInvalidSchemas(_ schema: Schema, _ problem: String) throws {
        let error = try #require(throws: MaxError.self) { try schema.validate() }
        #expect(error.code == .invalidSchema)
        #expect(error.message.contains(problem), "\(error.message)")
    }

    @Test func schemaRoundTripsThroughJSON() throws {
        let data = try JSONEncoder().encode(SampleSchema.schema)
        #expect(try JSONDecoder().decode(Schema.self, from: data) == SampleSchema.schema)
    }
}

@Suite struct SchemaChangesTests {
    private let before = Schema(
        namespace: "db",
        entities: [
            EntityDef("orders", fields: [.int("amount"), .string("note"), .date("placed")]),
            EntityDef("old_table", fields: [.string("x")]),
        ])

    @Test func nothingChangedIsEmpty() {
        #expect(SchemaChanges(from: before, to: before).isEmpty)
        #expect(SchemaChanges(from: before, to: before).notes.isEmpty)
    }

    @Test func addedDroppedAndRetypedFieldsAreNamed() {
        let after = Schema(
            namespace: "db",
            entities: [
                EntityDef("orders", fields: [.string("amount"), .date("placed"), .bool("paid"), .json("tags")]),
                EntityDef("customers", fields: [.string("name")]),
            ])
        let changes = SchemaChanges(from: before, to: after)
        #expect(changes.addedTypes == ["customers"])
        #expect(changes.removedTypes == ["old_table"])
        #expect(changes.added.map(\.field) == ["paid", "tags"])
        #expect(changes.removed.map(\.field) == ["note"])
        #expect(changes.retyped.map(\.field) == ["amount"])
        #expect(
            changes.notes == [
                "new entity types: customers", "entity types no longer at the source (kept as synced): old_table",
                "orders: new fields paid, tags", "orders: dropped field note", "orders.amount: int became string",
            ])
    }
}
