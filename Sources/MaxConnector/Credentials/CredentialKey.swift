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

/// A freshly computed value of a ``DerivedCredential`` and how long it may be used.
public struct Refreshed<Value: CredentialValue>: Sendable {
    /// The value.
    public var value: Value
    /// How long it may be used from now; `nil` for as long as the process lives.
    public var expiresIn: Duration?

    /// Creates a refreshed value.
    public init(_ value: Value, expiresIn: Duration?) {
        self.value = value
        self.expiresIn = expiresIn
    }
}

/// A typed reference to a secret computed from others, such as an OAuth access token refreshed from a stored refresh
/// token.
///
/// The store caches it and refreshes it shortly before it expires (a quarter of its lifetime
/// early, at most 30 seconds), one refresh at a time however many callers ask.
///
/// ```swift
/// static let accessToken = Credential.derived("access_token", expiresIn: .seconds(3500)) { store in
///     try await OAuthClient.refresh(using: try await store.get(refreshToken))
/// }
/// ```
public struct DerivedCredential<Value: CredentialValue>: Sendable {
    /// The name the value is cached under.
    public let name: String
    /// Computes a fresh value and its lifetime, typically from stored credentials.
    public let refresh: @Sendable (any CredentialStore) async throws -> Refreshed<Value>

    /// Creates a derived credential whose refresh says how long each value lives (an OAuth
    /// token response's `expires_in`).
    public init(_ name: String, refreshing: @escaping @Sendable (any CredentialStore) async throws -> Refreshed<Value>)
    {
        self.name = name
        self.refresh = refreshing
    }

    /// Creates a derived credential whose values all live `expiresIn` (`nil`: as long as the process).
    public init(
        _ name: String, expiresIn: Duration? = nil,
        refresh: @escaping @Sendable (any CredentialStore) async throws -> Value
    ) {
        self.name = name
        self.refresh = { store in Refreshed(try await refresh(store), expiresIn: expiresIn) }
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
