/// How requests are signed.
public struct AuthSpec: Codable, Sendable, Hashable {
    /// `bearer`, `header`, `query`, `basic` or `oauth2`.
    public var type: String
    /// The credential that holds the token or key (`bearer`, `header`, `query`).
    public var credential: String?
    /// The header or query parameter name (`header`, `query`).
    public var name: String?
    /// Text put before the secret in a `header` (`token `).
    public var prefix: String?
    /// The credentials holding the user name and password (`basic`).
    public var username: String?
    /// The credential holding the password (`basic`).
    public var password: String?
    /// The OAuth 2.0 authorization-code flow with PKCE (`oauth2`).
    public var oauth2: OAuth2Spec?
    /// Signs in this way only when config key `when.key` has the value `when.equals`; the first
    /// entry of ``alternatives`` whose condition holds wins.
    public var when: ConditionSpec?
    /// Other ways to sign in, chosen by config (a token, or OAuth 2.0).
    public var alternatives: [AuthSpec]?
}

/// An OAuth 2.0 authorization-code flow with PKCE.
public struct OAuth2Spec: Codable, Sendable, Hashable {
    /// The provider's authorization URL (a template over the config).
    public var authorizationURL: String
    /// The token URL (a template over the config).
    public var tokenURL: String
    /// The public client id.
    public var clientID: String
    /// The scopes asked for.
    public var scopes: [String]?
    /// The token revocation endpoint (RFC 7009), if the provider has one (a template over the
    /// config): re-authenticating and disconnecting revoke the old tokens there.
    public var revocationURL: String?
}

/// A condition on the installation's config.
public struct ConditionSpec: Codable, Sendable, Hashable {
    /// The config key.
    public var key: String
    /// The value it must have.
    public var equals: String
    /// Whether the condition also holds when the key is absent.
    public var orAbsent: Bool?
}
