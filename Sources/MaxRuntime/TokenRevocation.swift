import Foundation
public import MaxConnector
public import MaxCore

/// The OAuth tokens an installation holds at providers that can revoke them (RFC 7009), read from
/// its credential store before they are replaced or wiped, and revoked after.
///
/// A connector declares the endpoint on its OAuth step (``OAuth2Step/revocationURL``); API keys
/// and providers without one are left as they are.
struct TokenRevocation: Sendable {
    /// One token to revoke.
    struct Token: Sendable {
        /// `refresh_token` or `access_token`.
        var kind: String
        /// The token.
        var value: Secret
        /// The revocation endpoint.
        var url: String
        /// The client the token was issued to.
        var clientID: String
        /// The provider's name, for messages.
        var provider: String
    }

    /// What revoking did.
    struct Outcome: Sendable {
        /// The kinds revoked, in order (`refresh_token`, `access_token`).
        var revoked: [String] = []
        /// Why one could not be revoked, if one could not.
        var error: MaxError?
        /// The provider, for messages.
        var provider: String?
    }

    /// The tokens, refresh tokens first (at providers that follow RFC 7009 §2.1, revoking one
    /// ends its access tokens too).
    var tokens: [Token]

    /// Reads the tokens of `flow`'s OAuth steps that `config` goes through and that declare a
    /// revocation endpoint.
    ///
    /// Unreadable or missing tokens are skipped: there is nothing to revoke.
    static func held(
        by flow: OnboardingFlow, config: OnboardingState, in store: any CredentialStore
    ) async -> TokenRevocation {
        var refresh: [Token] = []
        var access: [Token] = []
        for step in flow.oauthSteps(for: config) {
            guard let template = step.revocationURL else { continue }
            let url = OAuth2Step.resolve(template, with: config)
            if let token = try? await store.secret(named: step.credential.name) {
                refresh.append(
                    Token(
                        kind: "refresh_token", value: token, url: url, clientID: step.clientID,
                        provider: step.provider))
            }
            if let token = try? await store.get(step.accessToken) {
                access.append(
                    Token(
                        kind: "access_token", value: Secret(token.token), url: url, clientID: step.clientID,
                        provider: step.provider))
            }
        }
        return TokenRevocation(tokens: refresh + access)
    }

    /// The tokens, leaving out any `store` holds now (a provider that issued the same token again).
    func excluding(tokensIn store: any CredentialStore, of flow: OnboardingFlow, config: OnboardingState) async
        -> TokenRevocation
    {
        let current = await Self.held(by: flow, config: config, in: store).tokens.map(\.value.revealed)
        return TokenRevocation(tokens: tokens.filter { !current.contains($0.value.revealed) })
    }

    /// Revokes each token; the first failure stops the rest and is reported, never thrown.
    func revoke() async -> Outcome {
        var outcome = Outcome(provider: tokens.first?.provider)
        for token in tokens {
            do {
                try await OAuth2Client(tokenURL: token.url, clientID: token.clientID)
                    .revoke(token.value, hint: token.kind, at: token.url)
                outcome.revoked.append(token.kind)
            } catch {
                outcome.error = MaxError.wrapping(error)
                break
            }
        }
        return outcome
    }
}

/// What re-entering an installation's credentials did.
public struct Reauthentication: Sendable {
    /// The names of the credentials stored.
    public var stored: [String]
    /// The kinds of old tokens revoked at the provider (`refresh_token`, `access_token`); empty
    /// when its connector declares no revocation endpoint.
    public var revoked: [String]
    /// The provider that revoked them, or refused to.
    public var provider: String?
    /// Why an old token could not be revoked, if one could not: the new credentials are stored
    /// either way.
    public var revocationError: MaxError?
    /// The health check run with the new credentials.
    public var health: HealthStatus?
}
