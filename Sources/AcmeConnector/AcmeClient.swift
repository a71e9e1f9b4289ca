import Foundation
public import MaxConnector
public import MaxCore

/// How Max signs in to Acme.
public enum AcmeAuth: String, Sendable, Codable {
    /// An API token entered during onboarding.
    case token
    /// OAuth 2.0 access tokens, refreshed from the refresh token the authorization stored.
    case oauth
}

/// Talks to an Acme tenant over the shared connector HTTP client, signed in with the API token
/// from the credential store or an OAuth 2.0 access token.
///
/// With OAuth, a request the API rejects (401) is sent once more with a refreshed token; rejected
/// again, it fails with `credentials.expired`.
public struct AcmeClient: Sendable {
    /// The tenant's base URL, without a trailing slash.
    public let baseURL: String
    let credentials: any CredentialStore
    private let http: ConnectorHTTPClient
    private let session: OAuth2Session?

    /// Creates a client.
    public init(
        baseURL: String, auth: AcmeAuth = .token, credentials: any CredentialStore, http: ConnectorHTTPClient = .shared
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.credentials = credentials
        self.http = http
        self.session =
            auth == .oauth
            ? OAuth2Session(
                step: AcmeOnboarding.oauth, state: ["baseURL": .string(self.baseURL)], credentials: credentials,
                http: http)
            : nil
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
        try await send(.get, path, query: query).requireSuccess()
    }

    /// Sends a request with the installation's credentials and returns the response, whatever
    /// its status, except that refused credentials are an error.
    ///
    /// With OAuth, a 401 or 403 forces one refresh of the access token and one more try; then the
    /// credentials are `credentials.expired`.
    ///
    /// - Throws: `http.unauthorized` for a rejected API token; `credentials.expired`; the
    ///   client's transport errors.
    public func send(
        _ method: ConnectorHTTPClient.Method, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil
    ) async throws -> ConnectorHTTPClient.Response {
        var components = URLComponents(string: baseURL + path)
        if !query.isEmpty { components?.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components?.string else {
            throw MaxError(.httpInvalidRequest, "'\(baseURL)' is not a valid Acme URL", context: ["baseURL": baseURL])
        }
        func request(_ token: String) -> ConnectorHTTPClient.Request {
            var headers = [("Authorization", "Bearer \(token)")]
            if body != nil { headers.append(("Content-Type", "application/json")) }
            return .init(method, url, headers: headers, body: body.map { Data($0.jsonText.utf8) })
        }
        guard let session else {
            let token = try await credentials.get(AcmeCredentials.apiToken)
            let response = try await http.send(request(token))
            if response.status == 401 || response.status == 403 {
                throw MaxError(
                    .httpUnauthorized, "the API token was rejected by \(baseURL) (\(response.status))",
                    hint: "create a new API token in Acme, then enter it: \"\(MaxError.reauthenticateCommand())\"",
                    context: ["status": String(response.status)])
            }
            return response
        }
        var token = try await session.accessToken()
        var response = try await http.send(request(token))
        if response.status == 401 || response.status == 403 {
            // The token lapsed or was revoked before its time: one refresh, then give up.
            try await session.reject(token)
            token = try await session.accessToken()
            response = try await http.send(request(token))
            if response.status == 401 || response.status == 403 {
                throw MaxError.credentialsExpired(
                    "\(baseURL) rejects the installation's OAuth access token even after a refresh (\(response.status))"
                )
            }
        }
        return response
    }
}

/// The Acme connector's credentials.
public enum AcmeCredentials {
    /// The tenant's API token (`acme_…`), entered during onboarding.
    public static let apiToken = Credential.key("api_token")
    /// The OAuth 2.0 refresh token (`acme_rt_…`), stored by the authorization and rotated on use.
    public static let refreshToken = Credential.key("refresh_token")
    /// The current OAuth 2.0 access token (`acme_at_…`) and when it expires.
    public static let accessToken = Credential.key("access_token", as: OAuth2AccessToken.self)
}
