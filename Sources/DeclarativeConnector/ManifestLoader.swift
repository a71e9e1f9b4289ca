public import Foundation
public import MaxCore
import MaxYAML

/// Reads a manifest from JSON or YAML text and checks it: against ``ManifestSchema`` first, then
/// what a schema cannot say (streams that name their parents, refs to declared types, templates
/// that read only what they can).
///
/// Every problem is reported with its path in the manifest (`streams[2].pagination.param`), all at
/// once, in one `manifest.invalid` error.
public enum ManifestLoader {
    /// Reads and checks the manifest in `text`.
    ///
    /// - Parameters:
    ///   - text: The manifest, JSON or YAML.
    ///   - source: Where it came from (a file path, or `bundled:github`), for messages.
    /// - Returns: The checked manifest.
    /// - Throws: `manifest.invalid` naming each problem and its path.
    public static func load(_ text: String, source: String) throws -> CompiledManifest {
        let json = try parse(text, source: source)
        let violations = try JSONSchema(ManifestSchema.schema).validate(json, limit: 20)
        guard violations.isEmpty else {
            throw invalid(source, violations.map { "\(jsonPath($0.path)): \($0.message)" })
        }
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: Data(json.jsonText.utf8))
        } catch {
            throw invalid(source, ["the manifest does not decode: \(error)"])
        }
        return try CompiledManifest(manifest, source: source, fieldOrders: fieldOrders(text))
    }

    /// Each stream's field names in the order the manifest writes them.
    static func fieldOrders(_ text: String) -> [[String]] {
        guard text.drop(while: \.isWhitespace).first == "{" else {
            return YAMLReader.orderedKeys(text, along: ["streams", "*", "fields"])
        }
        var orders: [[String]] = []
        var reader = JSONReader(text)
        try? reader.forEachMember { reader, key in
            guard key == "streams" else { return try reader.skip() }
            try reader.forEachElement { stream in
                var order: [String] = []
                try stream.forEachMember { stream, key in
                    guard key == "fields" else { return try stream.skip() }
                    try stream.forEachMember { field, name in
                        order.append(name)
                        try field.skip()
                    }
                }
                orders.append(order)
            }
        }
        return orders
    }

    /// Reads and checks the manifest file at `url` (`.json`, `.yaml` or `.yml`).
    ///
    /// - Throws: `manifest.not_found` when it cannot be read; `manifest.invalid`.
    public static func load(contentsOf url: URL) throws -> CompiledManifest {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw MaxError(
                .manifestNotFound, "cannot read the manifest \(url.path)",
                hint: "check the path; a relative path in max.json starts from the project folder",
                context: ["manifest": url.path])
        }
        return try load(text, source: url.path)
    }

    /// The manifest text as JSON: JSON when it starts with `{`, YAML otherwise.
    ///
    /// - Throws: `manifest.invalid` with the parser's line and column.
    public static func parse(_ text: String, source: String) throws -> JSONValue {
        if text.drop(while: \.isWhitespace).first == "{" {
            do {
                return try JSONValue(parsing: text, rejectingDuplicateKeys: true)
            } catch let error as MaxError {
                throw invalid(source, ["it is not valid JSON: \(error.message)"])
            }
        }
        let loaded: JSONValue?
        do {
            loaded = try YAMLReader.json(text)
        } catch {
            throw invalid(source, ["it is not valid YAML: \(error.message)"])
        }
        guard let loaded else { throw invalid(source, ["it is empty"]) }
        return loaded
    }

    /// A JSON pointer (`/streams/2/pagination`) as the path people read (`streams[2].pagination`).
    static func jsonPath(_ pointer: String) -> String {
        var path = ""
        for token in pointer.split(separator: "/", omittingEmptySubsequences: true) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if Int(key) != nil {
                path += "[\(key)]"
            } else {
                path += path.isEmpty ? key : ".\(key)"
            }
        }
        return path.isEmpty ? "the manifest" : path
    }

    static func invalid(_ source: String, _ problems: [String]) -> MaxError {
        MaxError(
            .manifestInvalid,
            "the manifest \(source) is invalid: " + problems.prefix(12).joined(separator: "; ")
                + (problems.count > 12 ? "; and \(problems.count - 12) more" : ""),
            hint: "fix it (the reference is docs/declarative-connectors.md), then run max connector validate",
            context: ["manifest": source, "problems": String(problems.count)])
    }
}

extension MaxError.Code {
    /// A manifest does not follow the manifest schema, or names what it does not declare.
    public static let manifestInvalid = Self(domain: "manifest", name: "invalid", category: .validationError)
    /// A manifest file cannot be read.
    public static let manifestNotFound = Self(domain: "manifest", name: "not_found", category: .notFound)
    /// A stream's pagination does not end: a page repeats a position, or the pages exceed `maxPages`.
    public static let manifestPaginationLoop = Self(domain: "manifest", name: "pagination_loop", category: .permanent)
    /// A stream's records are not where the manifest says, or a record lacks its id.
    public static let manifestNoRecords = Self(domain: "manifest", name: "no_records", category: .permanent)
    /// A GraphQL source answered with errors.
    public static let manifestGraphQLError = Self(domain: "manifest", name: "graphql_error", category: .permanent)
}
