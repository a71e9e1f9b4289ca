import Foundation
import MaxCore
import Testing

struct MaxErrorTests {
    @Test func codesCompareByDottedName() {
        let code = MaxError.Code(domain: "search", name: "invalid_filter", category: .validationError)
        #expect(code.description == "search.invalid_filter")
        #expect(code == MaxError.Code(domain: "search", name: "invalid_filter", category: .internal))
    }

    @Test func descriptionShowsExcerptHintAndCauseChain() {
        let inner = MaxError(.invalidJSON, "inner problem")
        let error = MaxError(
            .invalidSchema, "expected a value at column 5", hint: "try again",
            context: [MaxError.ContextKey.expression: "a >= ", MaxError.ContextKey.column: "5"], cause: inner)
        #expect(
            error.description == """
                schema.invalid: expected a value at column 5
                  a >= 
                      ^
                hint: try again
                └─ caused by core.invalid_json: inner problem
                """)
    }

    @Test func roundTripsThroughJSONWithoutItsCause() throws {
        let error = MaxError(
            .unknownEntityType, "no such type", hint: "see max schema", context: ["entityType": "X"],
            cause: MaxError(.internalError, "deep"))
        let decoded = try JSONDecoder().decode(MaxError.self, from: JSONEncoder().encode(error))
        #expect(decoded.code == .unknownEntityType)
        #expect(decoded.category == .notFound)
        #expect(decoded.message == "no such type")
        #expect(decoded.hint == "see max schema")
        #expect(decoded.context == ["entityType": "X"])
        // The cause stays in the process that threw: it may hold a library's internals.
        #expect(decoded.cause == nil)
        #expect(try JSONValue(parsing: String(decoding: JSONEncoder().encode(error), as: UTF8.self)) == error.json)
        #expect(MaxError(answer: error.answer)?.code == .unknownEntityType)
    }

    @Test(arguments: [#"{"code":"nodots","message":"m"}"#, #"{"message":"m"}"#, #"{"code":"a.b"}"#, "[1]"])
    func malformedErrorsDoNotDecode(_ text: String) throws {
        #expect(MaxError(answer: try JSONValue(parsing: text)) == nil)
    }

    @Test func onlyTransientErrorsAreRetryable() {
        #expect(MaxError.Category.allCases.filter(\.isRetryable) == [.transient])
    }

    @Test func secretsNeverPrint() {
        let canary = "canary-\(UUID().uuidString)"
        let secret = Secret(canary)
        var dumped = ""
        dump(secret, to: &dumped)
        let renderings = [
            "\(secret)", String(describing: secret), String(reflecting: secret), dumped, "\([secret])",
            "\(Optional(secret) as Any)",
        ]
        for rendering in renderings {
            #expect(!rendering.contains(canary), "leaked in \(rendering)")
        }
        #expect(secret.revealed == canary)
    }
}
