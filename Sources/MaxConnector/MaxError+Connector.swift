public import MaxCore

extension MaxError.Code {
    /// A connector has no operation of that name.
    public static let operationNotFound = Self(domain: "operation", name: "not_found", category: .notFound)
    /// An operation's input does not match its schema.
    public static let operationInvalidInput = Self(
        domain: "operation", name: "invalid_input", category: .validationError)
    /// An operation's output does not match its schema (the connector or the source is wrong).
    public static let operationInvalidOutput = Self(domain: "operation", name: "invalid_output", category: .permanent)
    /// An operation took longer than its `maxTimeout`.
    public static let operationTimeout = Self(domain: "operation", name: "timeout", category: .transient)
    /// Every slot of the installation (or the project) is taken and the call may not wait.
    public static let operationBusy = Self(domain: "operation", name: "busy", category: .quotaExceeded)
    /// An idempotency key was reused with another input.
    public static let idempotencyConflict = Self(domain: "operation", name: "conflict", category: .validationError)
    /// An earlier call's request left for the source and its process died before the answer came:
    /// whether the source acted on it is unknown, so it is not sent again blindly.
    public static let operationOutcomeUnknown = Self(domain: "operation", name: "outcome_unknown", category: .conflict)

    /// No connector of that name is registered.
    public static let connectorNotFound = Self(domain: "connector", name: "not_found", category: .notFound)
    /// A connector's definition is inconsistent (resolvers for unknown types or fields).
    public static let invalidConnector = Self(domain: "connector", name: "invalid_definition", category: .internal)
    /// An installation's config does not decode into the connector's config type.
    public static let invalidConfig = Self(domain: "connector", name: "invalid_config", category: .validationError)
    /// An installation was used in a way its lifecycle does not allow.
    public static let installationNotStarted = Self(domain: "connector", name: "not_started", category: .internal)
    /// A credential the connector needs is not in the store.
    public static let credentialMissing = Self(domain: "credentials", name: "missing", category: .permanent)
    /// A stored credential cannot be read as the type its key declares.
    public static let credentialInvalid = Self(domain: "credentials", name: "invalid_value", category: .permanent)
    /// Refreshing a derived credential failed.
    public static let credentialRefreshFailed = Self(
        domain: "credentials", name: "refresh_failed", category: .transient)
    /// The source no longer accepts the installation's credentials (a revoked or expired refresh
    /// token, a token the API keeps rejecting after a refresh): only re-authenticating fixes it.
    public static let credentialExpired = Self(domain: "credentials", name: "expired", category: .permanent)
    /// A provider's revocation endpoint refused to revoke an old token (RFC 7009).
    public static let revocationFailed = Self(domain: "credentials", name: "revocation_failed", category: .permanent)
    /// An OAuth 2.0 authorization did not complete (denied, a mismatched state, a failed code exchange, a timeout).
    public static let oauthFailed = Self(domain: "onboarding", name: "oauth_failed", category: .permanent)
    /// An onboarding input is missing or malformed.
    public static let onboardingInvalidInput = Self(
        domain: "onboarding", name: "invalid_input", category: .validationError)
    /// An onboarding validation step rejected what was entered.
    public static let onboardingValidationFailed = Self(
        domain: "onboarding", name: "validation_failed", category: .validationError)
    /// No resolver provides what a sync plan asks for.
    public static let noLoader = Self(domain: "sync", name: "no_loader", category: .internal)
    /// A field of an entity type the installation discovers at its source changed type since the
    /// last sync.
    public static let sourceSchemaChanged = Self(domain: "schema", name: "changed", category: .permanent)
    /// A retry or rate-limit override in `max.json` is malformed or out of range.
    public static let invalidPolicy = Self(domain: "connector", name: "invalid_policy", category: .validationError)
    /// A subprocess connector exited (or was killed) while Max waited on it; it is restarted for
    /// the next call.
    public static let connectorCrashed = Self(domain: "connector", name: "crashed", category: .transient)
    /// A subprocess connector did not answer within its time limit; it is killed and restarted.
    public static let connectorTimeout = Self(domain: "connector", name: "timeout", category: .transient)
    /// A subprocess connector wrote something that is not the protocol (not JSON-RPC, too long, a
    /// value of the wrong kind); it is killed and restarted.
    public static let connectorProtocol = Self(domain: "connector", name: "protocol", category: .permanent)
    /// A subprocess connector answered a call with an error of its own.
    public static let connectorFailed = Self(domain: "connector", name: "failed", category: .permanent)
}

extension MaxError {
    /// `credentials.expired`: the source rejects the installation's credentials for good.
    public static func credentialsExpired(_ message: String, cause: MaxError? = nil) -> MaxError {
        MaxError(
            .credentialExpired, message,
            hint: "re-authenticate: \"\(reauthenticateCommand())\"", cause: cause)
    }
}
