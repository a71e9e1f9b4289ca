public import Foundation
public import MaxCore

/// What a token endpoint answers: an access token, how long it lives, and (when the provider
/// issues or rotates one) a refresh token.
public struct OAuth2Tokens: Sendable {
    /// The bearer access token.
    public var accessToken: Secret
    /// The refresh token, when the provider sent one (a rotating provider sends a new one each time).
    public var refreshToken: Secret?
    /// How long the access token lives, when the provider says.
    public var expiresIn: Duration?

    /// Creates tokens.
    public init(accessToken: Secret, refreshToken: Secret?, expiresIn: Duration?) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
    }

    /// Reads a token response (RFC 6749 §5.1).
    ///
    /// - Throws: `onboarding.oauth_failed` when it has no `access_token`; never quotes the body.
    init(response body: Data, from endpoint: String) throws {
        struct Body: Decodable {
            let accessToken: String?
            let refreshToken: String?
            let expiresIn: Double?

            enum CodingKeys: String, CodingKey {
                case accessToken = "access_token"
                case refreshToken = "refresh_token"
                case expiresIn = "expires_in"
            }
        }
        guard let decoded = try? JSONDecoder().decode(Body.self, from: body), let access = decoded.accessToken,
            !access.isEmpty
        else {
            throw MaxError(
                .oauthFailed, "the token endpoint \(endpoint) answered without an access token",
                hint: "check the connector's token URL", context: ["endpoint": endpoint])
        }
        accessToken = Secret(access)
        refreshToken = decoded.refreshToken.flatMap { $0.isEmpty ? nil : Secret($0) }
        expiresIn = decoded.expiresIn.map { .milliseconds(Int64($0 * 1000)) }
    }
}

/// A stored access token and when it expires: what an OAuth 2.0 installation keeps besides its
/// refresh token, so every process of the installation shares one token until it lapses.
public struct OAuth2AccessToken: CredentialValue, Sendable {
    /// The token.
    public var token: String
    /// When it expires, if known.
    public var expiresAt: Date?

    /// Creates a stored access token.
    public init(token: String, expiresAt: Date?) {
        self.token = token
        self.expiresAt = expiresAt
    }

    /// Reads `<epoch seconds or -> <token>`.
    ///
    /// - Throws: `credentials.invalid_value`.
    public init(credentialText: String) throws {
        let parts = credentialText.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw MaxError(.credentialInvalid, "a stored access token is malformed")
        }
        token = String(parts[1])
        expiresAt = parts[0] == "-" ? nil : Double(parts[0]).map { Date(timeIntervalSince1970: $0) }
    }

    /// `<epoch seconds or -> <token>`.
    public var credentialText: String {
        (expiresAt.map { String($0.timeIntervalSince1970) } ?? "-") + " " + token
    }
}
