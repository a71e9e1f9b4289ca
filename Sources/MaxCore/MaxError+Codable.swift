import Foundation

/// The one form of an error on every wire: `max … -o json`, `max serve`, MCP, a remote node and
/// the connector protocol all carry `{"code", "category", "message", "hint", "context"}`.
///
/// The cause chain stays in the process that threw (it may hold a library's internals); the
/// context never holds a secret (see ``MaxError/context``).
extension MaxError: Codable {
    private enum CodingKeys: String, CodingKey {
        case code, category, message, hint, context
    }

    /// Decodes an error as another Max node or a connector encoded it, with the same code,
    /// category and context.
    ///
    /// - Throws: `DecodingError` when `code` or `message` is missing or `code` is not dotted.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let dotted = try container.decode(String.self, forKey: .code)
        let parts = dotted.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw DecodingError.dataCorruptedError(
                forKey: .code, in: container, debugDescription: "'\(dotted)' is not a dotted error code")
        }
        let category = try container.decodeIfPresent(Category.self, forKey: .category) ?? .internal
        self.init(
            Code(domain: parts[0], name: parts[1], category: category),
            try container.decode(String.self, forKey: .message),
            hint: try container.decodeIfPresent(String.self, forKey: .hint),
            context: try container.decodeIfPresent([String: String].self, forKey: .context) ?? [:])
    }

    /// Encodes the code, category, message, hint and context.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code.description, forKey: .code)
        try container.encode(code.category, forKey: .category)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(hint, forKey: .hint)
        if !context.isEmpty { try container.encode(context, forKey: .context) }
    }

    /// The error's wire form as a ``JSONValue``.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "code": .string(code.description), "category": .string(code.category.rawValue),
            "message": .string(message),
        ]
        if let hint { object["hint"] = .string(hint) }
        if !context.isEmpty { object["context"] = .object(context.mapValues(JSONValue.string)) }
        return .object(object)
    }

    /// `{"error": …}`: how every front end and node answers with an error.
    public var answer: JSONValue { ["error": json] }

    /// Reads an error back from `{"error": …}` (or the bare error object).
    ///
    /// - Returns: The error, or `nil` when `json` is not one.
    public init?(answer json: JSONValue) {
        let object = json["error"] ?? json
        guard let data = try? JSONEncoder().encode(object), let error = try? JSONDecoder().decode(Self.self, from: data)
        else { return nil }
        self = error
    }
}
