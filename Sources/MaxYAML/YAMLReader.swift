import Foundation
public import MaxCore
import Yams

/// YAML read as JSON values, for manifests and Markdown front matter.
///
/// The only place Yams is imported.
public enum YAMLReader {
    /// The value of the YAML document `text`; `nil` for an empty document.
    ///
    /// - Throws: ``Problem`` with the parser's description (its line and column).
    public static func json(_ text: String) throws(Problem) -> JSONValue? {
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw Problem(message: String(String(describing: error).prefix(300)))
        }
        return try loaded.map(json(from:))
    }

    private static func json(from value: Any) throws(Problem) -> JSONValue {
        switch value {
        case let text as String: return .string(text)
        case let flag as Bool: return .bool(flag)
        case let number as Int: return .int(number)
        case let number as Double: return .double(number)
        case is NSNull: return .null
        case let items as [Any]:
            var array: [JSONValue] = []
            for item in items { array.append(try json(from: item)) }
            return .array(array)
        case let members as [AnyHashable: Any]:
            var object: [String: JSONValue] = [:]
            for (key, member) in members {
                guard let name = key.base as? String else {
                    throw Problem(message: "a key (\(key)) is not text; quote it")
                }
                object[name] = try json(from: member)
            }
            return .object(object)
        case let date as Date: return .string(ISO8601.format(date))
        case let data as Data: return .string(data.base64EncodedString())
        default: throw Problem(message: "a value (\(value)) is neither text, a number, a list nor a map")
        }
    }

    /// Why YAML did not read.
    public struct Problem: Error, Sendable {
        /// What the parser said.
        public let message: String
    }
}
