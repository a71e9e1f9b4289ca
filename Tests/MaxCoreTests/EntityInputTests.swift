import MaxCore
import Testing

/// `EntityInput` keeps its fields as a short list; it must still behave as a map of name to value.
struct EntityInputTests {
    @Test func theSubscriptSetsReplacesAndRemovesEachNameOnce() {
        var input = EntityInput(Ref("Item", "i1"))
        input["title"] = "first"
        input["status"] = "todo"
        input["title"] = "second"
        #expect(input.count == 2)
        #expect(input["title"] == "second")
        input["status"] = nil
        #expect(input.count == 1 && input["status"] == nil)
        #expect(input.fields == ["title": "second"])
    }

    @Test func equalityAndHashingIgnoreTheOrderFieldsWereSet() {
        var a = EntityInput(Ref("Item", "i1"))
        a["x"] = 1
        a["y"] = 2
        let b = EntityInput(Ref("Item", "i1"), values: [("y", 2), ("x", 1)])
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
        #expect(a != EntityInput(Ref("Item", "i1"), fields: ["x": 1]))
        #expect(a != EntityInput(Ref("Item", "i2"), fields: ["x": 1, "y": 2]))
    }

    @Test func mergeOverridesAndAddsAndFieldsRoundTrip() {
        var base = EntityInput(Ref("Item", "i1"), fields: ["title": "t", "status": "todo"])
        base.merge(EntityInput(Ref("Item", "i1"), fields: ["status": "done", "priority": 3]))
        #expect(base.fields == ["title": "t", "status": "done", "priority": 3])
        base.fields["title"] = nil
        #expect(base.fields == ["status": "done", "priority": 3])
        #expect(base.count == 2)
    }
}
