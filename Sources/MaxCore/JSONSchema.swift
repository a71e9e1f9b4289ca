/// A JSON Schema (draft 2020-12) of the subset connectors use, checked when it is made and able to
/// validate instances.
///
/// Keywords: `type` (one or a list), `properties`, `required`, `additionalProperties` (a boolean or
/// a schema), `enum`, `const`, `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`,
/// `minLength`, `maxLength`, `pattern`, `items`, `minItems`, `maxItems`, `oneOf`, `anyOf`, and
/// `format` `date-time`, `email` and `uri`. Annotations (`title`, `description`, `default`,
/// `examples`, `$schema`, `$id`, `$comment`, `deprecated`, `readOnly`, `writeOnly`) are allowed and
/// ignored. Any other keyword is refused when the schema is made, so a typo never silently
/// weakens a check.
///
/// ```swift
/// let schema = try JSONSchema(["type": "object", "required": ["title"],
///                              "properties": ["title": ["type": "string", "minLength": 1]]])
/// schema.validate(["title": 3])  // [/title: expected a string]
/// ```
public struct JSONSchema: Sendable, Hashable {
    /// The schema as JSON.
    public let json: JSONValue

    /// Checks `json` as a schema.
    ///
    /// - Throws: `schema.invalid_json_schema`, naming the keyword and where it is.
    public init(_ json: JSONValue) throws {
        try Self.check(json, at: "")
        self.json = json
    }

    private init(checked json: JSONValue) {
        self.json = json
    }

    /// The schema every instance matches (`{}`).
    public static let any = JSONSchema(checked: .object([:]))

    /// Validates `instance`.
    ///
    /// - Parameters:
    ///   - instance: The value to check.
    ///   - limit: At most this many violations are collected.
    /// - Returns: What is wrong, in document order; empty when it is valid.
    public func validate(_ instance: JSONValue, limit: Int = 20) -> [Violation] {
        var violations: [Violation] = []
        Self.validate(instance, against: json, at: "", into: &violations, limit: limit)
        return violations
    }

    /// One way an instance does not match: where (a JSON Pointer, `/tasks/0/title`) and what.
    public struct Violation: Sendable, Hashable, CustomStringConvertible {
        /// The JSON Pointer of the value; `""` for the whole instance.
        public let path: String
        /// What is wrong, such as `expected a string`.
        public let message: String

        /// Creates a violation.
        public init(path: String, message: String) {
            self.path = path
            self.message = message
        }

        /// `/tasks/0/title: expected a string` (`/` for the whole instance).
        public var description: String { "\(path.isEmpty ? "/" : path): \(message)" }
    }
}

extension JSONSchema {
    static let annotations: Set<String> = [
        "title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly",
        "writeOnly",
    ]
    static let types: Set<String> = ["null", "boolean", "object", "array", "number", "integer", "string"]
    static let formats: Set<String> = ["date-time", "email", "uri"]

    /// Appends a JSON Pointer token, escaping `~` and `/`.
    ///
    /// - Parameters:
    ///   - base: The pointer so far (`""` for the root).
    ///   - token: The member name or index to append.
    /// - Returns: `base/token`.
    public static func pointer(_ base: String, _ token: String) -> String {
        base + "/" + token.replacing("~", with: "~0").replacing("/", with: "~1")
    }

    private static func invalid(_ path: String, _ problem: String) -> MaxError {
        MaxError(
            .invalidJSONSchema, "the JSON Schema is invalid at \(path.isEmpty ? "its root" : path): \(problem)",
            context: ["path": path])
    }

    /// Checks a schema's keywords and their values, recursively.
    static func check(_ schema: JSONValue, at path: String) throws {
        if case .bool = schema { return }
        guard let object = schema.objectValue else { throw invalid(path, "a schema is an object or a boolean") }
        for (keyword, value) in object {
            let here = pointer(path, keyword)
            switch keyword {
            case _ where annotations.contains(keyword): continue
            case "type":
                let names = value.stringValue.map { [$0] } ?? value.arrayValue?.compactMap(\.stringValue)
                guard let names, !names.isEmpty, names.allSatisfy(types.contains),
                    names.count == (value.arrayValue?.count ?? 1)
                else {
                    throw invalid(
                        here, "type must be one of \(types.sorted().joined(separator: ", ")) or a list of them")
                }
            case "properties":
                guard let properties = value.objectValue else { throw invalid(here, "properties must be an object") }
                for (name, property) in properties { try check(property, at: pointer(here, name)) }
            case "required":
                guard let names = value.arrayValue, names.allSatisfy({ $0.stringValue != nil }) else {
                    throw invalid(here, "required must be a list of property names")
                }
            case "additionalProperties", "items": try check(value, at: here)
            case "enum":
                guard let values = value.arrayValue, !values.isEmpty else {
                    throw invalid(here, "enum must be a non-empty list")
                }
            case "const": continue
            case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
                guard value.doubleValue != nil else { throw invalid(here, "\(keyword) must be a number") }
            case "minLength", "maxLength", "minItems", "maxItems":
                guard let count = value.intValue, count >= 0 else {
                    throw invalid(here, "\(keyword) must be a non-negative integer")
                }
            case "pattern":
                guard let pattern = value.stringValue, (try? Regex(pattern)) != nil else {
                    throw invalid(here, "pattern must be a regular expression")
                }
            case "oneOf", "anyOf":
                guard let options = value.arrayValue, !options.isEmpty else {
                    throw invalid(here, "\(keyword) must be a non-empty list of schemas")
                }
                for (index, option) in options.enumerated() { try check(option, at: pointer(here, String(index))) }
            case "format":
                guard let format = value.stringValue, formats.contains(format) else {
                    throw invalid(here, "format must be one of \(formats.sorted().joined(separator: ", "))")
                }
            default:
                throw invalid(here, "'\(keyword)' is not a keyword Max supports")
            }
        }
    }
}
