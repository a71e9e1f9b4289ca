import MaxCore

/// A type a credential can hold: it round-trips through the text the store keeps.
public protocol CredentialValue: Sendable {
    /// Reads the value from stored text.
    ///
    /// - Throws: `credentials.invalid_value` when the text is not a valid value.
    init(credentialText: String) throws
    /// The text to store.
    var credentialText: String { get }
}

extension String: CredentialValue {
    /// The text itself.
    public init(credentialText: String) { self = credentialText }
    /// The string itself.
    public var credentialText: String { self }
}

/// A typed reference to a secret stored during onboarding, such as an API token.
///
/// ```swift
/// static let apiToken = Credential.key("api_token")
/// let token: String = try await credentials.get(apiToken)
/// ```
public struct CredentialKey<Value: CredentialValue>: Sendable, Hashable {
    /// The name the secret is stored under.
    public let name: String

    /// Creates a key.
    public init(_ name: String) {
        self.name = name
    }
}

/// A typed reference to a secret computed from others, such as an OAuth access token refreshed from a stored refresh
/// token.
///
/// The store caches it and refreshes it when it expires.
///
/// ```swift
/// static let accessToken = Credential.derived("access_token", expiresIn: .seconds(3500)) { store in
///     try await OAuthClient.refresh(using: try await store.get(refreshToken))
/// }
/// ```
public struct DerivedCredential<Value: CredentialValue>: Sendable {
    /// The name the value is cached under.
    public let name: String
    /// How long a refreshed value may be used; `nil` for as long as the process lives.
    public let expiresIn: Duration?
    /// Computes a fresh value, typically from stored credentials.
    public let refresh: @Sendable (any CredentialStore) async throws -> Value

    /// Creates a derived credential.
    public init(
        _ name: String, expiresIn: Duration? = nil,
        refresh: @escaping @Sendable (any CredentialStore) async throws -> Value
    ) {
        self.name = name
        self.expiresIn = expiresIn
        self.refresh = refresh
    }
}

/// Factories for credential keys, read as a connector's credential "schema".
public enum Credential {
    /// A stored text secret.
    public static func key(_ name: String) -> CredentialKey<String> { CredentialKey(name) }

    /// A stored secret of another type.
    public static func key<Value: CredentialValue>(_ name: String, as type: Value.Type) -> CredentialKey<Value> {
        CredentialKey(name)
    }

    /// A text secret derived from others, refreshed after `expiresIn`.
    public static func derived(
        _ name: String, expiresIn: Duration? = nil,
        refresh: @escaping @Sendable (any CredentialStore) async throws -> String
    ) -> DerivedCredential<String> {
        DerivedCredential(name, expiresIn: expiresIn, refresh: refresh)
    }
}
