import Foundation
import MaxCore
import Testing

struct JSONReaderTests {
    @Test func readsAnArrayOfObjectsMemberByMember() throws {
        var reader = JSONReader(
            #" [ {"id": "a", "n": 1, "on": true, "x": {"deep": [1, 2]}, "s": null}, {"id":"b","n":-2,"on":false,"s":"\u00e9\n"} ] "#
        )
        var rows: [(String, Int, Bool, String?)] = []
        try reader.forEachElement { element in
            var row = ("", 0, false, String?.none)
            try element.forEachMember { member, key in
                switch key {
                case "id": row.0 = try member.string()
                case "n": row.1 = try member.int()
                case "on": row.2 = try member.bool()
                case "s": row.3 = try member.optionalString()
                default: try member.skip()
                }
            }
            rows.append(row)
        }
        try reader.finish()
        #expect(rows.map(\.0) == ["a", "b"])
        #expect(rows.map(\.1) == [1, -2])
        #expect(rows.map(\.2) == [true, false])
        #expect(rows.map(\.3) == [nil, "é\n"])
    }

    @Test(arguments: [
        (#"1.5"#, "expected an integer"),
        (#""x""#, "expected a number"),
        (#"nul"#, "unexpected end"),
        (#"[1 2]"#, "expected ',' or ']'"),
        (#"{"a" 1}"#, "expected ':'"),
    ])
    func saysWhatWasWrongAndWhere(_ text: String, _ message: String) {
        var reader = JSONReader(text)
        let failure = #expect(throws: JSONReader.Failure.self) {
            if text.hasPrefix("[") {
                try reader.forEachElement { _ = try $0.int() }
            } else if text.hasPrefix("{") {
                try reader.forEachMember { member, _ in try member.skip() }
            } else if text.hasPrefix("n") {
                _ = try reader.consumeNull()
            } else {
                _ = try reader.int()
            }
        }
        #expect(failure?.message == message, "\(String(describing: failure))")
    }

    @Test func refusesTrailingTextAndDeepNesting() throws {
        var trailing = JSONReader(#"{"a": 1} x"#)
        try trailing.skip()
        #expect(throws: JSONReader.Failure.self) { try trailing.finish() }
        var deep = JSONReader(String(repeating: "[", count: JSONReader.maximumDepth + 1))
        let failure = #expect(throws: JSONReader.Failure.self) { try deep.skip() }
        #expect(failure?.message == "nested too deeply")
    }
}
