import Foundation
import MaxCore

/// An installation's OAuth 2.0 access: hands out its access token, refreshing it before it
/// expires, and replaces a token the API rejected.
///
/// Refreshes are single-flight in the process (the store's ``DerivedCredentialCache``) and
/// serialised across processes (``CredentialStore/exclusively(_:)``): a process first looks for a
/// token another one stored, and refreshes only when there is none still fresh. A rotated refresh
/// token is stored before the new access token is handed out. A refresh the provider refuses
/// (`invalid_grant`) fails with `credentials.expired`.
///
/// ```swift
/// let session = OAuth2Session(step: AcmeOnboarding.oauth, state: config, credentials: store, http: http)
/// var token = try await session.accessToken()
/// // … the API answers 401:
/// try await session.reject(token)
/// token = try await session.accessToken()  // a refreshed one
/// ```
public struct OAuth2Session: Sendable {
    /// The step that authorised the installation.
    public let step: OAuth2Step
    private let credentials: any CredentialStore
    private let derived: DerivedCredential<String>

    /// A session for an installation authorised by `step`, with its token URL resolved against
    /// `state` (the installation's config).
    public init(
        step: OAuth2Step, state: OnboardingState, credentials: any CredentialStore, http: ConnectorHTTPClient = .shared
    ) {
        self.step = step
        self.credentials = credentials
        let client = OAuth2Client(
            tokenURL: OAuth2Step.resolve(step.tokenURL, with: state), clientID: step.clientID, http: http)
        // Expiry dates are read on the store's clock, which tests drive.
        self.derived = DerivedCredential("oauth2." + step.accessToken.name) { store in
            try await store.exclusively { try await Self.current(step: step, client: client, store: store) }
        }
    }

    /// The access token to send: the cached one while fresh, else one another process stored,
    /// else a refreshed one.
    ///
    /// - Throws: `credentials.expired` when the provider refuses the refresh token;
    ///   `credentials.refresh_failed` for other failures; `credentials.missing` without a refresh token.
    public func accessToken() async throws -> String {
        try await credentials.get(derived)
    }

    /// Forgets `token` after the API rejected it, so the next ``accessToken()`` refreshes (unless a
    /// newer token was stored meanwhile).
    public func reject(_ token: String) async throws {
        await credentials.derivedCredentials.invalidate(derived.name, ifValueIs: token)
        let key = step.accessToken
        try await credentials.exclusively {
            if let stored = try await credentials.secret(named: key.name),
                (try? OAuth2AccessToken(credentialText: stored.revealed))?.token == token
            {
                try await credentials.removeSecret(named: key.name)
            }
        }
    }

    /// How long before it expires a stored token is no longer handed out.
    static let minimumRemaining: TimeInterval = 1

    /// The stored access token if it is fresh, else a refreshed one (stored with the rotated
    /// refresh token, that first); callers hold the store's exclusive access.
    private static func current(step: OAuth2Step, client: OAuth2Client, store: any CredentialStore) async throws
        -> Refreshed<String>
    {
        let now = store.derivedCredentials.now()
        if let stored = try await store.secret(named: step.accessToken.name),
            let token = try? OAuth2AccessToken(credentialText: stored.revealed)
        {
            guard let expiresAt = token.expiresAt else { return Refreshed(token.token, expiresIn: nil) }
            let remaining = expiresAt.timeIntervalSince(now)
            if remaining >= minimumRemaining {
                return Refreshed(token.token, expiresIn: .milliseconds(Int64(remaining * 1000)))
            }
        }
        guard let refreshToken = try await store.secret(named: step.credential.name) else {
            throw MaxError(
                .credentialMissing, "no \(step.provider) refresh token is stored for this installation",
                hint: "authorize it: \"\(MaxError.reauthenticateCommand())\"",
                context: ["credential": step.credential.name])
        }
        let tokens = try await client.refresh(refreshToken)
        if let rotated = tokens.refreshToken { try await store.setSecret(rotated, named: step.credential.name) }
        let expiresAt = tokens.expiresIn.map { now.addingTimeInterval(Double($0.components.seconds)) }
        try await store.set(
            step.accessToken, OAuth2AccessToken(token: tokens.accessToken.revealed, expiresAt: expiresAt))
        return Refreshed(tokens.accessToken.revealed, expiresIn: tokens.expiresIn)
    }
}
