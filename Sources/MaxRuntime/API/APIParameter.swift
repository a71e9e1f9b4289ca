public import MaxCore

/// One parameter of an ``Endpoint``: where it travels over HTTP, its type, and what it means (the
/// MCP tool's input schema is built from these).
public struct APIParameter: Sendable, Hashable {
    /// Where a parameter travels in an HTTP request.
    public enum Location: Sendable, Hashable {
        /// A segment of the path (`:installation`).
        case path
        /// A query parameter.
        case query
        /// A header, by its name.
        case header(String)
        /// The whole request body (JSON).
        case body
    }

    /// A parameter's type.
    public enum Kind: Sendable, Hashable {
        /// Text.
        case string
        /// A whole number in a range.
        case integer(ClosedRange<Int>)
        /// `true` or `false`.
        case boolean
        /// A JSON object.
        case object
        /// One of these strings.
        case oneOf([String])
    }

    /// The name: the request type's property, the path parameter, the query parameter.
    public let name: String
    /// Where it travels.
    public let location: Location
    /// Its type.
    public let kind: Kind
    /// Whether a request must have it.
    public let isRequired: Bool
    /// What it means, for agents.
    public let summary: String

    /// A parameter.
    public init(_ name: String, _ kind: Kind, in location: Location = .query, required: Bool = false, _ summary: String)
    {
        self.name = name
        self.kind = kind
        self.location = location
        self.isRequired = required
        self.summary = summary
    }

    /// Its JSON Schema.
    var jsonSchema: JSONValue {
        var schema: [String: JSONValue] =
            switch kind {
            case .string: ["type": "string"]
            case .integer(let range):
                ["type": "integer", "minimum": .int(range.lowerBound), "maximum": .int(range.upperBound)]
            case .boolean: ["type": "boolean"]
            case .object: ["type": "object"]
            case .oneOf(let values): ["type": "string", "enum": .array(values.map(JSONValue.string))]
            }
        schema["description"] = .string(summary)
        return .object(schema)
    }

    /// The value of a path segment, query parameter or header as JSON of this parameter's kind.
    ///
    /// - Throws: `api.invalid_request` naming the parameter when the text is not of its kind.
    public func value(ofText text: String) throws -> JSONValue {
        switch kind {
        case .string: return .string(text)
        case .oneOf(let values):
            guard values.contains(text) else {
                throw MaxError.invalidRequest(
                    "\(name) must be one of \(values.joined(separator: ", ")), not '\(text.prefix(40))'")
            }
            return .string(text)
        case .integer(let range):
            guard let number = Int(text) else {
                throw MaxError.invalidRequest("\(name) must be a whole number, not '\(text.prefix(40))'")
            }
            guard range.contains(number) else {
                throw MaxError.invalidRequest(
                    "\(name) must be between \(range.lowerBound) and \(range.upperBound), not \(number)")
            }
            return .int(number)
        case .boolean:
            switch text {
            case "true", "1": return true
            case "false", "0": return false
            default: throw MaxError.invalidRequest("\(name) must be true or false, not '\(text.prefix(40))'")
            }
        case .object:
            let value = try JSONValue(parsing: text)
            guard value.objectValue != nil else { throw MaxError.invalidRequest("\(name) must be a JSON object") }
            return value
        }
    }

    /// The text of a value of this parameter, for a path segment, query parameter or header.
    func text(of value: JSONValue) -> String? {
        switch value {
        case .null: nil
        case .string(let text): text
        case .int(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        default: value.jsonText
        }
    }
}

extension MaxError.Code {
    /// A request to a Max node (a route, a tool, a remote call) was malformed: a parameter of the
    /// wrong type or out of range, a missing one.
    public static let apiInvalidRequest = Self(domain: "api", name: "invalid_request", category: .validationError)
}

extension MaxError {
    /// An `api.invalid_request` error.
    static func invalidRequest(_ message: String) -> MaxError {
        MaxError(.apiInvalidRequest, message, hint: "see the endpoint's parameters in docs/api.md")
    }
}
