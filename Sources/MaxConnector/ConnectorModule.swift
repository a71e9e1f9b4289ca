import Foundation
public import MaxCore

/// What a connector exports: its definition, and how to build an installation from config and
/// credentials.
///
/// ```swift
/// public struct AcmeConnector: ConnectorModule {
///     public let def = ConnectorDef<AcmeContext>(name: "acme", …)
///     public func initialise(_ config: AcmeConfig, credentials: any CredentialStore) throws -> Installation<AcmeContext> {
///         Installation(context: AcmeContext(client: AcmeClient(baseURL: config.baseURL, credentials: credentials)))
///     }
/// }
/// ```
///
/// `initialise` is pure assembly: no I/O, no network. The platform calls
/// ``Installation/start()`` before syncing.
public protocol ConnectorModule: Sendable {
    /// The plain config onboarding produces (workspace ids, URLs). Never secrets.
    associatedtype Config: Codable & Sendable
    /// What the connector's loaders receive.
    associatedtype Context: Sendable

    /// The static definition.
    var def: ConnectorDef<Context> { get }

    /// Builds an installation from its config and credential store, without side effects.
    func initialise(_ config: Config, credentials: any CredentialStore) throws -> Installation<Context>

    /// Builds an installation whose requests go through `http`: the runtime's client for this
    /// installation, carrying its retry policy, rate limiter and event reporting.
    ///
    /// Connectors that make HTTP requests implement this one; the default ignores `http` and calls
    /// ``initialise(_:credentials:)``.
    func initialise(_ config: Config, credentials: any CredentialStore, http: ConnectorHTTPClient) throws
        -> Installation<Context>
}

extension ConnectorModule {
    /// Calls ``initialise(_:credentials:)``, for connectors that make no HTTP requests of their own.
    public func initialise(_ config: Config, credentials: any CredentialStore, http: ConnectorHTTPClient) throws
        -> Installation<Context>
    {
        try initialise(config, credentials: credentials)
    }

    /// The identity and schema.
    public var info: ConnectorInfo { def.info }

    /// The retry policy the connector declares.
    public var retryPolicy: RetryPolicy { def.retryPolicy }

    /// The request rate the connector declares, if any.
    public var rateLimit: RateLimit? { def.rateLimit }

    /// Checks the definition (see ``ConnectorDef/validate()``).
    public func validateDefinition() throws { try def.validate() }

    /// The onboarding flow.
    public var onboarding: OnboardingFlow { def.onboarding }

    /// The versioned schema of the config.
    public var configSchema: ConfigSchema { def.configSchema }

    /// Checks stored config (as `max.json` holds it) against the config schema and decodes it
    /// into the connector's config type.
    ///
    /// - Throws: `connector.invalid_config`, naming each key that is missing, misspelt or malformed.
    public func decodeConfig(_ json: JSONValue) throws -> Config {
        try def.configSchema.check(json, connector: def.name)
        do {
            let data = Data(json.jsonText.utf8)
            return try JSONDecoder().decode(Config.self, from: data)
        } catch let error as DecodingError {
            throw MaxError(
                .invalidConfig, "the \(def.name) config is invalid: \(Self.describe(error))",
                hint: "fix the installation's config in max.json, or connect it again",
                context: ["connector": def.name])
        } catch {
            throw MaxError(.invalidConfig, "the \(def.name) config is invalid", context: ["connector": def.name])
        }
    }

    /// Builds an installation from stored config, erasing the connector's types so the platform can
    /// hold any connector's installation.
    ///
    /// - Throws: `connector.invalid_config`, or what ``initialise(_:credentials:http:)`` throws.
    public func initialise(
        config json: JSONValue, credentials: any CredentialStore, http: ConnectorHTTPClient = .shared
    ) throws -> LiveInstallation {
        let installation = try initialise(try decodeConfig(json), credentials: credentials, http: http)
        return LiveInstallation(def: def, installation: installation)
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map(\.stringValue).filter { !$0.isEmpty }
            return keys.isEmpty ? "the config" : "'\(keys.joined(separator: "."))'"
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.map(\.stringValue)
            return "missing '\((parent + [key.stringValue]).joined(separator: "."))'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context)) has the wrong type"
        case .dataCorrupted(let context):
            return "\(path(context)) is malformed"
        @unknown default:
            return "it does not decode"
        }
    }
}
