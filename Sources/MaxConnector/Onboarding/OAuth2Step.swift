import Foundation
import MaxCore

/// A step that authorises Max with the user's account through OAuth 2.0 (authorization code with
/// PKCE and a loopback redirect) and stores the refresh token.
///
/// The platform runs the flow: it opens ``authorizationURL`` with a code challenge, receives the
/// code on a loopback redirect, exchanges it at ``tokenURL``, and writes the refresh token to the
/// credential store under ``credential`` and the access token under ``accessToken``. Connectors
/// then read access tokens through an ``OAuth2Session``, which refreshes them.
public struct OAuth2Step: Sendable {
    /// The step's label ("Connect your Acme account").
    public let label: String
    /// The provider's name, for messages.
    public let provider: String
    /// The scopes to ask for.
    public let scopes: [String]
    /// Where the refresh token is stored.
    public let credential: CredentialKey<String>
    /// The authorization endpoint; a template may use `{baseURL}` and other state values.
    public let authorizationURL: String
    /// The token endpoint; a template may use `{baseURL}` and other state values.
    public let tokenURL: String
    /// The public client id registered with the provider.
    public let clientID: String
    /// Where the current access token (and when it expires) is stored.
    public let accessToken: CredentialKey<OAuth2AccessToken>
    /// The provider's token revocation endpoint (RFC 7009), if it has one.
    ///
    /// A template like ``tokenURL``. With one, re-authenticating and disconnecting revoke the old tokens there.
    public let revocationURL: String?

    /// Creates an OAuth 2.0 step.
    public init(
        _ label: String, provider: String, scopes: [String], credential: CredentialKey<String>,
        authorizationURL: String, tokenURL: String, clientID: String,
        accessToken: CredentialKey<OAuth2AccessToken> = CredentialKey("access_token"), revocationURL: String? = nil
    ) {
        self.label = label
        self.provider = provider
        self.scopes = scopes
        self.credential = credential
        self.authorizationURL = authorizationURL
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.accessToken = accessToken
        self.revocationURL = revocationURL
    }

    /// `template` with each `{name}` replaced by the state's text value of that name.
    public static func resolve(_ template: String, with state: OnboardingState) -> String {
        var text = template
        for (name, value) in state {
            guard let string = value.stringValue, text.contains("{\(name)}") else { continue }
            text = text.replacingOccurrences(of: "{\(name)}", with: string)
        }
        return text
    }
}
