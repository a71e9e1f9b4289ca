import Foundation
public import MaxCore

/// A list of texts as `max.json` holds a config value that lists things: a JSON array, or
/// comma-separated text (what a prompt or `--config key=a,b` gives).
public struct TextList: Codable, Sendable, Hashable {
    /// The items, trimmed, without empty ones.
    public var items: [String]

    /// A list.
    public init(_ items: [String]) { self.items = items }

    /// The JSON Schema of a list's config value: text, or a list of texts.
    public static let jsonSchema: JSONValue = ["type": ["string", "array"], "items": ["type": "string"]]

    /// The same items (the name the files connector's globs read best with).
    public var patterns: [String] { items }

    /// Reads a list or comma-separated text.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw: [String]
        if let list = try? container.decode([String].self) {
            raw = list
        } else {
            raw = try container.decode(String.self).split(separator: ",").map(String.init)
        }
        items = raw.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Writes the list.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(items)
    }
}
