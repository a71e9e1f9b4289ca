/// A step that authorises Max with the user's account through OAuth 2.0 (authorization code with
/// PKCE and a loopback redirect) and stores the refresh token.
///
/// The platform runs the flow: it opens ``authorizationURL`` with a code challenge, receives the
/// code on a loopback redirect, exchanges it at ``tokenURL``, and writes the refresh token to the
/// credential store under ``credential``. Connectors then read access tokens through a
/// ``DerivedCredential`` that refreshes from it.
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

    /// Creates an OAuth 2.0 step.
    public init(
        _ label: String, provider: String, scopes: [String], credential: CredentialKey<String>,
        authorizationURL: String, tokenURL: String, clientID: String
    ) {
        self.label = label
        self.provider = provider
        self.scopes = scopes
        self.credential = credential
        self.authorizationURL = authorizationURL
        self.tokenURL = tokenURL
        self.clientID = clientID
    }
}
