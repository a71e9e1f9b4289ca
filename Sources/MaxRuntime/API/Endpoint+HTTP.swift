public import Foundation
public import MaxCore

extension Endpoint {
    /// The endpoint a request's method and path name, with the path's parameters.
    ///
    /// - Returns: `nil` when no endpoint has that method and path.
    public static func match(method: String, path: String) -> (Endpoint, [String: String])? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        for endpoint in allCases where endpoint.method == method {
            let template = endpoint.path.split(separator: "/", omittingEmptySubsequences: true)
            guard template.count == segments.count else { continue }
            var parameters: [String: String] = [:]
            var matches = true
            for (pattern, segment) in zip(template, segments) {
                if pattern.hasPrefix(":") {
                    parameters[String(pattern.dropFirst())] = String(segment).removingPercentEncoding ?? String(segment)
                } else if pattern != segment {
                    matches = false
                    break
                }
            }
            if matches { return (endpoint, parameters) }
        }
        return nil
    }

    /// The arguments of an HTTP request to this endpoint: its path parameters, query parameters,
    /// headers and body, each read as its parameter's kind.
    ///
    /// - Parameters:
    ///   - path: The path parameters by name.
    ///   - query: The query parameters.
    ///   - header: A header's value by name.
    ///   - body: The body, for an endpoint with a body parameter.
    /// - Returns: A JSON object of the parameters by name.
    /// - Throws: `api.invalid_request` naming a parameter that is not of its kind, or one that
    ///   is not the endpoint's.
    public func arguments(
        path: [String: String], query: [(String, String)], header: (String) -> String?, body: Data?
    ) throws -> JSONValue {
        var arguments: [String: JSONValue] = [:]
        let byName = Dictionary(parameters.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (name, value) in path {
            guard let parameter = byName[name] else { continue }
            arguments[name] = try parameter.value(ofText: value)
        }
        for (name, value) in query {
            guard let parameter = byName[name], parameter.location == .query else {
                let known = parameters.filter { $0.location == .query }.map(\.name)
                throw MaxError.invalidRequest(
                    "\(self.path) takes no query parameter '\(name.prefix(40))'"
                        + (known.isEmpty ? "" : "; it takes " + known.joined(separator: ", ")))
            }
            arguments[name] = try parameter.value(ofText: value)
        }
        for parameter in parameters {
            switch parameter.location {
            case .header(let name):
                if let value = header(name) { arguments[parameter.name] = try parameter.value(ofText: value) }
            case .body:
                let text =
                    body.map { String(decoding: $0, as: UTF8.self) }?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                do {
                    arguments[parameter.name] = text.isEmpty ? [:] : try JSONValue(parsing: text)
                } catch let error as MaxError {
                    throw MaxError(
                        .apiInvalidRequest, "the request body is not JSON: \(error.message)",
                        hint: "send the \(parameter.name) as a JSON object", cause: error)
                }
            case .path, .query: break
            }
        }
        return .object(arguments)
    }

    /// The HTTP request that calls this endpoint with `arguments` (as ``arguments(path:query:header:body:)``
    /// reads it back).
    ///
    /// - Throws: `api.invalid_request` when a path parameter is missing.
    public func request(arguments: JSONValue) throws -> NodeRequest {
        var segments: [String] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard segment.hasPrefix(":") else {
                segments.append(String(segment))
                continue
            }
            let name = String(segment.dropFirst())
            guard let parameter = parameters.first(where: { $0.name == name }),
                let text = arguments[name].flatMap(parameter.text(of:)), !text.isEmpty
            else { throw MaxError.invalidRequest("\(name) is required") }
            segments.append(text.addingPercentEncoding(withAllowedCharacters: .urlPathSegmentAllowed) ?? text)
        }
        var items: [URLQueryItem] = []
        var headers: [(String, String)] = []
        var body: Data?
        for parameter in parameters {
            guard let value = arguments[parameter.name], value != .null else { continue }
            switch parameter.location {
            case .path: break
            case .query:
                if let text = parameter.text(of: value) {
                    items.append(URLQueryItem(name: parameter.name, value: text))
                }
            case .header(let name): if let text = parameter.text(of: value) { headers.append((name, text)) }
            case .body:
                body = Data(value.jsonBytes)
                headers.append(("Content-Type", "application/json"))
            }
        }
        var components = URLComponents()
        var target = "/" + segments.joined(separator: "/")
        if !items.isEmpty {
            components.queryItems = items
            // `+` is a space to many servers: send it encoded.
            target += "?" + (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        }
        return NodeRequest(method: method, target: target, headers: headers, body: body)
    }
}

extension CharacterSet {
    /// What a path segment may hold unencoded.
    static let urlPathSegmentAllowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))
}
