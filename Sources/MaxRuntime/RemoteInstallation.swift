import Foundation
public import MaxConnector
public import MaxCore

/// An installation served by another Max node (`"provider": "remote"` in `max.json`): its
/// `location.url` is the installation on that node (`http://host:port/v1/installations/acme`), and
/// its token a credential named `token` (an `env:` reference, or stored sealed).
///
/// Reads go to the node; its errors come back with their own codes.
public struct RemoteInstallation: Sendable {
    /// The installation's URL on the node.
    public let url: String
    private let token: Secret
    private let http: ConnectorHTTPClient

    /// A remote installation at `url` reached with `token`.
    public init(url: String, token: Secret, http: ConnectorHTTPClient = ConnectorHTTPClient(timeout: .seconds(30))) {
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.token = token
        var http = http
        http.retryPolicy = .interactive
        self.http = http
    }

    /// GETs `path` (under the installation's URL, or the URL itself when empty) with `query`.
    ///
    /// - Throws: the node's error with its code (`search.invalid_filter`, `serve.unauthorized`…);
    ///   `http.*` when the node cannot be reached.
    public func get(_ path: String, query: [(String, String?)] = []) async throws -> JSONValue {
        try await send(.get, path, query: query, through: http)
    }

    /// POSTs to `path` with `query` and no body, once: a POST that starts work (a sync) is not
    /// repeated on a failure, and may take up to `timeout`.
    ///
    /// - Throws: as ``get(_:query:)``.
    public func post(
        _ path: String, query: [(String, String?)] = [], body: JSONValue? = nil, headers: [(String, String)] = [],
        timeout: Duration
    ) async throws -> JSONValue {
        var once = http
        once.retryPolicy = .none
        once.timeout = timeout
        return try await send(.post, path, query: query, body: body, headers: headers, through: once)
    }

    private func send(
        _ method: ConnectorHTTPClient.Method, _ path: String, query: [(String, String?)], body: JSONValue? = nil,
        headers: [(String, String)] = [], through http: ConnectorHTTPClient
    ) async throws -> JSONValue {
        var components = URLComponents(string: url + path)
        let items = query.compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
        if !items.isEmpty { components?.queryItems = items }
        guard let target = components?.string else {
            throw MaxError(
                .invalidProjectFile, "'\(url)' is not a valid remote installation URL", context: ["url": url])
        }
        var sent = [("Authorization", "Bearer \(token.revealed)")] + headers
        if body != nil { sent.append(("Content-Type", "application/json")) }
        let response = try await http.send(
            .init(method, target, headers: sent, body: body.map { Data($0.jsonBytes) }))
        let body = (try? JSONValue(parsing: String(decoding: response.body, as: UTF8.self))) ?? .null
        guard response.isSuccess else {
            let remote = body["error"]
            let category: MaxError.Category =
                switch response.status {
                case 400: .validationError
                case 404: .notFound
                case 409: .conflict
                case 401, 403: .policyDenied
                default: .permanent
                }
            throw MaxError(
                Self.code(remote?["code"]?.stringValue, category: category),
                "the Max node at \(url) answered: " + (remote?["message"]?.stringValue ?? "status \(response.status)"),
                hint: remote?["hint"]?.stringValue, context: ["url": url, "status": String(response.status)])
        }
        return body
    }

    /// The code a node sent (`domain.name`), or `remote.failed`.
    static func code(_ text: String?, category: MaxError.Category) -> MaxError.Code {
        let parts = (text ?? "remote.failed").split(separator: ".", maxSplits: 1).map(String.init)
        return MaxError.Code(
            domain: parts.first ?? "remote", name: parts.count > 1 ? parts[1] : "failed", category: category)
    }
}

extension FieldValue {
    /// A value as a remote node sent it: strings, numbers and booleans as themselves, arrays and
    /// objects as JSON (dates and refs arrive as strings and print the same).
    init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .string(let value): self = .string(value)
        case .int(let value): self = .int(value)
        case .double(let value): self = .double(value)
        case .bool(let value): self = .bool(value)
        case .array, .object: self = .json(json)
        }
    }
}
