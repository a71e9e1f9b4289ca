import Foundation
import MaxConnector
import MaxCore
import MaxTestSupport
import Testing

/// The connector protocol's JSON: what a connector in another language writes is read back typed
/// by the schema, and what does not fit is a clear `connector.protocol` error.
struct WireFormatTests {
    @Test func aSchemaSurvivesTheWire() throws {
        let schema = SampleSchema.schema
        #expect(try WireFormat.schema(WireFormat.json(schema)) == schema)
    }

    @Test func entitiesAreTypedByTheSchema() throws {
        let schema = try WireFormat.schema([
            "namespace": "t", "roots": [],
            "entities": [
                [
                    "name": "Item",
                    "fields": [
                        ["name": "when", "type": "date"], ["name": "owner", "type": "ref<User>"],
                        ["name": "tags", "type": "collection<Tag>"], ["name": "score", "type": "double"],
                    ],
                ],
                ["name": "User", "fields": []], ["name": "Tag", "fields": []],
            ],
        ])
        let input = try WireFormat.entity(
            [
                "type": "Item", "id": "i1",
                "fields": ["when": "2026-01-02T03:04:05Z", "owner": "u1", "tags": ["a", "b"], "score": 3],
            ], schema: schema)
        #expect(input["when"] == .date(try #require(ISO8601.parse("2026-01-02T03:04:05Z"))))
        #expect(input["owner"] == .ref(Ref("User", "u1")))
        #expect(input["tags"] == .refs([Ref("Tag", "a"), Ref("Tag", "b")]))
        #expect(input["score"] == .double(3))
        #expect(try WireFormat.entity(WireFormat.json(input), schema: schema) == input)
    }

    @Test(arguments: [
        (#"{"type": "Nope", "id": "1", "fields": {}}"#, "Nope is not in the connector's schema"),
        (#"{"type": "Item", "id": "1", "fields": {"ghost": 1}}"#, "Item has no field \"ghost\""),
        (#"{"type": "Item", "id": "1", "fields": {"when": "yesterday"}}"#, "Item.when is not an ISO-8601 date"),
        (#"{"type": "Item", "fields": {}}"#, "a ref needs \"type\" and \"id\""),
    ])
    func whatDoesNotFitIsAProtocolError(json: String, message: String) throws {
        let schema = try WireFormat.schema([
            "namespace": "t", "entities": [["name": "Item", "fields": [["name": "when", "type": "date"]]]],
        ])
        do {
            _ = try WireFormat.entity(try JSONValue(parsing: json), schema: schema)
            Issue.record("accepted \(json)")
        } catch let error as MaxError {
            #expect(error.code == .connectorProtocol)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func plansAndChangesSurviveTheWire() throws {
        let plan = SyncPlan([
            .forRoot(Ref("Root", "r"), .loadCollection("items")),
            .concurrent([.forAll("Item", .loadFields(["a", "b"])), .forAll("User", .loadCollection("tags"))]),
        ])
        #expect(try WireFormat.plan(WireFormat.json(plan)) == plan)
        let schema = try WireFormat.schema([
            "namespace": "t", "entities": [["name": "Item", "fields": [["name": "a", "type": "string"]]]],
        ])
        let changes: [Change] = [
            .upsert(
                EntityInput("Item", id: "1", fields: ["a": "x"]), memberships: [.init("Root", "items", owners: ["r"])]),
            .delete(Ref("Item", "2")),
            .exactly("Item", ids: ["1", "3"]),
        ]
        #expect(try changes.map { try WireFormat.change(WireFormat.json($0), schema: schema) } == changes)
    }
}

/// The protocol's methods, named once, are the ones its documentation lists, in the right table.
struct ConnectorMethodTests {
    @Test func theDocumentationListsEveryMethodInItsDirection() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/connector-protocol.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let toMax = try #require(text.range(of: "## Methods the connector calls"))
        for method in ConnectorMethod.allCases {
            let row = try #require(
                text.range(of: "| `\(method.rawValue)` |") ?? text.range(of: "### `\(method.rawValue)`"),
                "\(method.rawValue) is documented")
            #expect((row.lowerBound > toMax.lowerBound) == (method.direction == .toMax), "\(method.rawValue)")
        }
    }
}
