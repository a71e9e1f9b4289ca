extension JSONValue {
    /// Parses a JSON document.
    ///
    /// - Throws: `MaxError` with code `core.invalid_json` when `text` is not JSON.
    public init(parsing text: String) throws {
        do {
            var reader = JSONReader(text)
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
        var output = ""
        write(to: &output)
        return output
    }

    /// The value as indented JSON with sorted keys (two spaces a level), for files people read and
    /// keep in version control.
    public var prettyJSONText: String {
        var output = ""
        writePretty(to: &output, indent: 0)
        return output
    }

    private func writePretty(to output: inout String, indent: Int) {
        let padding = String(repeating: "  ", count: indent + 1)
        let closing = String(repeating: "  ", count: indent)
        switch self {
        case .array(let values) where !values.isEmpty:
            output += "[\n"
            for (index, value) in values.enumerated() {
                output += padding
                value.writePretty(to: &output, indent: indent + 1)
                output += index < values.count - 1 ? ",\n" : "\n"
            }
            output += closing + "]"
        case .object(let members) where !members.isEmpty:
            output += "{\n"
            let keys = members.keys.sorted()
            for (index, key) in keys.enumerated() {
                output += padding
                Self.writeString(key, to: &output)
                output += ": "
                members[key]?.writePretty(to: &output, indent: indent + 1)
                output += index < keys.count - 1 ? ",\n" : "\n"
            }
            output += closing + "}"
        default:
            write(to: &output)
        }
    }

    private func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .double(let value):
            // Swift prints the shortest text that reads back as the same double (`2.0`, `0.1`, `1e+20`),
            // so a double stays a double through a round trip.
            output += value.isFinite ? String(value) : "null"
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 { output += "," }
                value.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { output += "," }
                Self.writeString(key, to: &output)
                output += ":"
                members[key]?.write(to: &output)
            }
            output += "}"
        }
    }

    private static func writeString(_ value: String, to output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
