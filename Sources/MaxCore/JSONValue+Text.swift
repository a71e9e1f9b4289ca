extension JSONValue {
    /// Parses a JSON document.
    ///
    /// - Throws: `MaxError` with code `core.invalid_json` when `text` is not JSON.
    public init(parsing text: String) throws {
        try self.init(parsing: text, rejectingDuplicateKeys: false)
    }

    /// Parses JSON text, refusing an object that names a key twice when `rejectingDuplicateKeys`.
    ///
    /// - Throws: `core.invalid_json` with the byte offset (`context["offset"]`) of what is wrong.
    public init(parsing text: String, rejectingDuplicateKeys: Bool) throws {
        do {
            var reader = JSONReader(text)
            reader.rejectsDuplicateKeys = rejectingDuplicateKeys
            self = try reader.value()
            try reader.finish()
        } catch let failure as JSONReader.Failure {
            throw MaxError(
                .invalidJSON, "the text is not valid JSON: \(failure.message) at byte \(failure.offset)",
                context: ["offset": String(failure.offset)])
        }
    }

    /// The value as compact JSON text with sorted keys: stable, so it can be compared and stored.
    ///
    /// Written by hand rather than through `JSONEncoder`: storage serialises a JSON field per row, and
    /// the encoder costs microseconds a call. Non-finite doubles, which JSON cannot express, are
    /// written as `null`.
    public var jsonText: String {
        String(decoding: jsonBytes, as: UTF8.self)
    }

    /// The value as compact JSON with sorted keys, as UTF-8 bytes: ``jsonText`` without making a
    /// `String`, for writing to a pipe or a file.
    public var jsonBytes: [UInt8] {
        var output: [UInt8] = []
        write(to: &output)
        return output
    }

    /// The value as indented JSON with sorted keys (two spaces a level), for files people read and
    /// keep in version control.
    public var prettyJSONText: String {
        var output: [UInt8] = []
        writePretty(to: &output, indent: 0)
        return String(decoding: output, as: UTF8.self)
    }

    private func writePretty(to output: inout [UInt8], indent: Int) {
        let padding = Array(repeating: UInt8(ascii: " "), count: 2 * (indent + 1))
        let closing = padding.dropLast(2)
        switch self {
        case .array(let values) where !values.isEmpty:
            output.append(contentsOf: "[\n".utf8)
            for (index, value) in values.enumerated() {
                output.append(contentsOf: padding)
                value.writePretty(to: &output, indent: indent + 1)
                output.append(contentsOf: (index < values.count - 1 ? ",\n" : "\n").utf8)
            }
            output.append(contentsOf: closing)
            output.append(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            output.append(contentsOf: "{\n".utf8)
            let keys = members.keys.sorted()
            for (index, key) in keys.enumerated() {
                output.append(contentsOf: padding)
                Self.writeString(key, to: &output)
                output.append(contentsOf: ": ".utf8)
                members[key]?.writePretty(to: &output, indent: indent + 1)
                output.append(contentsOf: (index < keys.count - 1 ? ",\n" : "\n").utf8)
            }
            output.append(contentsOf: closing)
            output.append(UInt8(ascii: "}"))
        default:
            write(to: &output)
        }
    }

    private func write(to output: inout [UInt8]) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): output.append(contentsOf: String(value).utf8)
        case .double(let value):
            // Swift prints the shortest text that reads back as the same double (`2.0`, `0.1`, `1e+20`),
            // so a double stays a double through a round trip.
            output.append(contentsOf: (value.isFinite ? String(value) : "null").utf8)
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let values):
            output.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                value.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.writeString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                members[key]?.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Writes `value` quoted, escaping `"`, `\` and control characters.
    ///
    /// Works on the UTF-8 bytes and copies the runs between escapes whole: the bytes of a multi-byte
    /// character are all 0x80 or more, so they never look like one of the escaped ASCII characters.
    private static func writeString(_ value: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            var runStart = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 else { continue }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                runStart = index + 1
                switch byte {
                case UInt8(ascii: "\""): output.append(contentsOf: #"\""#.utf8)
                case UInt8(ascii: "\\"): output.append(contentsOf: #"\\"#.utf8)
                case UInt8(ascii: "\n"): output.append(contentsOf: #"\n"#.utf8)
                case UInt8(ascii: "\r"): output.append(contentsOf: #"\r"#.utf8)
                case UInt8(ascii: "\t"): output.append(contentsOf: #"\t"#.utf8)
                default:
                    let hex = String(byte, radix: 16)
                    output.append(contentsOf: (#"\u"# + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        output.append(UInt8(ascii: "\""))
    }
}
