import Foundation
import MaxCore
import Testing

@testable import AcmeConnector

/// Acme objects are read straight into entity inputs, strictly.
struct AcmeEntityShapeTests {
    private let file =
        #"{"id":"fil_1","projectId":"prj_1","name":"a.pdf","mimeType":"application/pdf","sizeBytes":12,"createdById":"usr_1","lastModifiedById":"usr_2","createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"not a date""#

    @Test func readsEveryFieldAndSkipsKeysItDoesNotKnow() throws {
        var reader = JSONReader(file + #","etag":{"v":[1]}}"#)
        let input = try AcmeEntityShape.file.read(&reader)
        #expect(input.ref == Ref("AcmeFile", "fil_1"))
        #expect(input["project"] == .ref(Ref("AcmeProject", "prj_1")))
        #expect(input["sizeBytes"] == .int(12))
        #expect(input["createdAt"] == .date(ISO8601.parse("2026-01-01T00:00:00Z")!))
        #expect(input["updatedAt"] == .null)  // unreadable dates are stored as null, not fatal
        #expect(input.fields.count == 8)
    }

    @Test(arguments: [
        (
            #"{"id":"fil_1","name":"a.pdf"}"#,
            "lacks 'createdAt', 'createdById', 'lastModifiedById', 'mimeType', 'projectId', 'sizeBytes'"
        ),
        (#"{"name":"a.pdf"}"#, "a AcmeFile without an id"),
    ])
    func aMissingKeyFailsThePageNamingIt(_ text: String, _ message: String) {
        var reader = JSONReader(text)
        let failure = #expect(throws: JSONReader.Failure.self) { try AcmeEntityShape.file.read(&reader) }
        #expect(failure?.message.contains(message) == true, "\(String(describing: failure))")
    }

    @Test func nullIsAcceptedOnlyWhereTheAPISaysSo() throws {
        var nullable = JSONReader(
            #"{"id":"tsk_1","projectId":"p","title":"t","description":null,"status":"todo","priority":"low","assigneeId":null,"createdById":"u","lastModifiedById":"u","dueDate":null,"tags":[],"completedAt":null,"createdAt":"2026-01-01","updatedAt":"2026-01-01"}"#
        )
        let task = try AcmeEntityShape.task.read(&nullable)
        #expect(task["assignee"] == .null && task["description"] == .null)
        var required = JSONReader(file.replacingOccurrences(of: #""name":"a.pdf""#, with: #""name":null"#) + "}")
        #expect(throws: JSONReader.Failure.self) { try AcmeEntityShape.file.read(&required) }
    }
}
