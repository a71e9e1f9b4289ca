import Foundation
public import MaxCore

/// Talks to an OAuth 2.0 token endpoint (RFC 6749 §4.1.3 and §6): exchanges an authorization code
/// (with its PKCE verifier) and refresh tokens for access tokens.
///
/// Requests go through the shared ``ConnectorHTTPClient``; bodies (codes, verifiers, tokens) are
/// never logged or put in errors.
public struct OAuth2Client: Sendable {
    /// The token endpoint.
    public let tokenURL: String
    /// The public client id.
    public let clientID: String
    private let http: ConnectorHTTPClient

    /// Creates a client for `tokenURL`.
    public init(tokenURL: String, clientID: String, http: ConnectorHTTPClient = .shared) {
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.http = http
    }

    /// Exchanges an authorization code for tokens.
    ///
    /// - Throws: `onboarding.oauth_failed` when the endpoint refuses; `http.*` errors.
    public func exchange(code: String, verifier: String, redirectURI: String) async throws -> OAuth2Tokens {
        let response = try await post([
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
            ("client_id", clientID), ("code_verifier", verifier),
        ])
        guard response.isSuccess else {
            throw MaxError(
                .oauthFailed,
                "the token endpoint \(Self.redacted(tokenURL)) refused the authorization code (\(Self.reason(response)))",
                hint: "run the command again to authorize afresh", context: ["status": String(response.status)])
        }
        return try OAuth2Tokens(response: response.body, from: Self.redacted(tokenURL))
    }

    /// Exchanges a refresh token for new tokens.
    ///
    /// - Throws: `credentials.expired` when the endpoint answers `invalid_grant` (the refresh token
    ///   was revoked, expired or already used: only re-authenticating helps); `http.*` errors
    ///   for failures that may pass.
    public func refresh(_ refreshToken: Secret) async throws -> OAuth2Tokens {
        let response = try await post([
            ("grant_type", "refresh_token"), ("refresh_token", refreshToken.revealed), ("client_id", clientID),
        ])
        if response.status == 400 || response.status == 401, Self.error(of: response) == "invalid_grant" {
            throw MaxError.credentialsExpired(
                "\(Self.redacted(tokenURL)) no longer accepts the installation's refresh token (revoked, expired or already used)"
            )
        }
        _ = try response.requireSuccess()
        return try OAuth2Tokens(response: response.body, from: Self.redacted(tokenURL))
    }

    /// Revokes `token` at the revocation endpoint `url` (RFC 7009 §2.1): a refresh token ends its
    /// whole grant at providers that follow §2.1, an access token ends alone.
    ///
    /// The endpoint answers 200 for a token it revoked or does not know (§2.2), so success means
    /// the token no longer works there.
    ///
    /// - Parameters:
    ///   - token: The token; never logged or put in an error.
    ///   - hint: `refresh_token` or `access_token`.
    ///   - url: The revocation endpoint.
    /// - Throws: `credentials.revocation_failed` when the endpoint refuses; `http.*` errors when it
    ///   cannot be reached.
    public func revoke(_ token: Secret, hint: String, at url: String) async throws {
        let response = try await post(
            [("token", token.revealed), ("token_type_hint", hint), ("client_id", clientID)], to: url)
        guard response.isSuccess else {
            throw MaxError(
                .revocationFailed,
                "the revocation endpoint \(Self.redacted(url)) refused to revoke the old \(hint) (\(Self.reason(response)))",
                hint: "revoke Max's access in the provider's settings", context: ["status": String(response.status)])
        }
    }

    private func post(_ fields: [(String, String)], to url: String? = nil) async throws -> ConnectorHTTPClient.Response
    {
        try await http.send(
            .init(
                .post, url ?? tokenURL,
                headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
                body: Data(Self.formEncoded(fields).utf8)))
    }

    /// `application/x-www-form-urlencoded` text for `fields`.
    static func formEncoded(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { name, value in
            (name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name) + "="
                + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
        }.joined(separator: "&")
    }

    /// The `error` member of an OAuth error body (`invalid_grant`), if any.
    private static func error(of response: ConnectorHTTPClient.Response) -> String? {
        (try? JSONSerialization.jsonObject(with: response.body) as? [String: Any])?["error"] as? String
    }

    /// The OAuth error code and status, for messages: never the description, which may echo input.
    private static func reason(_ response: ConnectorHTTPClient.Response) -> String {
        error(of: response).map { "\($0), status \(response.status)" } ?? "status \(response.status)"
    }

    /// A URL without its query string, for messages.
    static func redacted(_ url: String) -> String {
        url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
    }
}
