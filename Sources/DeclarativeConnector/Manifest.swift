public import MaxCore

/// A connector written as data: what `docs/declarative-connectors.md` describes and
/// ``ManifestSchema/schema`` checks.
///
/// A manifest names the source's config and secrets (its onboarding), how requests are signed, and
/// its streams: each stream is one request (templated from config, its parent record and the
/// incremental position), where the records are in each response, how pages follow one another,
/// and how a record becomes an entity. ``ManifestConnector`` runs it on the SDK's engine.
public struct Manifest: Codable, Sendable, Hashable {
    /// The registry name (`github`).
    public var name: String
    /// The name people see (`GitHub`).
    public var displayName: String
    /// One sentence on what it syncs.
    public var description: String
    /// The manifest's version (semantic versioning).
    public var version: String
    /// The schema namespace; the name when absent.
    public var namespace: String?
    /// The config keys onboarding asks for, in order.
    public var config: [ConfigInput]?
    /// The secrets onboarding asks for, in order.
    public var credentials: [CredentialInputSpec]?
    /// How requests are signed.
    public var auth: AuthSpec?
    /// The base URL every relative path is joined to (a template: `{{config.apiURL}}`).
    public var base: String
    /// Headers every request carries (templates).
    public var headers: [String: String]?
    /// The request onboarding sends to check what was entered; its failure stops onboarding.
    public var validation: RequestSpec?
    /// Choices onboarding offers from a request's answer, after the validation.
    public var select: [SelectSpec]?
    /// The request `max status` sends to check the source.
    public var health: RequestSpec?
    /// The source's request limits and the headers that report them.
    public var rateLimit: RateLimitSpec?
    /// How a GraphQL source reports errors in a 200 response.
    public var graphql: GraphQLSpec?
    /// The root entity a sync starts from.
    public var root: RootSpec?
    /// The streams, parents before their children.
    public var streams: [StreamSpec]
    /// An event log the source keeps, read by incremental syncs instead of the streams' cursors.
    public var changeLog: ChangeLogSpec?
    /// The actions it offers.
    public var operations: [OperationSpec]?

    /// The schema namespace.
    public var schemaNamespace: String { namespace ?? name }
}

/// A config key onboarding asks for.
public struct ConfigInput: Codable, Sendable, Hashable {
    /// The key in the installation's config.
    public var key: String
    /// The prompt.
    public var label: String?
    /// Guidance shown before the prompt.
    public var description: String?
    /// `string` (the default), `url`, `number`, `bool` or `list` (comma-separated text, kept as an array).
    public var type: String?
    /// Whether a value must be given (default true unless there is a default).
    public var required: Bool?
    /// The value used when none is entered.
    public var `default`: JSONValue?
    /// An example shown in the prompt.
    public var placeholder: String?
}

/// A secret onboarding asks for; it goes to the credential store, never to the config.
public struct CredentialInputSpec: Codable, Sendable, Hashable {
    /// The credential's name (`token`).
    public var key: String
    /// The prompt.
    public var label: String?
    /// Where to find it.
    public var description: String?
    /// Whether it is asked only when config key `when.key` has the value `when.equals`.
    public var when: ConditionSpec?
}

/// A choice onboarding offers from a request's answer.
public struct SelectSpec: Codable, Sendable, Hashable {
    /// The config key the choice is stored under.
    public var key: String
    /// The prompt.
    public var label: String
    /// The request that lists the options; without one, the options are ``choices``.
    public var request: RequestSpec?
    /// Fixed options (how to sign in), asked before the secrets.
    public var choices: [SelectChoice]?
    /// The choice made when none is given and nobody can be asked.
    public var `default`: String?
    /// Where the options are in the answer (a path; empty for the whole answer).
    public var records: String?
    /// The path of an option's value in each record (with `request`).
    public var value: String?
    /// The path of an option's label in each record; the value when absent.
    public var display: String?
    /// Whether several may be chosen (the value is then a list).
    public var multiple: Bool?
}

/// A fixed option of a select.
public struct SelectChoice: Codable, Sendable, Hashable {
    /// What is stored.
    public var value: String
    /// What people see; the value when absent.
    public var label: String?
}

/// The root entity a sync starts from: one per installation.
public struct RootSpec: Codable, Sendable, Hashable {
    /// The entity type; `<Namespace>Root` when absent.
    public var entity: String?
    /// The root's id (a template over the config); `root` when absent.
    public var id: String?
}
