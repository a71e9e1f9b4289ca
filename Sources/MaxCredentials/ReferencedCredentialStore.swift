public import MaxConnector
public import MaxCore

/// An installation's credentials as its connector sees them: those `max.json` references
/// (`"credentials": {"api_token": "env:ACME_TOKEN"}`) read from the environment each time they are
/// asked for, the others from the installation's store.
///
/// A referenced credential is never copied into the store; writing one is refused, since the next
/// read would come from the environment again.
public struct ReferencedCredentialStore: CredentialStore {
    /// The installation's own store.
    public let base: FileCredentialStore
    /// The references, by credential name.
    public let references: [String: CredentialSource]
    /// The installation's name, for messages.
    public let installation: String
    private let environment: @Sendable () -> [String: String]

    /// A store reading `references` from `environment` and everything else from `base`.
    public init(
        base: FileCredentialStore, references: [String: CredentialSource], installation: String,
        environment: @escaping @Sendable () -> [String: String]
    ) {
        self.base = base
        self.references = references
        self.installation = installation
        self.environment = environment
    }

    /// The referenced value, read now, or the stored one.
    public func secret(named name: String) async throws -> Secret? {
        guard let reference = references[name] else { return try await base.secret(named: name) }
        return try reference.read(key: name, origin: origin(name), environment: environment())
    }

    /// Stores a secret; refused for a referenced name.
    public func setSecret(_ secret: Secret, named name: String) async throws {
        try refuseReferenced(name)
        try await base.setSecret(secret, named: name)
    }

    /// Removes a secret; refused for a referenced name.
    public func removeSecret(named name: String) async throws {
        try refuseReferenced(name)
        try await base.removeSecret(named: name)
    }

    /// The stored names and the referenced ones, sorted.
    public func names() async throws -> [String] {
        Set(try await base.names()).union(references.keys).sorted()
    }

    /// The base store's cache.
    public var derivedCredentials: DerivedCredentialCache { base.derivedCredentials }

    /// Runs `body` under the base store's lock across processes.
    public func exclusively<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await base.exclusively(body)
    }

    private func origin(_ name: String) -> String {
        "max.json (installations.\(installation).credentials.\(name))"
    }

    private func refuseReferenced(_ name: String) throws {
        guard let reference = references[name] else { return }
        throw MaxError(
            .credentialReferenced,
            "the credential '\(name)' of \(installation) comes from \(reference.shown), as \(origin(name)) says; Max does not store it",
            hint: "change the variable's value, or remove the reference from max.json to keep the credential in Max",
            context: ["installation": installation, "credential": name])
    }
}
