import Foundation
import MaxCore

/// Writes entity records as JSON objects (in selection order, nulls omitted) and CSV rows.
enum RecordPrinter {
    /// `{"_id":"…","title":"…"}` with the record's fields in selection order.
    static func json(_ record: EntityRecord, pretty: Bool = false, indent: String = "") -> String {
        let members = record.values.filter { $0.value != .null }
        if members.isEmpty { return "{}" }
        if !pretty {
            return "{"
                + members.map { JSONValue.string($0.name).jsonText + ":" + $0.value.jsonValue.jsonText }
                .joined(separator: ",") + "}"
        }
        let inner = indent + "  "
        return "{\n"
            + members.map { inner + JSONValue.string($0.name).jsonText + ": " + $0.value.jsonValue.jsonText }
            .joined(separator: ",\n") + "\n" + indent + "}"
    }

    /// An RFC 4180 line of `fields`' values (nulls empty).
    static func csv(_ record: EntityRecord, fields: [String]) -> String {
        fields.map { name in
            guard let value = record[name], value != .null else { return "" }
            let text: String
            switch value.jsonValue {
            case .string(let string): text = string
            case let other: text = other.jsonText
            }
            return csvField(text)
        }.joined(separator: ",")
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A table cell: strings as they are, everything else as JSON.
    static func cell(_ value: FieldValue?) -> String {
        guard let value, value != .null else { return "" }
        if case .string(let string) = value.jsonValue { return string }
        return value.jsonValue.jsonText
    }
}
