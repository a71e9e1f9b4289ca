import Foundation
import MaxConnector
import MaxCore
import MaxCredentials

/// Runs an ``OAuth2Step``: the authorization-code flow with PKCE (RFC 7636) and a loopback
/// redirect (RFC 8252).
///
/// It listens on `127.0.0.1`, hands the authorization URL to `authorize` (which prints it and may
/// open a browser), waits for the redirect carrying its `state`, exchanges the code at the token
/// endpoint, and stores the refresh token and the access token through the step's typed keys.
struct OAuth2Authorization {
    let step: OAuth2Step
    let state: OnboardingState
    let authorize: @Sendable (URL) async -> Void
    let timeout: Duration
    var http: ConnectorHTTPClient = .shared

    /// Runs the flow, storing the tokens in `store`.
    ///
    /// - Throws: `onboarding.oauth_failed` (denied, timed out, refused exchange, a malformed
    ///   authorization URL); `CancellationError` when interrupted; `http.*` errors.
    func run(store: any CredentialStore) async throws {
        let secretState = PKCE.state()
        let verifier = PKCE.verifier()
        let receiver = try await LoopbackRedirectReceiver.start(state: secretState)
        do {
            let url = try authorizationURL(
                redirectURI: receiver.redirectURI, challenge: PKCE.challenge(for: verifier), state: secretState)
            await authorize(url)
            let query = try await receiver.callback(timeout: timeout)
            await receiver.close()
            if let error = query["error"] {
                throw MaxError(
                    .oauthFailed, "\(step.provider) did not grant the authorization (\(Self.printable(error)))",
                    hint: "run the command again and approve the request", context: ["step": step.label])
            }
            guard let code = query["code"], !code.isEmpty else {
                throw MaxError(
                    .oauthFailed, "the redirect from \(step.provider) carried no authorization code",
                    hint: "run the command again", context: ["step": step.label])
            }
            let started = Date()
            let client = OAuth2Client(
                tokenURL: OAuth2Step.resolve(step.tokenURL, with: state), clientID: step.clientID, http: http)
            let tokens = try await client.exchange(code: code, verifier: verifier, redirectURI: receiver.redirectURI)
            if let refresh = tokens.refreshToken {
                try await store.setSecret(refresh, named: step.credential.name)
            } else {
                try await store.removeSecret(named: step.credential.name)
            }
            let expiresAt = tokens.expiresIn.map { started.addingTimeInterval(Double($0.components.seconds)) }
            try await store.set(
                step.accessToken, OAuth2AccessToken(token: tokens.accessToken.revealed, expiresAt: expiresAt))
        } catch {
            await receiver.close()
            throw error
        }
    }

    /// The authorization endpoint with the request's parameters.
    func authorizationURL(redirectURI: String, challenge: String, state secretState: String) throws -> URL {
        let endpoint = OAuth2Step.resolve(step.authorizationURL, with: state)
        guard var components = URLComponents(string: endpoint), components.scheme != nil, components.host != nil
        else {
            throw MaxError(
                .oauthFailed, "the \(step.provider) authorization URL '\(endpoint)' is not a valid URL",
                context: ["step": step.label])
        }
        components.queryItems =
            (components.queryItems ?? []) + [
                URLQueryItem(name: "response_type", value: "code"),
                URLQueryItem(name: "client_id", value: step.clientID),
                URLQueryItem(name: "redirect_uri", value: redirectURI),
                URLQueryItem(name: "code_challenge", value: challenge),
                URLQueryItem(name: "code_challenge_method", value: "S256"),
                URLQueryItem(name: "state", value: secretState),
            ] + (step.scopes.isEmpty ? [] : [URLQueryItem(name: "scope", value: step.scopes.joined(separator: " "))])
        guard let url = components.url else {
            throw MaxError(.oauthFailed, "cannot build the \(step.provider) authorization URL")
        }
        return url
    }

    /// An OAuth error code as it may be shown: letters, digits and `_` only.
    static func printable(_ code: String) -> String {
        String(code.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "_" }.prefix(64))
    }
}
