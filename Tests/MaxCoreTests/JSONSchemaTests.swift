import MaxCore
import Testing

/// The JSON Schema validator, table-driven: each case is a schema, an instance, and the violations
/// expected (`path: message`, in document order), none when the instance is valid.
struct JSONSchemaTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let schema: String
        let instance: String
        let expected: [String]

        init(_ schema: String, _ instance: String, _ expected: [String]) {
            self.schema = schema
            self.instance = instance
            self.expected = expected
        }

        var testDescription: String { "\(schema) ← \(instance)" }
    }

    static let cases: [Case] = [
        Case(#"{"type":"string"}"#, #""a""#, []),
        Case(#"{"type":"string"}"#, #"3"#, ["/: expected a string, not a number"]),
        Case(#"{"type":"string"}"#, #"null"#, ["/: expected a string, not null"]),
        Case(#"{"type":"integer"}"#, #"3"#, []),
        Case(#"{"type":"integer"}"#, #"3.0"#, []),
        Case(#"{"type":"integer"}"#, #"3.5"#, ["/: expected an integer, not a number"]),
        Case(#"{"type":"number"}"#, #"3.5"#, []),
        Case(#"{"type":"number"}"#, #"3"#, []),
        Case(#"{"type":"number"}"#, #""3""#, ["/: expected a number, not a string"]),
        Case(#"{"type":"boolean"}"#, #"true"#, []),
        Case(#"{"type":"boolean"}"#, #"0"#, ["/: expected a boolean, not a number"]),
        Case(#"{"type":"null"}"#, #"null"#, []),
        Case(#"{"type":"null"}"#, #"false"#, ["/: expected null, not a boolean"]),
        Case(#"{"type":"object"}"#, #"{}"#, []),
        Case(#"{"type":"object"}"#, #"[]"#, ["/: expected an object, not an array"]),
        Case(#"{"type":"array"}"#, #"[]"#, []),
        Case(#"{"type":"array"}"#, #"{}"#, ["/: expected an array, not an object"]),
        Case(#"{"type":["string","null"]}"#, #"null"#, []),
        Case(#"{"type":["string","null"]}"#, #""x""#, []),
        Case(#"{"type":["string","null"]}"#, #"1"#, ["/: expected a string or null, not a number"]),
        Case(#"{}"#, #"{"anything":[1,2]}"#, []),
        Case(#"true"#, #"1"#, []),
        Case(#"false"#, #"1"#, ["/: is not allowed"]),
        Case(#"{"type":"object","properties":{"title":{"type":"string"}}}"#, #"{"title":"x"}"#, []),
        Case(
            #"{"type":"object","properties":{"title":{"type":"string"}}}"#, #"{"title":1}"#,
            ["/title: expected a string, not a number"]),
        Case(#"{"type":"object","properties":{"title":{"type":"string"}}}"#, #"{}"#, []),
        Case(#"{"type":"object","required":["title"]}"#, #"{}"#, ["/title: is required"]),
        Case(#"{"type":"object","required":["a","b"]}"#, #"{"a":1}"#, ["/b: is required"]),
        Case(#"{"type":"object","required":["a","b"]}"#, #"{}"#, ["/a: is required", "/b: is required"]),
        Case(#"{"type":"object","required":["title"]}"#, #"{"title":null}"#, []),
        Case(#"{"type":"object","additionalProperties":false,"properties":{"a":{}}}"#, #"{"a":1}"#, []),
        Case(
            #"{"type":"object","additionalProperties":false,"properties":{"a":{}}}"#, #"{"a":1,"b":2}"#,
            ["/b: is not an allowed property"]),
        Case(#"{"type":"object","additionalProperties":{"type":"integer"}}"#, #"{"x":1,"y":2}"#, []),
        Case(
            #"{"type":"object","additionalProperties":{"type":"integer"}}"#, #"{"x":1,"y":"2"}"#,
            ["/y: expected an integer, not a string"]),
        Case(#"{"type":"object","additionalProperties":true}"#, #"{"x":1}"#, []),
        Case(#"{"properties":{"a/b":{"type":"string"}}}"#, #"{"a/b":1}"#, ["/a~1b: expected a string, not a number"]),
        Case(#"{"properties":{"a~b":{"type":"string"}}}"#, #"{"a~b":1}"#, ["/a~0b: expected a string, not a number"]),
        Case(#"{"properties":{"a":{"type":"string"}}}"#, #""not an object""#, []),
        Case(#"{"required":["a"]}"#, #"[1]"#, []),
        Case(
            #"{"type":"object","properties":{"tasks":{"type":"array","items":{"type":"object","required":["title"],"properties":{"title":{"type":"string"}}}}}}"#,
            #"{"tasks":[{"title":"a"},{"title":2}]}"#, ["/tasks/1/title: expected a string, not a number"]),
        Case(
            #"{"type":"object","properties":{"tasks":{"type":"array","items":{"type":"object","required":["title"],"properties":{"title":{"type":"string"}}}}}}"#,
            #"{"tasks":[{"title":3}]}"#, ["/tasks/0/title: expected a string, not a number"]),
        Case(
            #"{"type":"object","properties":{"tasks":{"type":"array","items":{"type":"object","required":["title"]}}}}"#,
            #"{"tasks":[{}]}"#, ["/tasks/0/title: is required"]),
        Case(
            #"{"properties":{"a":{"properties":{"b":{"properties":{"c":{"type":"integer"}}}}}}}"#,
            #"{"a":{"b":{"c":"x"}}}"#, ["/a/b/c: expected an integer, not a string"]),
        Case(
            #"{"properties":{"a":{"properties":{"b":{"properties":{"c":{"type":"integer"}}}}}}}"#,
            #"{"a":{"b":{"c":7}}}"#, []),
        Case(#"{"enum":["todo","done"]}"#, #""todo""#, []),
        Case(#"{"enum":["todo","done"]}"#, #""doing""#, ["/: must be one of \"todo\", \"done\""]),
        Case(#"{"enum":[1,2,3]}"#, #"2"#, []),
        Case(#"{"enum":[1,2,3]}"#, #"2.0"#, []),
        Case(#"{"enum":[1,2,3]}"#, #"4"#, ["/: must be one of 1, 2, 3"]),
        Case(#"{"enum":[null,"x"]}"#, #"null"#, []),
        Case(#"{"enum":[[1,2]]}"#, #"[1,2]"#, []),
        Case(#"{"enum":[[1,2]]}"#, #"[2,1]"#, ["/: must be one of [1,2]"]),
        Case(#"{"enum":[{"a":1}]}"#, #"{"a":1.0}"#, []),
        Case(#"{"const":"v1"}"#, #""v1""#, []),
        Case(#"{"const":"v1"}"#, #""v2""#, ["/: must be \"v1\""]),
        Case(#"{"const":0}"#, #"false"#, ["/: must be 0"]),
        Case(#"{"const":null}"#, #"null"#, []),
        Case(#"{"minimum":1}"#, #"1"#, []),
        Case(#"{"minimum":1}"#, #"0"#, ["/: must be at least 1"]),
        Case(#"{"maximum":5}"#, #"5"#, []),
        Case(#"{"maximum":5}"#, #"5.5"#, ["/: must be at most 5"]),
        Case(#"{"exclusiveMinimum":0}"#, #"0"#, ["/: must be greater than 0"]),
        Case(#"{"exclusiveMinimum":0}"#, #"0.1"#, []),
        Case(#"{"exclusiveMaximum":10}"#, #"10"#, ["/: must be less than 10"]),
        Case(#"{"exclusiveMaximum":10}"#, #"9"#, []),
        Case(#"{"minimum":1,"maximum":5}"#, #""9""#, []),
        Case(#"{"type":"integer","minimum":1,"maximum":5}"#, #"9"#, ["/: must be at most 5"]),
        Case(#"{"minimum":1.5}"#, #"1"#, ["/: must be at least 1.5"]),
        Case(#"{"minimum":0}"#, #"true"#, []),
        Case(#"{"minLength":1}"#, #""""#, ["/: must be at least 1 character long"]),
        Case(#"{"minLength":1}"#, #""a""#, []),
        Case(#"{"maxLength":3}"#, #""abcd""#, ["/: must be at most 3 characters long"]),
        Case(#"{"maxLength":3}"#, #""abc""#, []),
        Case(#"{"maxLength":2}"#, #""éé""#, []),
        Case(#"{"maxLength":1}"#, #""👍""#, []),
        Case(#"{"minLength":2}"#, #""👍""#, ["/: must be at least 2 characters long"]),
        Case(#"{"pattern":"^ws_[0-9a-f]+$"}"#, #""ws_12ab""#, []),
        Case(#"{"pattern":"^ws_[0-9a-f]+$"}"#, #""ws_XYZ""#, ["/: must match the pattern ^ws_[0-9a-f]+$"]),
        Case(#"{"pattern":"b"}"#, #""abc""#, []),
        Case(#"{"pattern":"^b"}"#, #""abc""#, ["/: must match the pattern ^b"]),
        Case(#"{"minLength":3}"#, #"12"#, []),
        Case(#"{"format":"date-time"}"#, #""2026-11-24T09:30:00Z""#, []),
        Case(#"{"format":"date-time"}"#, #""2026-11-24T09:30:00.123+01:00""#, []),
        Case(#"{"format":"date-time"}"#, #""2026-11-24t09:30:00z""#, []),
        Case(
            #"{"format":"date-time"}"#, #""2026-11-24""#,
            ["/: must be a date-time such as 2026-11-24T09:30:00Z (RFC 3339)"]),
        Case(
            #"{"format":"date-time"}"#, #""2026-13-01T00:00:00Z""#,
            ["/: must be a date-time such as 2026-11-24T09:30:00Z (RFC 3339)"]),
        Case(
            #"{"format":"date-time"}"#, #""2026-02-29T00:00:00Z""#,
            ["/: must be a date-time such as 2026-11-24T09:30:00Z (RFC 3339)"]),
        Case(#"{"format":"date-time"}"#, #""2024-02-29T00:00:00Z""#, []),
        Case(
            #"{"format":"date-time"}"#, #""2026-11-24T24:00:00Z""#,
            ["/: must be a date-time such as 2026-11-24T09:30:00Z (RFC 3339)"]),
        Case(
            #"{"format":"date-time"}"#, #""2026-11-24T09:30:00""#,
            ["/: must be a date-time such as 2026-11-24T09:30:00Z (RFC 3339)"]),
        Case(#"{"format":"email"}"#, #""ada@acme.example""#, []),
        Case(#"{"format":"email"}"#, #""ada@acme""#, ["/: must be an email address"]),
        Case(#"{"format":"email"}"#, #""ada acme@x.io""#, ["/: must be an email address"]),
        Case(#"{"format":"email"}"#, #""@x.io""#, ["/: must be an email address"]),
        Case(#"{"format":"uri"}"#, #""https://example.com/x?y=1""#, []),
        Case(#"{"format":"uri"}"#, #""mailto:ada@acme.example""#, []),
        Case(#"{"format":"uri"}"#, #""/relative/path""#, ["/: must be an absolute URI such as https://example.com/x"]),
        Case(
            #"{"format":"uri"}"#, #""http://exa mple.com""#,
            ["/: must be an absolute URI such as https://example.com/x"]),
        Case(#"{"format":"uri"}"#, #"5"#, []),
        Case(#"{"items":{"type":"string"}}"#, #"["a","b"]"#, []),
        Case(
            #"{"items":{"type":"string"}}"#, #"["a",1,"c",2]"#,
            ["/1: expected a string, not a number", "/3: expected a string, not a number"]),
        Case(#"{"minItems":1}"#, #"[]"#, ["/: must have at least 1 item"]),
        Case(#"{"maxItems":2}"#, #"[1,2,3]"#, ["/: must have at most 2 items"]),
        Case(#"{"maxItems":2}"#, #"[1,2]"#, []),
        Case(#"{"items":{"enum":["a","b"]}}"#, #"["a","c"]"#, ["/1: must be one of \"a\", \"b\""]),
        Case(#"{"items":false}"#, #"[]"#, []),
        Case(#"{"items":false}"#, #"[1]"#, ["/0: is not allowed"]),
        Case(#"{"anyOf":[{"type":"string"},{"type":"integer"}]}"#, #""a""#, []),
        Case(#"{"anyOf":[{"type":"string"},{"type":"integer"}]}"#, #"1"#, []),
        Case(
            #"{"anyOf":[{"type":"string"},{"type":"integer"}]}"#, #"1.5"#,
            ["/: does not match any of the 2 allowed shapes"]),
        Case(#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#, #""a""#, []),
        Case(
            #"{"oneOf":[{"type":"number"},{"type":"integer"}]}"#, #"1"#,
            ["/: matches 2 of the allowed shapes, where exactly one must match"]),
        Case(#"{"oneOf":[{"type":"number"},{"type":"integer"}]}"#, #"1.5"#, []),
        Case(
            #"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#, #"null"#,
            ["/: does not match any of the 2 allowed shapes"]),
        Case(#"{"oneOf":[{"type":"string","minLength":2}]}"#, #""a""#, ["/: must be at least 2 characters long"]),
        Case(
            #"{"properties":{"due":{"anyOf":[{"type":"null"},{"type":"string","format":"date-time"}]}}}"#,
            #"{"due":null}"#, []),
        Case(
            #"{"properties":{"due":{"anyOf":[{"type":"null"},{"type":"string","format":"date-time"}]}}}"#,
            #"{"due":"tomorrow"}"#, ["/due: does not match any of the 2 allowed shapes"]),
        Case(#"{"oneOf":[{"required":["id"]},{"required":["title"]}]}"#, #"{"id":"x"}"#, []),
        Case(
            #"{"oneOf":[{"required":["id"]},{"required":["title"]}]}"#, #"{"id":"x","title":"y"}"#,
            ["/: matches 2 of the allowed shapes, where exactly one must match"]),
        Case(
            #"{"title":"T","description":"d","default":1,"examples":[1],"$schema":"https://json-schema.org/draft/2020-12/schema","type":"integer"}"#,
            #"1"#, []),
        Case(#"{"description":"x","type":"integer"}"#, #""1""#, ["/: expected an integer, not a string"]),
        Case(
            #"{"type":"object","required":["title","projectId"],"properties":{"title":{"type":"string","minLength":1},"priority":{"enum":["high","low"]}},"additionalProperties":false}"#,
            #"{"title":"","priority":"urgent","extra":1}"#,
            [
                "/projectId: is required", "/extra: is not an allowed property",
                "/priority: must be one of \"high\", \"low\"", "/title: must be at least 1 character long",
            ]),
    ]

    @Test(arguments: cases)
    func validates(_ example: Case) throws {
        let schema = try JSONSchema(try JSONValue(parsing: example.schema))
        let violations = schema.validate(try JSONValue(parsing: example.instance)).map(\.description)
        #expect(violations == example.expected)
    }

    @Test func theTableIsLargeAndBalanced() {
        #expect(Self.cases.count >= 100)
        #expect(Self.cases.filter(\.expected.isEmpty).count >= 40)
        #expect(Self.cases.filter { !$0.expected.isEmpty }.count >= 40)
    }

    @Test(arguments: [
        (#"{"type":"text"}"#, "/type"),
        (#"{"properties":{"a":{"minLength":-1}}}"#, "/properties/a/minLength"),
        (#"{"pattern":"("}"#, "/pattern"),
        (#"{"requierd":["a"]}"#, "/requierd"),
        (#"{"enum":[]}"#, "/enum"),
        (#"{"format":"hostname"}"#, "/format"),
        (#"{"oneOf":[{"type":"string"},3]}"#, "/oneOf/1"),
        (#"{"items":{"type":["string",1]}}"#, "/items/type"),
        (#"{"required":"a"}"#, "/required"),
        (#"{"minimum":"1"}"#, "/minimum"),
        (#"[]"#, ""),
    ])
    func malformedSchemasAreRefusedWithTheirPath(_ text: String, _ path: String) throws {
        let error = try #require(throws: MaxError.self) { try JSONSchema(try JSONValue(parsing: text)) }
        #expect(error.code == .invalidJSONSchema)
        #expect(error.context["path"] == path, "\(error.message)")
    }

    @Test func violationsStopAtTheLimit() throws {
        let schema = try JSONSchema(["items": ["type": "string"]])
        let instance = JSONValue.array(Array(repeating: .int(1), count: 50))
        #expect(schema.validate(instance).count == 20)
        #expect(schema.validate(instance, limit: 3).count == 3)
    }
}
