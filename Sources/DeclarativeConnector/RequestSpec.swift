public import MaxCore

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

/// How a GraphQL source reports errors in a 200 response.
public struct GraphQLSpec: Codable, Sendable, Hashable {
    /// The path of an error's code in each element of `errors` (`extensions.code`).
    public var codePath: String?
    /// Codes that mean "rate limited" (`RATELIMITED`): retried after the limit resets.
    public var rateLimitedCodes: [String]?
    /// Codes that mean the credentials are refused (`AUTHENTICATION_ERROR`).
    public var unauthorizedCodes: [String]?
}
