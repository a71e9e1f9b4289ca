import Crypto
import Foundation
import Synchronization

/// Acme's OAuth 2.0 state: authorization codes, access tokens and rotating refresh tokens.
///
/// Codes carry their PKCE challenges; access tokens expire; using a refresh token issues a new one
/// and retires the old. Every token belongs to a grant (one authorization); revoking a refresh token
/// ends its grant's access tokens too.
final class OAuthStore: Sendable {
    struct Grant: Sendable {
        let clientID: String
        let redirectURI: String
        let challenge: String
        let scope: String
        let expiresAt: Date
    }

    struct Tokens: Codable, Sendable {
        let accessToken: String
        let tokenType: String
        let expiresIn: Int
        let refreshToken: String
        let scope: String

        private enum CodingKeys: String, CodingKey {
            case accessToken = "access_token"
            case tokenType = "token_type"
            case expiresIn = "expires_in"
            case
                refreshToken = "refresh_token"
            case scope
        }
    }

    /// How many times each grant type was honoured, for tests that count refreshes.
    struct Counts: Sendable {
        var exchanges = 0
        var refreshes = 0
        var revocations = 0
    }

    private struct State {
        var codes: [String: Grant] = [:]
        var accessTokens: [String: (expiresAt: Date, grant: Int)] = [:]
        var refreshTokens: [String: (clientID: String, scope: String, grant: Int)] = [:]
        var nextGrant = 0
        var counts = Counts()
    }

    private let state = Mutex(State())

    /// Issues an authorization code for a PKCE challenge; codes live ten minutes and work once.
    func issueCode(clientID: String, redirectURI: String, challenge: String, scope: String, now: Date = Date())
        -> String
    {
        let code = "acme_code_" + Self.token()
        state.withLock {
            $0.codes[code] = Grant(
                clientID: clientID, redirectURI: redirectURI, challenge: challenge, scope: scope,
                expiresAt: now.addingTimeInterval(600))
        }
        return code
    }

    /// Exchanges a code and its PKCE verifier for tokens.
    func exchange(code: String, clientID: String, redirectURI: String, verifier: String, ttl: Int, now: Date = Date())
        throws -> Tokens
    {
        try state.withLock { state in
            guard let grant = state.codes.removeValue(forKey: code), grant.expiresAt > now else {
                throw OAuthError.invalidGrant("the authorization code is unknown, used or expired")
            }
            guard grant.clientID == clientID, grant.redirectURI == redirectURI else {
                throw OAuthError.invalidGrant("client_id or redirect_uri do not match the authorization request")
            }
            guard Self.challenge(for: verifier) == grant.challenge else {
                throw OAuthError.invalidGrant("the code_verifier does not match the code_challenge")
            }
            state.nextGrant += 1
            state.counts.exchanges += 1
            return Self.issue(
                &state, clientID: clientID, scope: grant.scope, grant: state.nextGrant, ttl: ttl, now: now)
        }
    }

    /// Exchanges a refresh token for new tokens; the old refresh token stops working.
    func refresh(_ refreshToken: String, clientID: String?, ttl: Int, now: Date = Date()) throws -> Tokens {
        try state.withLock { state in
            guard let grant = state.refreshTokens.removeValue(forKey: refreshToken) else {
                throw OAuthError.invalidGrant("the refresh token is unknown or was already used")
            }
            if let clientID, clientID != grant.clientID {
                throw OAuthError.invalidGrant("the refresh token was issued to another client")
            }
            state.counts.refreshes += 1
            return Self.issue(
                &state, clientID: grant.clientID, scope: grant.scope, grant: grant.grant, ttl: ttl, now: now)
        }
    }

    /// Revokes a token (RFC 7009); unknown tokens are not an error.
    ///
    /// A refresh token ends its whole grant (its access tokens stop working too); an access token
    /// ends alone.
    func revoke(_ token: String) {
        state.withLock { state in
            state.counts.revocations += 1
            if let grant = state.refreshTokens.removeValue(forKey: token)?.grant {
                state.accessTokens = state.accessTokens.filter { $0.value.grant != grant }
            } else {
                state.accessTokens[token] = nil
            }
        }
    }

    /// Revokes every grant, as a tenant admin removing an app's access does: every refresh and
    /// access token stops working.
    ///
    /// - Returns: How many refresh tokens were revoked.
    func revokeAll() -> Int {
        state.withLock { state in
            let count = state.refreshTokens.count
            state.counts.revocations += count
            state.refreshTokens = [:]
            state.accessTokens = [:]
            return count
        }
    }

    /// The grants honoured so far.
    var counts: Counts { state.withLock { $0.counts } }

    /// Whether `token` is a live access token.
    func isValidAccessToken(_ token: String, now: Date = Date()) -> Bool {
        guard token.hasPrefix("acme_at_") else { return false }
        return state.withLock { $0.accessTokens[token].map { $0.expiresAt > now } ?? false }
    }

    private static func issue(
        _ state: inout State, clientID: String, scope: String, grant: Int, ttl: Int, now: Date
    ) -> Tokens {
        let access = "acme_at_" + token()
        let refresh = "acme_rt_" + token()
        state.accessTokens[access] = (now.addingTimeInterval(Double(ttl)), grant)
        state.refreshTokens[refresh] = (clientID, scope, grant)
        return Tokens(accessToken: access, tokenType: "Bearer", expiresIn: ttl, refreshToken: refresh, scope: scope)
    }

    /// BASE64URL(SHA256(verifier)), the S256 code challenge.
    static func challenge(for verifier: String) -> String {
        Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func token() -> String {
        var random = SystemRandomNumberGenerator()
        return AcmeRandom.hex(random.next()) + AcmeRandom.hex(random.next())
    }
}

/// An OAuth error, answered as `{"error": code, "error_description": …}` with status 400.
enum OAuthError: Error {
    case invalidRequest(String)
    case invalidGrant(String)
    case unsupportedGrantType(String)

    var code: String {
        switch self {
        case .invalidRequest: "invalid_request"
        case .invalidGrant: "invalid_grant"
        case .unsupportedGrantType: "unsupported_grant_type"
        }
    }

    var description: String {
        switch self {
        case .invalidRequest(let text), .invalidGrant(let text), .unsupportedGrantType(let text): text
        }
    }
}
