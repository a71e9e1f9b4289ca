import Foundation
import MaxCore
import Testing

struct ValueTests {
    @Test func jsonValueKeepsIntegersApartFromDoubles() throws {
        let value = try JSONValue(parsing: #"{"a": 1, "b": 1.5, "c": [true, null, "x"], "d": {"e": -2}}"#)
        #expect(value["a"] == .int(1))
        #expect(value["b"] == .double(1.5))
        #expect(value["c"] == [true, nil, "x"])
        #expect(value["d"]?["e"]?.intValue == -2)
        #expect(value.jsonText == #"{"a":1,"b":1.5,"c":[true,null,"x"],"d":{"e":-2}}"#)
        #expect(try JSONValue(parsing: value.jsonText) == value)
    }

    @Test func invalidJSONIsAMaxError() {
        let error = #expect(throws: MaxError.self) { try JSONValue(parsing: "{nope") }
        #expect(error?.code == .invalidJSON)
    }

    @Test func fieldValuesFitTheirTypes() {
        #expect(FieldValue.int(1).fits(.double))
        #expect(!FieldValue.double(1).fits(.int))
        #expect(FieldValue.null.fits(.string))
        #expect(!FieldValue.null.fits(.collection("A")))
        #expect(FieldValue.ref(Ref("A", "1")).fits(.ref("A")))
        #expect(!FieldValue.ref(Ref("B", "1")).fits(.ref("A")))
        #expect(FieldValue.refs([Ref("A", "1")]).fits(.collection("A")))
        #expect(!FieldValue.string("1").fits(.int))
    }

    @Test func fieldValuesPrintAsPlainJSON() {
        let date = Date(timeIntervalSince1970: 1_767_225_600.123)
        #expect(FieldValue.date(date).jsonValue == "2026-01-01T00:00:00.123Z")
        #expect(FieldValue.ref(Ref("Person", "per_1")).jsonValue == "per_1")
        #expect(FieldValue.refs([Ref("A", "1"), Ref("A", "2")]).jsonValue == ["1", "2"])
    }

    @Test(arguments: [
        ("2026-01-31", 1_769_817_600.0),
        ("2026-01-31T09:00:00Z", 1_769_850_000.0),
        ("2026-01-31T09:00:00.250Z", 1_769_850_000.25),
        ("2026-01-31T11:00:00+02:00", 1_769_850_000.0),
    ])
    func parsesISO8601(_ text: String, _ seconds: Double) throws {
        let date = try #require(ISO8601.parse(text))
        #expect(date.timeIntervalSince1970 == seconds)
    }

    @Test func rejectsNonDates() {
        #expect(ISO8601.parse("tomorrow") == nil)
        #expect(ISO8601.parse("2026-13-45") == nil)
    }

    @Test func recordJSONOmitsNulls() {
        let record = EntityRecord(ref: Ref("A", "1"), values: [("_id", "1"), ("name", "x"), ("gone", .null)])
        #expect(record.jsonObject == ["_id": "1", "name": "x"])
        #expect(record["name"] == "x")
        #expect(record["missing"] == nil)
    }
}

struct JSONTextTests {
    @Test(arguments: [
        JSONValue.string("quote \" backslash \\ newline \n tab \t bell \u{07} é 日本 🎉"),
        ["nested": ["a": [1, 2.0, -0.5, 1e20, true, nil], "": "empty key"]],
        .double(2.0), .int(Int.min), .array([]), .object([:]),
    ])
    func roundTripsThroughItsText(_ value: JSONValue) throws {
        #expect(try JSONValue(parsing: value.jsonText) == value)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "tru", "01", "1.", "-", "\"\\x\"", "\"\\ud800\"", "[1] 2", "{\"a\":}",
        "\"\u{01}\"",
        String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ])
    func rejectsMalformedText(_ text: String) {
        let error = #expect(throws: MaxError.self) { try JSONValue(parsing: text) }
        #expect(error?.code == .invalidJSON)
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try JSONValue(parsing: #""\u00e9\ud83c\udf89\/\b""#) == "é🎉/\u{08}")
        #expect(try JSONValue(parsing: " [ 1 , 2.0 , -0 ] ") == [1, 2.0, 0])
    }

    @Test func writesCompactSortedText() {
        let value: JSONValue = ["b": 1, "a": ["x", nil], "c": "\u{01}"]
        #expect(value.jsonText == #"{"a":["x",null],"b":1,"c":"\u0001"}"#)
        #expect(JSONValue.double(.infinity).jsonText == "null")
    }

    @Test(arguments: [
        ("plain", #""plain""#),
        ("", #""""#),
        ("say \"hi\"\\ now", #""say \"hi\"\\ now""#),
        ("a\nb\rc\td", #""a\nb\rc\td""#),
        ("\u{00}\u{1f}\u{7f}", #""\u0000\u001f\#u{7f}""#),
        ("é中🎉\"é", #""é中🎉\"é""#),
        ("\"", #""\"""#),
    ])
    func escapesStringsByTheirBytes(_ value: String, _ expected: String) throws {
        #expect(JSONValue.string(value).jsonText == expected)
        #expect(JSONValue.string(value).jsonBytes == Array(expected.utf8))
        #expect(try JSONValue(parsing: expected) == .string(value), "reads back as written")
    }

    @Test func writesIndentedTextForPeople() {
        let value: JSONValue = ["b": [1, ["c": "d"]], "a": [:], "e": []]
        #expect(
            value.prettyJSONText == """
                {
                  "a": {},
                  "b": [
                    1,
                    {
                      "c": "d"
                    }
                  ],
                  "e": []
                }
                """)
    }
}
