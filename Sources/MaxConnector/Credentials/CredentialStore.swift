public import MaxCore

/// The secrets of one installation.
///
/// The platform gives each installation its own store; secrets enter it during onboarding and
/// leave it only as ``Secret`` values or as the typed values connectors ask for. Implementations
/// provide the raw operations; connectors use the typed ones in the extension:
///
/// ```swift
/// let token = try await credentials.get(AcmeCredentials.apiToken)
/// ```
public protocol CredentialStore: Sendable {
    /// The secret stored under `name`, if any.
    func secret(named name: String) async throws -> Secret?
    /// Stores `secret` under `name`, replacing any value there.
    func setSecret(_ secret: Secret, named name: String) async throws
    /// Removes the secret stored under `name`, if any.
    func removeSecret(named name: String) async throws
    /// The names of the stored secrets (never their values).
    func names() async throws -> [String]
    /// The cache of derived credentials for this store.
    var derivedCredentials: DerivedCredentialCache { get }
    /// Runs `body` while no other process changes this store, so a read, a call to the source
    /// and a write (spending a rotating refresh token, say) happen as one step across processes.
    ///
    /// Stores only one process uses need no more than to run `body`, which the default does.
    func exclusively<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T
}

extension CredentialStore {
    /// Runs `body`: a store no other process shares has nothing to exclude.
    public func exclusively<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await body()
    }
}

extension CredentialStore {
    /// The value of a stored credential.
    ///
    /// - Throws: `credentials.missing` when it is not stored; `credentials.invalid_value` when the
    ///   stored text is not a valid value.
    public func get<Value>(_ key: CredentialKey<Value>) async throws -> Value {
        guard let secret = try await secret(named: key.name) else {
            throw MaxError(
                .credentialMissing, "the credential '\(key.name)' is not stored for this installation",
                hint:
                    "re-enter it: " + MaxError.reenterCredentialsCommands,
                context: ["credential": key.name])
        }
        return try Value(credentialText: secret.revealed)
    }

    /// The value of a derived credential: the cached one while fresh, else a refreshed one.
    ///
    /// Concurrent callers share one refresh.
    ///
    /// - Throws: `credentials.refresh_failed`, with the refresh's error as the cause.
    public func get<Value>(_ key: DerivedCredential<Value>) async throws -> Value {
        try await derivedCredentials.value(of: key, from: self)
    }

    /// Stores a credential.
    public func set<Value>(_ key: CredentialKey<Value>, _ value: Value) async throws {
        try await setSecret(Secret(value.credentialText), named: key.name)
    }

    /// Whether a credential is stored.
    public func has<Value>(_ key: CredentialKey<Value>) async throws -> Bool {
        try await secret(named: key.name) != nil
    }

    /// Removes a credential.
    public func delete<Value>(_ key: CredentialKey<Value>) async throws {
        try await removeSecret(named: key.name)
    }

    /// Forgets a derived credential's cached value, so the next ``get(_:)-7b2vu`` refreshes it
    /// (after the API rejected it, say).
    public func invalidate<Value>(_ key: DerivedCredential<Value>) async {
        await derivedCredentials.invalidate(key.name)
    }

    /// The names of the stored credentials.
    public func keys() async throws -> [String] {
        try await names()
    }
}
