import MaxCore
import MaxQuery
import MaxTestSupport
import Testing

struct OrderingTests {
    @Test func parsesKeysAndDirections() throws {
        #expect(
            try Ordering(parsing: "status, priority:DESC ,title:asc").keys == [
                .init("status"), .init("priority", .descending), .init("title", .ascending),
            ])
    }

    @Test(arguments: ["status:sideways", "a,,b", "a:b:c", "", ":desc"])
    func rejectsMalformedOrderings(_ text: String) {
        let error = #expect(throws: MaxError.self) { try Ordering(parsing: text) }
        #expect(error?.code == .invalidOrder)
    }

    @Test func appendsTheIDTieBreakerInTheLastKeysDirection() throws {
        let checked = try Ordering(parsing: "status,priority:desc").checked(against: SampleSchema.item)
        #expect(checked.signature == "status:asc,priority:desc,_id:desc")
        #expect(try Ordering.byID.checked(against: SampleSchema.item).signature == "_id:asc")
        #expect(try Ordering(parsing: "_id:desc,title").checked(against: SampleSchema.item).signature == "_id:desc")
    }

    @Test(arguments: [("nope", MaxError.Code.unknownField), ("tags", .invalidOrder), ("title,title", .invalidOrder)])
    func rejectsFieldsThatCannotOrder(_ text: String, _ code: MaxError.Code) throws {
        let error = #expect(throws: MaxError.self) { try Ordering(parsing: text).checked(against: SampleSchema.item) }
        #expect(error?.code == code)
    }
}

struct FieldSelectionTests {
    let project = SampleSchema.project

    @Test func propsIsIDThenRowFields() throws {
        #expect(
            try FieldSelection.props.resolved(against: project).map(\.name) == ["_id", "name", "owner", "settings"])
    }

    @Test func allAddsCollectionsAndMeta() throws {
        #expect(
            try FieldSelection.all.resolved(against: project).map(\.name) == [
                "_id", "name", "owner", "settings", "tasks", "_synced_at", "_deleted_at",
            ])
    }

    @Test func listsKeepTheirOrderWithoutRepeats() throws {
        let selection = try FieldSelection(parsing: "tasks, name,.meta,name")
        #expect(
            try selection.resolved(against: project).map(\.name) == [
                "tasks", "name", "_id", "_synced_at", "_deleted_at",
            ])
    }

    @Test(arguments: [("name,,owner", MaxError.Code.invalidSelection), (".everything", .invalidSelection)])
    func rejectsMalformedSelections(_ text: String, _ code: MaxError.Code) {
        let error = #expect(throws: MaxError.self) { try FieldSelection(parsing: text) }
        #expect(error?.code == code)
    }

    @Test func rejectsUnknownFields() throws {
        let error = #expect(throws: MaxError.self) {
            try FieldSelection(parsing: "name,color").resolved(against: project)
        }
        #expect(error?.code == .unknownField)
        #expect(error?.hint == "fields of Project: _id, name, owner, settings, tasks, _synced_at, _deleted_at")
    }
}

struct CursorAndQueryTests {
    @Test func cursorsRoundTripAndAreBoundToTheirOrdering() throws {
        let ordering = try Ordering(parsing: "priority:desc").checked(against: SampleSchema.item)
        let cursor = QueryCursor(signature: ordering.signature, keys: [.null, "itm_9"])
        let text = cursor.encoded
        #expect(!text.contains("itm_9"))
        #expect(text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(try QueryCursor(decoding: text, for: ordering) == cursor)

        let other = try Ordering(parsing: "priority").checked(against: SampleSchema.item)
        let error = #expect(throws: MaxError.self) { try QueryCursor(decoding: text, for: other) }
        #expect(error?.code == .invalidCursor)
        #expect(error?.hint == "use the same --order-by as the search that printed the cursor")
    }

    @Test(arguments: ["", "not a cursor", "eyJ2IjoyfQ", "%%%"])
    func rejectsGarbageCursors(_ text: String) throws {
        let ordering = try Ordering.byID.checked(against: SampleSchema.item)
        let error = #expect(throws: MaxError.self) { try QueryCursor(decoding: text, for: ordering) }
        #expect(error?.code == .invalidCursor)
    }

    @Test(arguments: [0, -1, Query.maximumLimit + 1])
    func rejectsLimitsOutOfRange(_ limit: Int) throws {
        let query = try Query("Item", limit: limit)
        let error = #expect(throws: MaxError.self) { try query.checked(against: SampleSchema.schema) }
        #expect(error?.code == .invalidLimit)
    }

    @Test func unknownEntityTypesAreNotFound() throws {
        let error = #expect(throws: MaxError.self) { try Query("Nope").checked(against: SampleSchema.schema) }
        #expect(error?.code == .unknownEntityType)
        #expect(error?.category == .notFound)
    }
}
