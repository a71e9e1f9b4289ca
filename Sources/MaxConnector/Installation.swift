import MaxCore

/// A live, configured instance of a connector: its context, and its lifecycle.
///
/// ``ConnectorModule/initialise(_:credentials:)`` builds one without side effects; ``start()`` does
/// the I/O (opening connections, checking the token) and ``stop()`` releases it.
///
/// ```swift
/// return Installation(context: context, start: { try await client.ping() }, stop: { await client.shutdown() })
/// ```
public struct Installation<Context: Sendable>: Sendable {
    /// What the connector's loaders receive.
    public let context: Context
    private let onStart: @Sendable () async throws -> Void
    private let onStop: @Sendable () async -> Void
    private let onHealth: @Sendable () async -> HealthStatus
    /// Finds the installation's data model at its source, for connectors whose entity types depend
    /// on it; `nil` for the rest, whose model is their definition's schema.
    public let discover: (@Sendable () async throws -> DiscoveredModel<Context>)?

    /// Creates an installation.
    ///
    /// - Parameters:
    ///   - context: The connector's context.
    ///   - start: Does the I/O the installation needs before loaders run.
    ///   - stop: Releases what `start` acquired.
    ///   - health: Reports whether the source is reachable and the credentials accepted.
    ///   - discover: Finds the entity types the source holds (see ``DiscoveredModel``), for a
    ///     connector whose model is not fixed by its definition.
    public init(
        context: Context,
        start: @escaping @Sendable () async throws -> Void = {},
        stop: @escaping @Sendable () async -> Void = {},
        health: @escaping @Sendable () async -> HealthStatus = { .healthy },
        discover: (@Sendable () async throws -> DiscoveredModel<Context>)? = nil
    ) {
        self.context = context
        self.onStart = start
        self.onStop = stop
        self.onHealth = health
        self.discover = discover
    }

    /// Starts the installation.
    public func start() async throws { try await onStart() }

    /// Stops the installation.
    public func stop() async { await onStop() }

    /// Checks the installation's health.
    public func health() async -> HealthStatus { await onHealth() }
}

/// How an installation is doing.
public enum HealthStatus: Sendable, Hashable, Codable {
    /// Working.
    case healthy
    /// Working with a problem (slow, close to a rate limit, token about to expire).
    case degraded(String)
    /// Not working.
    case unhealthy(String)
    /// Not working until someone re-authenticates: the source refuses the credentials for good
    /// (a revoked grant, a deleted token).
    case credentialExpired(String)

    /// `healthy`, `degraded`, `unhealthy` or `credential_expired`.
    public var name: String {
        switch self {
        case .healthy: "healthy"
        case .degraded: "degraded"
        case .unhealthy: "unhealthy"
        case .credentialExpired: "credential_expired"
        }
    }

    /// The health `check` finds: healthy when it returns, `credential_expired` when it throws
    /// `credentials.expired` or `http.unauthorized`, unhealthy with the error's message otherwise.
    public static func checking(_ check: () async throws -> Void) async -> HealthStatus {
        do {
            try await check()
            return .healthy
        } catch let error as MaxError where error.code == .credentialExpired || error.code == .httpUnauthorized {
            return .credentialExpired(error.message)
        } catch let error as MaxError {
            return .unhealthy(error.message)
        } catch {
            return .unhealthy("\(error)")
        }
    }

    /// Why it is not healthy, if it is not.
    public var reason: String? {
        switch self {
        case .healthy: nil
        case .degraded(let reason), .unhealthy(let reason), .credentialExpired(let reason): reason
        }
    }
}
