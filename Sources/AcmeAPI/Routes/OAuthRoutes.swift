import Foundation
import Hummingbird

/// `GET /oauth/authorize` (approves at once, redirecting to a loopback `redirect_uri`) and
/// `POST /oauth/token` (`authorization_code` with PKCE, and rotating `refresh_token`) and
/// `POST /oauth/revoke` (RFC 7009: `token=…`, always 200).
enum OAuthRoutes {
    static func add<Context: RequestContext>(to router: Router<Context>, state: AcmeState) {
        router.get("oauth/authorize") { request, _ -> Response in
            let query = request.uri.queryParameters
            func value(_ name: String) -> String? { query[Substring(name)].map(String.init) }
            do {
                guard value("response_type") == "code" else {
                    throw OAuthError.invalidRequest("response_type must be code")
                }
                guard let clientID = value("client_id"), !clientID.isEmpty else {
                    throw OAuthError.invalidRequest("client_id is required")
                }
                guard let redirect = value("redirect_uri"), let url = URL(string: redirect), url.scheme == "http",
                    ["127.0.0.1", "localhost", "::1", "[::1]"].contains(url.host ?? "")
                else { throw OAuthError.invalidRequest("redirect_uri must be an http loopback URL") }
                guard let challenge = value("code_challenge"), challenge.count >= 43 else {
                    throw OAuthError.invalidRequest("code_challenge is required (PKCE)")
                }
                guard (value("code_challenge_method") ?? "S256") == "S256" else {
                    throw OAuthError.invalidRequest("code_challenge_method must be S256")
                }
                let code = state.oauth.issueCode(
                    clientID: clientID, redirectURI: redirect, challenge: challenge, scope: value("scope") ?? "")
                var components = URLComponents(string: redirect) ?? URLComponents()
                components.queryItems =
                    (components.queryItems ?? []) + [URLQueryItem(name: "code", value: code)]
                    + (value("state").map { [URLQueryItem(name: "state", value: $0)] } ?? [])
                return Response.redirect(to: components.string ?? redirect, type: .found)
            } catch let error as OAuthError {
                return try Reply.json(
                    ["error": error.code, "error_description": error.description], status: .badRequest)
            }
        }

        router.post("oauth/revoke") { request, _ -> Response in
            let fields = try await form(request)
            guard let token = fields["token"], !token.isEmpty else {
                return try Reply.json(
                    ["error": "invalid_request", "error_description": "token is required"], status: .badRequest)
            }
            state.oauth.revoke(token)
            return Response(status: .ok)
        }

        router.post("oauth/token") { request, _ -> Response in
            let fields = try await form(request)
            let ttl = state.options.tokenTTL
            do {
                switch fields["grant_type"] {
                case "authorization_code":
                    guard let code = fields["code"], let clientID = fields["client_id"],
                        let redirect = fields["redirect_uri"], let verifier = fields["code_verifier"]
                    else {
                        throw OAuthError.invalidRequest("code, client_id, redirect_uri and code_verifier are required")
                    }
                    return try Reply.json(
                        try state.oauth.exchange(
                            code: code, clientID: clientID, redirectURI: redirect, verifier: verifier, ttl: ttl))
                case "refresh_token":
                    guard let token = fields["refresh_token"] else {
                        throw OAuthError.invalidRequest("refresh_token is required")
                    }
                    return try Reply.json(try state.oauth.refresh(token, clientID: fields["client_id"], ttl: ttl))
                default:
                    throw OAuthError.unsupportedGrantType("grant_type must be authorization_code or refresh_token")
                }
            } catch let error as OAuthError {
                return try Reply.json(
                    ["error": error.code, "error_description": error.description], status: .badRequest)
            }
        }
    }

    /// The fields of an `application/x-www-form-urlencoded` body.
    static func form(_ request: Request) async throws -> [String: String] {
        var request = request
        let text = String(buffer: try await request.collectBody(upTo: 65_536))
        let components = URLComponents(string: "?" + text.replacingOccurrences(of: "+", with: "%20"))
        return Dictionary(
            (components?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
    }
}
