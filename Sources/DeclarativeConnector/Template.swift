import Foundation
public import MaxCore

/// A string with `{{…}}` placeholders, rendered against a scope of JSON values.
///
/// A placeholder is a path from one of the scope's roots (`config.owner`, `parent.full_name`,
/// `record.issue_url`, `input.title`, `since`, `page.cursor`), optionally followed by filters:
/// `{{record.issue_url | lastPathComponent}}`, `{{record.url | lastPathComponents:4}}` (the last
/// four segments of a URL or path), `json` (the value as JSON text), `string` (as text),
/// `default:<text>` (the text when there is no value). A value renders as its text: a string as itself, a
/// number or Boolean as JSON, an array as its elements' texts joined by commas, null or a missing
/// value as nothing.
///
/// ```swift
/// let path = try Template("/repos/{{parent.full_name}}/issues")
/// path.render(["parent": ["full_name": "octo/hello"]])  // "/repos/octo/hello/issues"
/// ```
public struct Template: Sendable, Hashable {
    /// The roots a placeholder may start from.
    public static let roots: Set<String> = [
        "config", "parent", "record", "input", "since", "page", "position", "id", "root",
    ]

    /// The filters a placeholder may apply.
    public static let filters: Set<String> = ["lastPathComponent", "lastPathComponents", "json", "string", "default"]

    enum Part: Sendable, Hashable {
        case text(String)
        case value(path: [String], filters: [String])
    }

    let parts: [Part]

    /// The template as written.
    public let source: String

    /// Parses `source`.
    ///
    /// - Throws: ``Problem`` for an unclosed `{{`, an unknown root or an unknown filter.
    public init(_ source: String) throws(Problem) {
        self.source = source
        var parts: [Part] = []
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw Problem("'\(source)' opens a {{ it does not close")
            }
            let inner = rest[open.upperBound..<close.lowerBound].split(separator: "|").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard let expression = inner.first, !expression.isEmpty else {
                throw Problem("'\(source)' has an empty {{}}")
            }
            let path = expression.split(separator: ".").map(String.init)
            guard let root = path.first, Self.roots.contains(root) else {
                throw Problem(
                    "'\(source)' reads '\(expression)'; a placeholder starts with one of "
                        + Self.roots.sorted().joined(separator: ", "))
            }
            let filters = Array(inner.dropFirst())
            if let unknown = filters.first(where: { !Self.filters.contains(Self.filterName($0)) }) {
                throw Problem(
                    "'\(source)' applies '\(unknown)'; the filters are " + Self.filters.sorted().joined(separator: ", ")
                )
            }
            parts.append(.value(path: path, filters: filters))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
    }

    /// The roots its placeholders read.
    public var rootsRead: Set<String> {
        Set(
            parts.compactMap {
                if case .value(let path, _) = $0 { return path.first }
                return nil
            })
    }

    /// The paths its placeholders read (`["parent", "id"]`).
    public var pathsRead: [[String]] {
        parts.compactMap {
            if case .value(let path, _) = $0 { return path }
            return nil
        }
    }

    /// Whether it has no placeholder.
    public var isConstant: Bool { !parts.contains { if case .value = $0 { true } else { false } } }

    /// The text, placeholders replaced by their values' text.
    public func render(_ scope: JSONValue) -> String {
        var text = ""
        for part in parts {
            switch part {
            case .text(let literal): text += literal
            case .value(let path, let filters): text += Self.text(of: Self.apply(filters, to: scope.at(path)))
            }
        }
        return text
    }

    /// The value: for a template that is exactly one placeholder, the value itself (a number stays
    /// a number, an absent value is null); otherwise the rendered text.
    public func value(_ scope: JSONValue) -> JSONValue {
        if parts.count == 1, case .value(let path, let filters) = parts[0] {
            return Self.apply(filters, to: scope.at(path)) ?? .null
        }
        return .string(render(scope))
    }

    /// A filter's name: `lastPathComponents` for `lastPathComponents:2`.
    static func filterName(_ filter: String) -> String {
        String(filter.prefix { $0 != ":" }).trimmingCharacters(in: .whitespaces)
    }

    static func apply(_ filters: [String], to value: JSONValue?) -> JSONValue? {
        var value = value
        for filter in filters {
            let text = filter.split(separator: ":", maxSplits: 1).dropFirst().first.map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            switch filterName(filter) {
            case "lastPathComponent", "lastPathComponents":
                let count = max(text.flatMap { Int($0) } ?? 1, 1)
                value = value.map {
                    .string(Self.text(of: $0).split(separator: "/").suffix(count).joined(separator: "/"))
                }
            case "json": value = value.map { .string($0.jsonText) }
            case "string": value = value.map { .string(Self.text(of: $0)) }
            case "default": if value == nil || value == .null { value = .string(text ?? "") }
            default: break
            }
        }
        return value
    }

    /// A value's text, as a placeholder renders it.
    static func text(of value: JSONValue?) -> String {
        switch value {
        case nil, .null?: ""
        case .string(let text)?: text
        case .bool(let flag)?: flag ? "true" : "false"
        case .int(let number)?: String(number)
        case .double(let number)?:
            number.rounded() == number && abs(number) < 1e15 ? String(Int(number)) : String(number)
        case .array(let items)?: items.map { text(of: $0) }.joined(separator: ",")
        case .object?: value?.jsonText ?? ""
        }
    }

    /// Why a template does not parse.
    public struct Problem: Error, Sendable, Hashable {
        /// What is wrong.
        public let message: String
        init(_ message: String) { self.message = message }
    }
}

extension JSONValue {
    /// The value at a path of object keys and array indexes; `nil` where it leads nowhere.
    func at(_ path: [String]) -> JSONValue? {
        var current: JSONValue? = self
        for key in path {
            switch current {
            case .object(let members)?: current = members[key]
            case .array(let items)?: current = Int(key).flatMap { items.indices.contains($0) ? items[$0] : nil }
            default: return nil
            }
        }
        return current
    }

    /// The value at a dotted path (`data.issues.pageInfo`); itself for an empty path.
    func at(dotted path: String?) -> JSONValue? {
        guard let path, !path.isEmpty else { return self }
        return at(path.split(separator: ".").map(String.init))
    }
}
