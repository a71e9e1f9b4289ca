import Foundation
import MaxCore
import MaxQuery
import MaxTestSupport
import Testing

struct FilterCheckerTests {
    let item = SampleSchema.item

    private func check(_ expression: String, on entity: EntityDef? = nil) throws -> CheckedFilter {
        try Filter(parsing: expression).checked(against: entity ?? item, expression: expression)
    }

    @Test func convertsValuesToTheFieldsTypes() throws {
        let title = try #require(item.field(named: "title"))
        let estimate = try #require(item.field(named: "estimate"))
        let due = try #require(item.field(named: "dueDate"))
        let assignee = try #require(item.field(named: "assignee"))
        #expect(try check(#"title = "x""#) == .compare(title, .equal, "x"))
        #expect(try check("estimate > 1") == .compare(estimate, .greater, .double(1)))
        #expect(
            try check(#"dueDate >= "2026-01-31""#)
                == .compare(due, .greaterOrEqual, .date(Date(timeIntervalSince1970: 1_769_817_600))))
        #expect(try check(#"assignee = "per_1""#) == .compare(assignee, .equal, .ref(Ref("Person", "per_1"))))
        #expect(try check(#"_id = "itm_1""#) == .compare(MetaField.id.field, .equal, "itm_1"))
        #expect(try check("_deleted_at IS NOT NULL") == .isNotNull(MetaField.deletedAt.field))
        #expect(
            try check(#"tags ~= "urgent""#) == .compare(try #require(item.field(named: "tags")), .contains, "urgent"))
        let tasks = try #require(SampleSchema.project.field(named: "tasks"))
        #expect(
            try check(#"tasks = "itm_1""#, on: SampleSchema.project)
                == .compare(tasks, .equal, .ref(Ref("Item", "itm_1"))))
        #expect(try check("tasks IS NULL", on: SampleSchema.project) == .isNull(tasks))
    }

    @Test func unknownFieldsListTheValidOnes() throws {
        let error = try #require(throws: MaxError.self) { try check(#"stauts = "x""#) }
        #expect(error.code == .unknownField)
        #expect(error.message == "Item has no field 'stauts' at column 1")
        #expect(
            error.hint
                == "fields of Item: _id, title, status, priority, estimate, done, dueDate, tags, assignee, project, _synced_at, _deleted_at"
        )
        let caseSlip = try #require(throws: MaxError.self) { try check(#"done = true AND Status = "x""#) }
        #expect(caseSlip.hint == "did you mean 'status'? (field names are case-sensitive)")
        #expect(caseSlip.context[MaxError.ContextKey.column] == "17")
    }

    @Test(arguments: [
        (#"priority > "high""#, "'priority' is a int field and cannot be compared with a string"),
        ("title = 3", "'title' is a string field and cannot be compared with a number"),
        (#"done = "yes""#, "'done' is a bool field"),
        ("done > true", "'>' cannot be used on 'done', a bool field"),
        (#"dueDate > "tomorrow""#, "'dueDate' is a date field"),
        ("dueDate > 3", "'dueDate' is a date field"),
        (#"tags = "x""#, "'=' cannot be used on 'tags', a json field"),
        (#"tags IN ("x")"#, "IN cannot be used on 'tags', a json field"),
        (#"priority ~= "1""#, "'~=' cannot be used on 'priority', a int field"),
        ("title ~= 3", "'title' is a string field and cannot be compared with a number"),
        ("assignee = 3", "'assignee' is a ref<Person> field"),
        ("estimate = true", "'estimate' is a double field"),
        (#"priority IN (1, "2")"#, "'priority' is a int field and cannot be compared with a string"),
    ])
    func rejectsValuesOfTheWrongType(_ expression: String, _ message: String) throws {
        let error = try #require(throws: MaxError.self) { try check(expression) }
        #expect(error.code == .typeMismatch)
        #expect(error.message.contains(message), "\(error.message)")
        #expect(error.hint != nil)
    }

    @Test func collectionsSupportMembershipOnly() throws {
        let error = try #require(throws: MaxError.self) { try check(#"tasks > "x""#, on: SampleSchema.project) }
        #expect(error.code == .typeMismatch)
        #expect(
            error.hint == "collection<Item> fields support = (has member), != (lacks member), IN and IS NULL (empty)")
    }
}
