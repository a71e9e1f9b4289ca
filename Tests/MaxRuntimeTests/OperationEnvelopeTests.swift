import MaxCore
import Testing

@testable import MaxRuntime

/// Redaction and the size cap of operation results.
struct OperationEnvelopeTests {
    @Test func redactionReplacesTheNamedValuesAndSaysWhich() {
        let data: JSONValue = [
            "secret": "whsec_x", "id": "wh_1",
            "members": [["email": "a@x.io", "name": "A"], ["email": "b@x.io", "name": "B"]],
        ]
        let (redacted, applied) = OperationEnvelope.redact(data, ["/secret", "/members/*/email", "/absent"])
        #expect(redacted["secret"] == "[redacted]")
        #expect(redacted["id"] == "wh_1")
        #expect(redacted["members"]?.arrayValue?.map { $0["email"] } == ["[redacted]", "[redacted]"])
        #expect(redacted["members"]?.arrayValue?.first?["name"] == "A")
        #expect(applied == ["/secret", "/members/0/email", "/members/1/email"])
        #expect(!redacted.jsonText.contains("whsec_x"))
    }

    @Test func largeResultsAreCutAndSaySo() {
        let items = JSONValue.array((0..<100).map { .string(String(repeating: "x", count: 10) + "\($0)") })
        let (cut, truncated) = OperationEnvelope.truncate(items, to: 200)
        #expect(truncated)
        #expect(cut.jsonText.utf8.count <= 200)
        #expect((cut.arrayValue?.count ?? 0) > 5)
        let (object, objectCut) = OperationEnvelope.truncate(
            ["text": .string(String(repeating: "y", count: 500))], to: 100)
        #expect(objectCut && object == .null)
        let (small, smallCut) = OperationEnvelope.truncate(["a": 1], to: 100)
        #expect(!smallCut && small == ["a": 1])
    }
}
