public import MaxCore

/// Every method of the connector protocol, named once: what Max sends a connector and what a
/// connector asks of Max (docs/connector-protocol.md has their params and results).
///
/// Both ends switch over this type: ``ConnectorHost`` (a connector's side, for connectors written
/// with this SDK) and Max's `ConnectorProcess`, so a method added here without a handler on the
/// side that answers it does not compile.
public enum ConnectorMethod: String, CaseIterable, Sendable {
    /// Max → connector: its identity, schema, onboarding, operations (`{}` → the description).
    case describe
    /// Max → connector: checks an onboarding step's values (`{step, state}` → `{}`).
    case onboardingValidate = "onboarding/validate"
    /// Max → connector: a select step's options (`{step, state}` → `{"options"}`).
    case onboardingOptions = "onboarding/options"
    /// Max → connector: a custom step (`{step, state}` → `{"state"}`).
    case onboardingCustom = "onboarding/custom"
    /// Max → connector: starts the installation (`{"config"}` → `{}`); first after every start.
    case initialise
    /// Max → connector: the source's health (`{}` → `{"status", "message"?}`).
    case health
    /// Max → connector: the roots and plan of a sync (`{}` → `{"entities", "plan"}`).
    case syncSeed = "sync/seed"
    /// Max → connector: entities' fields (`{"entityType", "fields", "refs"}` → `{"entities"}`).
    case loadEntities = "load/entities"
    /// Max → connector: a page of a collection (`{"owner", "field", "limit", "cursor"?}` →
    /// `{"items", "hasMore", "cursor"?}`).
    case loadCollection = "load/collection"
    /// Max → connector: where the change feed is now (`{}` → `{"position"}`).
    case changesPosition = "changes/position"
    /// Max → connector: the changes after a position (`{"after"}` → `{"changes", "position",
    /// "hasMore"}`).
    case changesPage = "changes/page"
    /// Max → connector: runs an operation (`{"operation", "input", "requestId", "idempotencyKey"?}`
    /// → the envelope's parts).
    case operationExecute = "operation/execute"
    /// Max → connector: stop (`{}` → `{}`); Max then closes the connector's input.
    case shutdown
    /// Connector → Max: a credential's value (`{"name"}` → `{"value"}`).
    case credentialsGet = "credentials/get"
    /// Connector → Max: stores a credential (`{"name", "value"}` → `{}`).
    case credentialsSet = "credentials/set"
    /// Connector → Max: removes a credential (`{"name"}` → `{}`).
    case credentialsRemove = "credentials/remove"
    /// Connector → Max: the names of the stored credentials (`{}` → `{"names"}`).
    case credentialsNames = "credentials/names"
    /// Connector → Max: an HTTP request through the installation's client (`{"method", "url",
    /// "headers"?, "body"?}` → `{"status", "headers", "body"}`).
    case httpRequest = "http/request"

    /// Who sends the method.
    public enum Direction: Sendable {
        /// Max asks, the connector answers.
        case toConnector
        /// The connector asks, Max answers.
        case toMax
    }

    /// Who sends it.
    public var direction: Direction {
        switch self {
        case .describe, .onboardingValidate, .onboardingOptions, .onboardingCustom, .initialise, .health, .syncSeed,
            .loadEntities, .loadCollection, .changesPosition, .changesPage, .operationExecute, .shutdown:
            .toConnector
        case .credentialsGet, .credentialsSet, .credentialsRemove, .credentialsNames, .httpRequest: .toMax
        }
    }
}

extension RPCConnection {
    /// Sends `method` with `params` and waits for its answer.
    ///
    /// - Throws: as ``call(_:_:)-(String,_)``.
    public func call(_ method: ConnectorMethod, _ params: JSONValue = [:]) async throws -> JSONValue {
        try await call(method.rawValue, params)
    }
}
