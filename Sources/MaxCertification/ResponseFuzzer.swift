import Foundation
public import MaxCore

/// Mutates a JSON document the way a misbehaving source might answer.
///
/// Values of the wrong type, nulls, missing and unexpected members, empty, huge and unusual text;
/// deterministic for a seed.
///
/// ```swift
/// let (mutated, changes) = ResponseFuzzer.mutate(body, seed: 42)
/// // changes: ["/items/3/title: string → 42", "/items/0/id: removed"]
/// ```
public enum ResponseFuzzer {
    /// How many values one call changes at most.
    public static let mutationsPerDocument = 3

    /// `document` with up to ``mutationsPerDocument`` values changed, and a description of each
    /// change (a JSON Pointer and what became of it).
    ///
    /// - Parameters:
    ///   - document: The document.
    ///   - seed: Chooses the values and their changes.
    /// - Returns: The mutated document and what changed.
    public static func mutate(_ document: JSONValue, seed: UInt64) -> (JSONValue, [String]) {
        var random = SplitMix64(seed: seed)
        var result = document
        var changes: [String] = []
        for _ in 0..<mutationsPerDocument {
            let paths = Self.paths(in: result, limit: 5000)
            guard !paths.isEmpty else { break }
            let path = paths[Int(random.next() % UInt64(paths.count))]
            let kind = Int(random.next() % UInt64(Mutation.allCases.count))
            let mutation = Mutation.allCases[kind]
            guard let current = Self.value(at: path, in: result) else { continue }
            let replacement = mutation.apply(to: current)
            result = Self.replacing(at: path[...], in: result, with: replacement)
            let pointer = "/" + path.map(\.description).joined(separator: "/")
            changes.append("\(pointer): \(mutation.rawValue)")
        }
        return (result, changes)
    }

    /// One kind of change.
    enum Mutation: String, CaseIterable {
        case wrongType = "a value of another type"
        case null = "null"
        case removed = "removed"
        case emptyText = "empty text"
        case hugeText = "64 KiB of text"
        case oddText = "text with NUL, RTL and astral characters"
        case extraMember = "an unexpected member added"
        case negativeNumber = "a negative number"

        func apply(to value: JSONValue) -> JSONValue? {
            switch self {
            case .wrongType:
                switch value {
                case .string: return .int(42)
                case .int, .double: return .string("not a number")
                case .bool: return .string("yes")
                case .array: return .object(["unexpected": .bool(true)])
                case .object: return .array([.int(1), .string("two")])
                case .null: return .bool(false)
                }
            case .null: return .null
            case .removed: return nil
            case .emptyText: return .string("")
            case .hugeText: return .string(String(repeating: "x", count: 64 << 10))
            case .oddText: return .string("nul\u{0}rtl\u{202E}astral\u{1F600}")
            case .extraMember:
                guard case .object(var members) = value else { return value }
                members["__max_fuzz"] = ["nested": [.null, .int(-1)]]
                return .object(members)
            case .negativeNumber: return .int(-9_007_199_254_740_991)
            }
        }
    }

    /// A step of a path: an array index or an object key.
    enum Step: CustomStringConvertible {
        case index(Int)
        case key(String)

        var description: String {
            switch self {
            case .index(let index): String(index)
            case .key(let key): key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
            }
        }
    }

    /// The paths of every value below the root, breadth first, at most `limit`.
    static func paths(in document: JSONValue, limit: Int) -> [[Step]] {
        var result: [[Step]] = []
        var queue: [([Step], JSONValue)] = [([], document)]
        var next = 0
        while next < queue.count, result.count < limit {
            let (path, value) = queue[next]
            next += 1
            switch value {
            case .array(let values):
                for (index, element) in values.enumerated() {
                    result.append(path + [.index(index)])
                    queue.append((path + [.index(index)], element))
                }
            case .object(let members):
                for key in members.keys.sorted() {
                    result.append(path + [.key(key)])
                    queue.append((path + [.key(key)], members[key] ?? .null))
                }
            default: break
            }
        }
        return Array(result.prefix(limit))
    }

    static func value(at path: [Step], in document: JSONValue) -> JSONValue? {
        var current = document
        for step in path {
            switch (step, current) {
            case (.index(let index), .array(let values)) where values.indices.contains(index): current = values[index]
            case (.key(let key), .object(let members)):
                guard let member = members[key] else { return nil }
                current = member
            default: return nil
            }
        }
        return current
    }

    /// `document` with the value at `path` replaced (`nil` removes it).
    static func replacing(at path: ArraySlice<Step>, in document: JSONValue, with value: JSONValue?) -> JSONValue {
        guard let step = path.first else { return value ?? .null }
        let rest = path.dropFirst()
        switch (step, document) {
        case (.index(let index), .array(var values)) where values.indices.contains(index):
            if rest.isEmpty, value == nil {
                values.remove(at: index)
            } else {
                values[index] = replacing(at: rest, in: values[index], with: value)
            }
            return .array(values)
        case (.key(let key), .object(var members)):
            if rest.isEmpty, value == nil {
                members[key] = nil
            } else {
                members[key] = replacing(at: rest, in: members[key] ?? .null, with: value)
            }
            return .object(members)
        default:
            return document
        }
    }
}
