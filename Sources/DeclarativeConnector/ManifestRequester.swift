import Foundation
import MaxConnector
import MaxCore

/// Sends a manifest's requests: renders them, signs them, reads the answer as JSON, and obeys the
/// source's rate-limit headers.
///
/// Requests go through the installation's ``ConnectorHTTPClient`` (its retries, limiter and
/// breaker). On top of that, a response that reports a window with nothing left (a remaining
/// header at 0) pauses the limiter until the window resets, so no request goes out before it; a
/// response the manifest counts as rate limited (a 429, or one of `limitedStatuses` with nothing
/// left or a `Retry-After`, or a GraphQL error with a rate-limited code) is sent again after the
/// pause, up to ``maximumLimitedAttempts`` times.
struct ManifestRequester: Sendable {
    /// How many times one request is sent while the source says it is rate limited.
    static let maximumLimitedAttempts = 6

    let compiled: CompiledManifest
    let config: JSONValue
    /// Answers kept with their `ETag`, so asking again sends `If-None-Match`.
    let conditional = ConditionalCache()
    let credentials: any CredentialStore
    let http: ConnectorHTTPClient
    let auth: AuthSpec?
    let oauth: OAuth2Session?
    /// The wall clock, for reset times given as dates.
    let now: @Sendable () -> Date

    init(
        compiled: CompiledManifest, config: JSONValue, credentials: any CredentialStore, http: ConnectorHTTPClient,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.compiled = compiled
        self.config = config
        self.credentials = credentials
        var http = http
        if let limits = compiled.manifest.rateLimit {
            http.pauseAfter = { response in Self.pause(after: response, limits: limits, now: now()) }
        }
        self.http = http
        self.now = now
        let auth = Self.chooseAuth(compiled.manifest.auth, config: config)
        self.auth = auth
        if let auth, auth.type == "oauth2", let step = ManifestOnboarding.oauthStep(auth, manifest: compiled.manifest) {
            oauth = OAuth2Session(step: step, state: config.objectValue ?? [:], credentials: credentials, http: http)
        } else {
            oauth = nil
        }
    }

    /// The answer to one request.
    struct Answer: Sendable {
        /// The status.
        let status: Int
        /// The body as JSON (null for an empty body).
        let body: JSONValue
        /// The response.
        let response: ConnectorHTTPClient.Response
    }

    /// The auth that applies to `config`: the first alternative whose `when` holds, else the auth itself.
    static func chooseAuth(_ auth: AuthSpec?, config: JSONValue) -> AuthSpec? {
        guard let auth else { return nil }
        for candidate in [auth] + (auth.alternatives ?? []) {
            guard let when = candidate.when else { return candidate }
            if ManifestOnboarding.holds(when, config.objectValue ?? [:]) { return candidate }
        }
        return auth
    }

    /// The URL, headers and body of `spec` rendered against `scope`.
    func build(
        _ spec: RequestSpec, scope: JSONValue, url overridingURL: String? = nil,
        query extraQuery: [(String, String)] = [],
        variables extraVariables: [String: JSONValue] = [:], headers extraHeaders: [(String, String)] = []
    ) throws -> ConnectorHTTPClient.Request {
        let method = ConnectorHTTPClient.Method(rawValue: spec.method ?? (spec.graphql == nil ? "GET" : "POST")) ?? .get
        var url: String
        if let overridingURL {
            url = overridingURL
        } else {
            let base = compiled.template(compiled.manifest.base).render(scope)
            let path = spec.path.map { compiled.template($0).render(scope) } ?? ""
            url =
                path.hasPrefix("http://") || path.hasPrefix("https://")
                ? path
                : (base.hasSuffix("/") ? String(base.dropLast()) : base)
                    + (path.isEmpty || path.hasPrefix("/") ? path : "/" + path)
            var items: [URLQueryItem] = []
            for (name, value) in (spec.query ?? [:]).sorted(by: { $0.key < $1.key }) {
                let text = compiled.template(value).render(scope)
                if !text.isEmpty { items.append(URLQueryItem(name: name, value: text)) }
            }
            items += extraQuery.map { URLQueryItem(name: $0.0, value: $0.1) }
            if !items.isEmpty, var components = URLComponents(string: url) {
                components.queryItems = (components.queryItems ?? []) + items
                // `+` is a space to most servers' form decoding; encode it.
                components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(
                    of: "+", with: "%2B")
                url = components.string ?? url
            }
        }
        var headers: [(String, String)] = []
        for (name, value) in (compiled.manifest.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
            headers.append((name, compiled.template(value).render(scope)))
        }
        for (name, value) in (spec.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
            headers.append((name, compiled.template(value).render(scope)))
        }
        headers += extraHeaders
        var body: Data?
        if let graphql = spec.graphql {
            var variables = render(graphql.variables ?? [:], scope).objectValue ?? [:]
            for (name, value) in extraVariables { variables[name] = value }
            body = Data(
                JSONValue.object(["query": .string(graphql.query), "variables": .object(variables)]).jsonText.utf8)
        } else if let template = spec.body {
            body = Data(render(template, scope).jsonText.utf8)
        }
        if body != nil && !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            headers.append(("Content-Type", "application/json"))
        }
        var request = ConnectorHTTPClient.Request(method, url, headers: headers, body: body)
        // A GraphQL query reads: repeating it after a 500 or a timeout is safe (a mutation is not).
        if let graphql = spec.graphql {
            request.repeatable = !graphql.query.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("mutation")
        }
        return request
    }

    /// A JSON template with every string rendered (a string that is one placeholder keeps its
    /// type); an object's member whose placeholder has no value is left out, as a query parameter is.
    func render(_ template: JSONValue, _ scope: JSONValue) -> JSONValue {
        switch template {
        case .string(let text): compiled.template(text).value(scope)
        case .array(let items): .array(items.map { render($0, scope) })
        case .object(let members):
            .object(
                members.compactMapValues { member in
                    let value = render(member, scope)
                    if value.isNull, case .string(let text) = member, !compiled.template(text).isConstant { return nil }
                    return value
                })
        default: template
        }
    }

    /// Sends `request` signed, obeying the rate-limit headers, and returns the answer whatever its
    /// status (but refused credentials, which are an error).
    ///
    /// - Throws: `http.*` errors; `http.unauthorized` or `credentials.expired` for refused credentials;
    ///   `http.rate_limited` when the source is still limited after ``maximumLimitedAttempts``.
    func send(_ request: ConnectorHTTPClient.Request) async throws -> Answer {
        var attempt = 0
        let cached = request.method == .get ? conditional.answer(for: request.url) : nil
        var request = request
        if let cached { request.headers.append(("If-None-Match", cached.etag)) }
        while true {
            attempt += 1
            var response = try await sendSigned(request)
            if response.status == 304, let cached {
                // Not modified: the answer kept from last time (GitHub does not count these).
                response = ConnectorHTTPClient.Response(
                    status: 200, headers: response.headers, body: cached.body,
                    requestDescription: response.requestDescription)
            } else if request.method == .get, response.isSuccess, let etag = response.header("ETag") {
                conditional.keep(response.body, etag: etag, for: request.url)
            }
            let body = try Self.json(of: response)
            let wait = observeLimits(response)
            if isLimited(response, body: body, windowWait: wait) {
                guard attempt < Self.maximumLimitedAttempts else {
                    throw MaxError(
                        .httpRateLimited,
                        "\(response.requestDescription) was still rate limited after \(attempt) attempts (\(response.status))",
                        hint: "the source's limit has not reset; try again later",
                        context: ["status": String(response.status), "attempts": String(attempt)])
                }
                let pause =
                    wait ?? ConnectorHTTPClient.retryAfter(response.header("Retry-After"))
                    ?? .seconds(1 << min(attempt, 6))
                http.limiter?.pause(for: pause)
                if http.limiter == nil { try await http.clock.sleep(pause) }
                continue
            }
            return Answer(status: response.status, body: body, response: response)
        }
    }

    /// Sends with the credentials: a 401 or 403 with OAuth forces one refresh and one more try.
    private func sendSigned(_ request: ConnectorHTTPClient.Request) async throws -> ConnectorHTTPClient.Response {
        guard let oauth else { return try await http.send(try await signed(request)) }
        var token = try await oauth.accessToken()
        var response = try await http.send(Self.bearer(request, token))
        if response.status == 401 || response.status == 403 {
            // The token lapsed or was revoked before its time: one refresh, then give up.
            try await oauth.reject(token)
            token = try await oauth.accessToken()
            response = try await http.send(Self.bearer(request, token))
            if response.status == 401 || response.status == 403 {
                throw MaxError.credentialsExpired(
                    "\(response.requestDescription) rejects the installation's OAuth access token even after a refresh")
            }
        }
        return response
    }

    private static func bearer(_ request: ConnectorHTTPClient.Request, _ token: String) -> ConnectorHTTPClient.Request {
        var request = request
        request.headers.append(("Authorization", "Bearer \(token)"))
        return request
    }

    /// `request` with the auth's header or query parameter.
    private func signed(_ request: ConnectorHTTPClient.Request) async throws -> ConnectorHTTPClient.Request {
        guard let auth else { return request }
        var request = request
        switch auth.type {
        case "bearer":
            request.headers.append(("Authorization", "Bearer \(try await secret(auth.credential))"))
        case "header":
            request.headers.append(
                (auth.name ?? "Authorization", (auth.prefix ?? "") + (try await secret(auth.credential))))
        case "query":
            if var components = URLComponents(string: request.url) {
                components.queryItems =
                    (components.queryItems ?? []) + [
                        URLQueryItem(name: auth.name ?? "api_key", value: try await secret(auth.credential))
                    ]
                request.url = components.string ?? request.url
            }
        case "basic":
            let user = try await secret(auth.username)
            let password = auth.password == nil ? "" : try await secret(auth.password)
            request.headers.append(("Authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()))
        default: break
        }
        return request
    }

    private func secret(_ name: String?) async throws -> String {
        try await credentials.get(Credential.key(name ?? ""))
    }

    /// The body as JSON; null when empty.
    ///
    /// - Throws: `http.invalid_response` when it is not JSON.
    static func json(of response: ConnectorHTTPClient.Response) throws -> JSONValue {
        if response.body.isEmpty || response.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D }) {
            return .null
        }
        guard let text = String(data: response.body, encoding: .utf8), let value = try? JSONValue(parsing: text)
        else {
            let type = response.header("Content-Type").map { " (\($0))" } ?? ""
            throw MaxError(
                .httpInvalidResponse,
                "\(response.requestDescription) answered \(response.status) with a body that is not JSON\(type)",
                context: ["status": String(response.status)])
        }
        return value
    }

    /// How long the source's windows have nothing left, if one has nothing left (the HTTP client's
    /// limiter is paused for it as the response arrives).
    private func observeLimits(_ response: ConnectorHTTPClient.Response) -> Duration? {
        Self.windowWait(response, windows: compiled.manifest.rateLimit?.windows ?? [], now: now())
    }

    /// How long no request may go out after `response`: until its windows with nothing left reset,
    /// or its `Retry-After` when it is a rate-limited answer (429, or one of `limitedStatuses`).
    static func pause(after response: ConnectorHTTPClient.Response, limits: RateLimitSpec, now: Date) -> Duration? {
        let window = windowWait(response, windows: limits.windows ?? [], now: now)
        guard response.status == 429 || (limits.limitedStatuses ?? []).contains(response.status),
            let retryAfter = ConnectorHTTPClient.retryAfter(response.header("Retry-After"), now: now)
        else { return window }
        return max(window ?? .zero, retryAfter)
    }

    /// The wait until the last of `windows` with nothing left resets; `nil` when none is empty.
    static func windowWait(_ response: ConnectorHTTPClient.Response, windows: [RateLimitWindow], now: Date) -> Duration?
    {
        var longest: Duration?
        for window in windows {
            guard
                let remaining = response.header(window.remaining).flatMap({
                    Double($0.trimmingCharacters(in: .whitespaces))
                }),
                remaining <= 0, let reset = response.header(window.reset)
            else { continue }
            guard let wait = Self.wait(until: reset, unit: window.unit ?? "epochSeconds", now: now) else { continue }
            longest = max(longest ?? .zero, wait)
        }
        return longest
    }

    /// The wait until a reset header's time.
    static func wait(until reset: String, unit: String, now: Date) -> Duration? {
        guard let value = Double(reset.trimmingCharacters(in: .whitespaces)) else {
            return ISO8601.parse(reset).map { .milliseconds(max(0, Int64($0.timeIntervalSince(now) * 1000))) }
        }
        let milliseconds: Double =
            switch unit {
            case "seconds": value * 1000
            case "epochMilliseconds": value - now.timeIntervalSince1970 * 1000
            default: value * 1000 - now.timeIntervalSince1970 * 1000
            }
        return .milliseconds(Int64(max(0, milliseconds.rounded(.up))))
    }

    /// Whether the source answered "rate limited".
    private func isLimited(_ response: ConnectorHTTPClient.Response, body: JSONValue, windowWait: Duration?) -> Bool {
        if response.status == 429 { return true }
        let statuses = compiled.manifest.rateLimit?.limitedStatuses ?? []
        if statuses.contains(response.status) && (windowWait != nil || response.header("Retry-After") != nil) {
            return true
        }
        if let graphql = compiled.manifest.graphql, let codes = graphql.rateLimitedCodes, !codes.isEmpty {
            return Self.graphQLCodes(body, graphql).contains { codes.contains($0) }
        }
        return false
    }

    /// The codes of a GraphQL answer's errors.
    static func graphQLCodes(_ body: JSONValue, _ spec: GraphQLSpec) -> [String] {
        (body["errors"]?.arrayValue ?? []).compactMap {
            $0.at(dotted: spec.codePath ?? "extensions.code").flatMap { Template.text(of: $0) }
        }
    }

    /// `answer` if it is a success: a 2xx without GraphQL errors.
    ///
    /// - Throws: what ``ConnectorHTTPClient/Response/requireSuccess()`` throws; `http.unauthorized`
    ///   for a GraphQL error with an unauthorized code; `manifest.graphql_error` for another.
    func requireSuccess(_ answer: Answer) throws -> Answer {
        try answer.response.requireSuccess()
        guard let errors = answer.body["errors"]?.arrayValue, !errors.isEmpty else { return answer }
        let spec = compiled.manifest.graphql ?? GraphQLSpec()
        let codes = Self.graphQLCodes(answer.body, spec)
        let message = errors.first?["message"]?.stringValue.map { String($0.prefix(200)) } ?? "an error"
        if let unauthorized = spec.unauthorizedCodes, codes.contains(where: unauthorized.contains) {
            throw MaxError(
                .httpUnauthorized, "\(answer.response.requestDescription) was refused: \(message)",
                hint: "check the credentials: \"\(MaxError.reauthenticateCommand())\"",
                context: ["code": codes.first ?? ""])
        }
        throw MaxError(
            .manifestGraphQLError, "\(answer.response.requestDescription) answered with GraphQL errors: \(message)",
            context: ["code": codes.first ?? "", "errors": String(errors.count)])
    }
}
