import Foundation
public import MaxConnector
public import MaxCore

/// Talks to an Acme tenant over the shared connector HTTP client, with the API token read from
/// the credential store for each request.
public struct AcmeClient: Sendable {
    /// The tenant's base URL, without a trailing slash.
    public let baseURL: String
    private let credentials: any CredentialStore
    private let http: ConnectorHTTPClient

    /// Creates a client.
    public init(baseURL: String, credentials: any CredentialStore, http: ConnectorHTTPClient = .shared) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.credentials = credentials
        self.http = http
    }

    /// GETs `path` (with `query`) and decodes the JSON body.
    ///
    /// - Throws: `credentials.missing`; `http.*` errors; a rejected token becomes
    ///   `http.unauthorized` with the message "the API token was rejected".
    public func get<T: Decodable>(_ path: String, query: [(String, String)] = [], as type: T.Type = T.self) async throws
        -> T
    {
        try await response(path, query: query).decode(T.self)
    }

    /// GETs `path` (with `query`) and reads the JSON body with `body`.
    ///
    /// - Throws: as ``get(_:query:as:)``; `http.invalid_response` when the body does not read.
    public func read<T>(_ path: String, query: [(String, String)] = [], _ body: (inout JSONReader) throws -> T)
        async throws -> T
    {
        try await response(path, query: query).read(body)
    }

    /// One page of a list endpoint: at most `page.limit` objects after the cursor (an id), each read
    /// by `entity`.
    ///
    /// - Throws: as ``read(_:query:_:)``.
    public func page(
        _ path: String, filter: [(String, String)], page: PageRequest, entity: (inout JSONReader) throws -> EntityInput
    ) async throws -> Page<EntityInput> {
        var query = filter + [("limit", String(page.limit))]
        if let after = page.cursor { query.append(("after", after)) }
        var items: [EntityInput] = []
        items.reserveCapacity(page.limit)
        try await response(path, query: query).read { reader in
            try reader.forEachElement { items.append(try entity(&$0)) }
        }
        let next = items.count == page.limit ? items.last?.ref.id : nil
        return Page(items: items, hasMore: next != nil, cursor: next)
    }

    /// GETs `path` with the token, and returns the response if it is a success.
    private func response(_ path: String, query: [(String, String)]) async throws -> ConnectorHTTPClient.Response {
        let token = try await credentials.get(AcmeCredentials.apiToken)
        var components = URLComponents(string: baseURL + path)
        if !query.isEmpty { components?.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components?.string else {
            throw MaxError(.httpInvalidRequest, "'\(baseURL)' is not a valid Acme URL", context: ["baseURL": baseURL])
        }
        let response = try await http.send(.init(.get, url, headers: [("Authorization", "Bearer \(token)")]))
        if response.status == 401 || response.status == 403 {
            throw MaxError(
                .httpUnauthorized, "the API token was rejected by \(baseURL) (\(response.status))",
                hint:
                    "create a new API token in Acme, then enter it: \"max disconnect <installation> --keep-data\", then \"max connect acme --name <installation>\"",
                context: ["status": String(response.status)])
        }
        return try response.requireSuccess()
    }
}

/// The Acme connector's credentials.
public enum AcmeCredentials {
    /// The tenant's API token (`acme_…`), entered during onboarding.
    public static let apiToken = Credential.key("api_token")
}
