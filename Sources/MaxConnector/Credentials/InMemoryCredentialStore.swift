public import MaxCore
import Synchronization

/// A credential store that keeps secrets in memory: for tests, and for connectors' own tests.
///
/// ```swift
/// let credentials: some CredentialStore = .testing(["api_token": "acme_test"])
/// ```
public final class InMemoryCredentialStore: CredentialStore {
    private let secrets: Mutex<[String: Secret]>
    /// The cache of derived credentials.
    public let derivedCredentials: DerivedCredentialCache

    /// Creates a store holding `initial` (name → value).
    public init<C: Clock>(_ initial: [String: String] = [:], clock: C) where C.Duration == Duration {
        self.secrets = Mutex(initial.mapValues(Secret.init))
        self.derivedCredentials = DerivedCredentialCache(clock: clock)
    }

    /// Creates a store holding `initial` (name → value), timed by the continuous clock.
    public convenience init(_ initial: [String: String] = [:]) {
        self.init(initial, clock: ContinuousClock())
    }

    /// The secret stored under `name`.
    public func secret(named name: String) async throws -> Secret? {
        secrets.withLock { $0[name] }
    }

    /// Stores a secret.
    public func setSecret(_ secret: Secret, named name: String) async throws {
        secrets.withLock { $0[name] = secret }
    }

    /// Removes a secret.
    public func removeSecret(named name: String) async throws {
        _ = secrets.withLock { $0.removeValue(forKey: name) }
    }

    /// The stored names, sorted.
    public func names() async throws -> [String] {
        secrets.withLock { $0.keys.sorted() }
    }
}

extension CredentialStore where Self == InMemoryCredentialStore {
    /// An in-memory store holding `initial`, for tests.
    public static func testing(_ initial: [String: String] = [:]) -> InMemoryCredentialStore {
        InMemoryCredentialStore(initial)
    }
}
