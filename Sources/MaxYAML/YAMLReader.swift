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

    /// The values of every document of `text`, a `---`-separated stream; empty documents left out.
    ///
    /// - Throws: ``Problem`` with the parser's description (its line and column).
    public static func documents(_ text: String) throws(Problem) -> [JSONValue] {
        var values: [JSONValue] = []
        do {
            for document in try Yams.load_all(yaml: text) where !(document is NSNull) {
                values.append(try json(from: document))
            }
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem(message: String(String(describing: error).prefix(300)))
        }
        return values
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

    /// The keys, in the order written, of every mapping found by following `path` from the top.
    ///
    /// `"*"` steps into each element of a sequence: `["streams", "*", "fields"]` gives each stream's
    /// field names. A step that finds nothing gives an empty list there.
    public static func orderedKeys(_ text: String, along path: [String]) -> [[String]] {
        guard let node = try? Yams.compose(yaml: text) else { return [] }
        var found: [[String]] = []
        func follow(_ node: Node, _ rest: ArraySlice<String>) {
            guard let step = rest.first else {
                found.append(node.mapping?.keys.compactMap(\.string) ?? [])
                return
            }
            if step == "*" {
                for element in node.sequence ?? [] { follow(element, rest.dropFirst()) }
            } else if let next = node.mapping?[step] {
                follow(next, rest.dropFirst())
            } else {
                found.append([])
            }
        }
        follow(node, path[...])
        return found
    }

    /// Why YAML did not read.
    public struct Problem: Error, Sendable {
        /// What the parser said.
        public let message: String
    }
}
