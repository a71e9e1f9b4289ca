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

/// How requests are signed.
public struct AuthSpec: Codable, Sendable, Hashable {
    /// `bearer`, `header`, `query`, `basic` or `oauth2`.
    public var type: String
    /// The credential that holds the token or key (`bearer`, `header`, `query`).
    public var credential: String?
    /// The header or query parameter name (`header`, `query`).
    public var name: String?
    /// Text put before the secret in a `header` (`token `).
    public var prefix: String?
    /// The credentials holding the user name and password (`basic`).
    public var username: String?
    /// The credential holding the password (`basic`).
    public var password: String?
    /// The OAuth 2.0 authorization-code flow with PKCE (`oauth2`).
    public var oauth2: OAuth2Spec?
    /// Signs in this way only when config key `when.key` has the value `when.equals`; the first
    /// entry of ``alternatives`` whose condition holds wins.
    public var when: ConditionSpec?
    /// Other ways to sign in, chosen by config (a token, or OAuth 2.0).
    public var alternatives: [AuthSpec]?
}

/// An OAuth 2.0 authorization-code flow with PKCE.
public struct OAuth2Spec: Codable, Sendable, Hashable {
    /// The provider's authorization URL (a template over the config).
    public var authorizationURL: String
    /// The token URL (a template over the config).
    public var tokenURL: String
    /// The public client id.
    public var clientID: String
    /// The scopes asked for.
    public var scopes: [String]?
}

/// A condition on the installation's config.
public struct ConditionSpec: Codable, Sendable, Hashable {
    /// The config key.
    public var key: String
    /// The value it must have.
    public var equals: String
    /// Whether the condition also holds when the key is absent.
    public var orAbsent: Bool?
}

/// One HTTP request, every string a template.
public struct RequestSpec: Codable, Sendable, Hashable {
    /// `GET` (the default), `POST`, `PUT`, `PATCH` or `DELETE`.
    public var method: String?
    /// A path joined to the base URL, or an absolute URL.
    public var path: String?
    /// Query parameters; one whose value renders empty is left out.
    public var query: [String: String]?
    /// Headers on top of the manifest's.
    public var headers: [String: String]?
    /// A JSON body; a string that is exactly one `{{…}}` takes the value's JSON type.
    public var body: JSONValue?
    /// A GraphQL query, sent as `{"query", "variables"}` by POST.
    public var graphql: GraphQLRequestSpec?
}

/// A GraphQL query and its variables.
public struct GraphQLRequestSpec: Codable, Sendable, Hashable {
    /// The query text.
    public var query: String
    /// The variables: templates, as a request body's.
    public var variables: JSONValue?
}

/// A choice onboarding offers from a request's answer.
public struct SelectSpec: Codable, Sendable, Hashable {
    /// The config key the choice is stored under.
    public var key: String
    /// The prompt.
    public var label: String
    /// The request that lists the options.
    public var request: RequestSpec
    /// Where the options are in the answer (a path; empty for the whole answer).
    public var records: String?
    /// The path of an option's value in each record.
    public var value: String
    /// The path of an option's label in each record; the value when absent.
    public var display: String?
    /// Whether several may be chosen (the value is then a list).
    public var multiple: Bool?
}

/// The source's request limits, and the headers that report them.
public struct RateLimitSpec: Codable, Sendable, Hashable {
    /// Requests a second, sustained.
    public var rate: Double?
    /// Requests that may go out at once after a quiet spell.
    public var burst: Int?
    /// Requests in flight at once.
    public var concurrency: Int?
    /// The windows the source reports in headers (requests, and for some GraphQL APIs complexity):
    /// when one has nothing left, no request goes out before it resets.
    public var windows: [RateLimitWindow]?
    /// Statuses that mean "rate limited" when they come with `Retry-After` or no requests
    /// remaining (GitHub's secondary limits answer 403); 429 always does.
    public var limitedStatuses: [Int]?
}

/// One rate-limit window a source reports in its response headers.
public struct RateLimitWindow: Codable, Sendable, Hashable {
    /// The header saying how many requests (or points) are left (`x-ratelimit-remaining`).
    public var remaining: String
    /// The header saying when the window resets (`x-ratelimit-reset`).
    public var reset: String
    /// What the reset header holds: `epochSeconds` (the default), `epochMilliseconds`, or `seconds`
    /// from now.
    public var unit: String?
}

/// How a GraphQL source reports errors in a 200 response.
public struct GraphQLSpec: Codable, Sendable, Hashable {
    /// The path of an error's code in each element of `errors` (`extensions.code`).
    public var codePath: String?
    /// Codes that mean "rate limited" (`RATELIMITED`): retried after the limit resets.
    public var rateLimitedCodes: [String]?
    /// Codes that mean the credentials are refused (`AUTHENTICATION_ERROR`).
    public var unauthorizedCodes: [String]?
}

/// The root entity a sync starts from: one per installation.
public struct RootSpec: Codable, Sendable, Hashable {
    /// The entity type; `<Namespace>Root` when absent.
    public var entity: String?
    /// The root's id (a template over the config); `root` when absent.
    public var id: String?
}

/// A stream: a request whose pages of records become entities of one type.
public struct StreamSpec: Codable, Sendable, Hashable {
    /// The stream's name, used by `parent` and in messages.
    public var name: String
    /// The entity type its records become.
    public var entity: String
    /// What one of its entities is.
    public var summary: String?
    /// The stream whose every record this one is read for (issues per repository); the root when absent.
    public var parent: String?
    /// The collection field on the parent's entity (or the root) that holds this stream's entities;
    /// the stream's name when absent.
    public var field: String?
    /// The request, whose templates read `{{parent.id}}`, `{{page.…}}` and `{{since}}`.
    ///
    /// A stream without one only holds what other streams `emits`.
    public var request: RequestSpec?
    /// Where the records are in each response (a path such as `data.issues.nodes`); empty or absent
    /// for the whole response (an array, or one object).
    public var records: String?
    /// How pages follow one another.
    public var pagination: PaginationSpec?
    /// The record's id: a path, or a template over `record` and `parent` (`{{parent.full_name}}#{{record.number}}`).
    public var id: String?
    /// The fields, by name.
    public var fields: [String: FieldSpec]
    /// Indexes over several fields, such as `[["status", "updatedAt"]]`.
    public var indexes: [[String]]?
    /// Records to skip (a pull request in GitHub's issues listing).
    public var skip: [RecordCondition]?
    /// Records to keep when a config list is given (only the repositories named).
    public var only: [RecordFilter]?
    /// Objects inside each record that are entities of another stream too (an issue's author).
    public var emits: [EmitSpec]?
    /// How incremental syncs read only what changed.
    public var incremental: IncrementalSpec?
    /// How incremental syncs find what was deleted: `reconcile` re-reads the whole stream and deletes
    /// what it no longer lists (the default for a stream without `incremental`), `tombstone` deletes a
    /// record whose `deletedField` is set, `none` leaves deletions to the next full sync.
    public var deletions: String?
    /// For `deletions: tombstone`: the field whose non-null value means the record was deleted or archived.
    public var deletedField: String?
    /// The request that reads one record by `{{id}}` (for a change log's events).
    public var get: RequestSpec?
    /// The field of a record that refs its parent, for a change log's records (`project`).
    public var parentField: String?
    /// Records per page asked for (`{{page.size}}`); 100 when absent.
    public var pageSize: Int?

    /// The collection field on the parent.
    public var collectionField: String { field ?? name }
}

/// How one field of an entity is read from a record.
public struct FieldSpec: Codable, Sendable, Hashable {
    /// `string`, `int`, `double`, `bool`, `date`, `json`, `ref` or `refs`.
    public var type: String
    /// Where the value is in the record (a path); the field's name when absent.
    public var path: String?
    /// A template over `record` and `parent` instead of a path.
    public var template: String?
    /// For `ref` and `refs`: the entity type referred to.
    public var to: String?
    /// For `refs`: the path of the id inside each element of the array (`id`); the element itself when absent.
    public var item: String?
    /// Whether to index it.
    public var indexed: Bool?
    /// What it holds.
    public var summary: String?
}

/// A condition on a record.
public struct RecordCondition: Codable, Sendable, Hashable {
    /// The path in the record.
    public var path: String
    /// Holds when the value is present and not null.
    public var present: Bool?
    /// Holds when the value, as text, equals this.
    public var equals: String?
}

/// Keeps only records whose value at `path` is in a config list, when the list is not empty.
public struct RecordFilter: Codable, Sendable, Hashable {
    /// The path in the record.
    public var path: String
    /// The config key holding the list (or one value).
    public var config: String
}

/// An object inside each record that is an entity of another stream.
public struct EmitSpec: Codable, Sendable, Hashable {
    /// The path of the object (or array of objects) in the record.
    public var path: String
    /// The stream whose fields and id read it.
    public var stream: String
}

/// How incremental syncs read only what changed in a stream.
public struct IncrementalSpec: Codable, Sendable, Hashable {
    /// The path of the record's last-change time (`updated_at`).
    public var cursorField: String
    /// `ascending` (the default: the request filters by `{{since}}`) or `descending` (the listing is
    /// newest first and has no filter; reading stops at the first record older than the position).
    public var order: String?
    /// Seconds subtracted from the position, for clocks that differ and writes in flight.
    public var lookback: Int?
}

/// How pages follow one another.
public struct PaginationSpec: Codable, Sendable, Hashable {
    /// `none`, `link` (RFC 8288 `Link: <…>; rel="next"`), `nextURL` (a URL in the body), `cursor` (a
    /// token in the body, sent back as a parameter or GraphQL variable), `keyset` (the last record's
    /// key, at `path`, sent back as `param`), `offset` or `page`.
    public var type: String
    /// For `nextURL` and `cursor`: the path of the URL or token in the body.
    public var path: String?
    /// For `cursor`: the path of a Boolean that says whether more pages follow (GraphQL
    /// `pageInfo.hasNextPage`); without it, more follow while the token is present.
    public var hasMorePath: String?
    /// For `cursor`, `offset` and `page`: the query parameter (or GraphQL variable, with `variable: true`) carrying the position.
    public var param: String?
    /// Whether `param` is a GraphQL variable rather than a query parameter.
    public var variable: Bool?
    /// For `page`: the first page's number (1 when absent).
    public var startAt: Int?
    /// The most pages read from one request; a stream that goes on fails instead of looping.
    public var maxPages: Int?
}

/// An event log: incremental syncs read the events after the last position and apply them.
public struct ChangeLogSpec: Codable, Sendable, Hashable {
    /// The request for the events after `{{position}}`.
    public var request: RequestSpec
    /// The request that returns the log's current end (for a full sync's starting position).
    public var head: RequestSpec
    /// The path of the current end in the head's answer.
    public var headPath: String
    /// Where the events are in each answer.
    public var records: String
    /// The path of the position after the page, in each answer; `null` on the last page.
    public var nextPath: String
    /// The path of an event's own position, used when `nextPath` is null.
    public var positionPath: String
    /// The path of an event's entity kind.
    public var typePath: String
    /// The entity kind of each stream that the log reports: kind to stream name.
    public var types: [String: String]
    /// The path of an event's entity id.
    public var idPath: String
    /// The path of an event's action.
    public var actionPath: String
    /// Actions that mean the entity was deleted.
    public var deleteActions: [String]
}

/// An operation: a templated request with a JSON Schema for its input.
public struct OperationSpec: Codable, Sendable, Hashable {
    /// The id (`createIssue`).
    public var id: String
    /// The name people see.
    public var displayName: String
    /// What it does.
    public var description: String
    /// The JSON Schema of its input.
    public var input: JSONValue
    /// The JSON Schema of its output; any JSON when absent.
    public var output: JSONValue?
    /// Whether it changes the source.
    public var mutating: Bool
    /// The request; `{{input.…}}` reads the input.
    public var request: RequestSpec
    /// Where the result is in the answer; the whole answer when absent.
    public var result: String?
    /// The stream whose entity the result is, written to the local store at once.
    public var writeThrough: String?
    /// The written-through record's parent id (a template over `input` and `config`), for a stream
    /// whose id or fields read `{{parent.id}}`.
    public var parent: String?
    /// The header that carries the caller's idempotency key, for sources that take one.
    public var idempotencyHeader: String?
}
