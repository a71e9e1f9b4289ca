import Foundation
import HTTPTypes
import Hummingbird
import MaxCore
import MaxPages
import MaxRuntime

/// The explorer: `max serve` answers `/` with web pages.
///
/// The pages are rendered on the server and usable without JavaScript. They read the project
/// through the same ``MaxAPI`` as every endpoint.
///
/// Signing in exchanges a serve token for a session cookie (HttpOnly, SameSite=Strict); every form
/// that changes something carries the session's CSRF token. Every page is sent with a
/// Content-Security-Policy that allows no script and no framing.
struct ExplorerRoutes: Sendable {
    let api: MaxNodes
    let tokens: ServeTokens
    let sessions: ExplorerSessions
    let bodyTimeout: Duration
    let renderer = ExplorerRenderer()

    /// The session cookie's name.
    static let cookie = "max_session"

    /// The explorer's routes and the methods each answers (they authorise by session, not bearer).
    static let routes: [String: Set<HTTPRequest.Method>] = [
        "/": [.get], "/session": [.get, .post], "/session/end": [.post], "/ui/assets/explorer.css": [.get],
        "/ui/i/:installation": [.get], "/ui/i/:installation/t/:type": [.get],
        "/ui/i/:installation/t/:type/r/:id": [.get], "/ui/i/:installation/runs": [.get], "/ui/jobs": [.get],
        "/ui/audit": [.get], "/ui/i/:installation/ops": [.get], "/ui/i/:installation/ops/:operation": [.get, .post],
    ]

    func add(to router: Router<MaxRequestContext>) {
        let explorer = self
        router.get("/") { request, _ in
            try await explorer.page(request) { session in
                try await explorer.installations(session)
            }
        }
        router.get("session") { request, _ in
            if explorer.session(of: request) != nil { return Self.redirect(to: "/") }
            return explorer.html(.signIn(SignIn(frame: Frame(title: "Sign in"))))
        }
        router.post("session") { request, _ in
            let form = try await explorer.form(of: request)
            let token = form["token"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !token.isEmpty, (try? explorer.tokens.grant(for: token)) != nil else {
                return explorer.html(
                    .signIn(
                        SignIn(
                            frame: Frame(title: "Sign in"),
                            error:
                                "That token is not one of this project's. Create one with \"max serve tokens create\".")
                    ),
                    status: .unauthorized)
            }
            let (id, _) = explorer.sessions.open(token: token)
            var response = Self.redirect(to: "/")
            response.setCookie(
                Cookie(
                    name: Self.cookie, value: id, maxAge: Int(explorer.sessions.lifetime.components.seconds), path: "/",
                    httpOnly: true, sameSite: .strict))
            return response
        }
        router.post("session/end") { request, _ in
            let form = try await explorer.form(of: request)
            if let id = request.cookies[Self.cookie]?.value, let session = explorer.sessions.session(id),
                ExplorerSessions.same(form["csrf"] ?? "", session.csrf)
            {
                explorer.sessions.close(id)
            } else if explorer.session(of: request) != nil {
                return explorer.html(
                    .failure(
                        Failure(
                            frame: Frame(title: "Not signed out"), code: "serve.csrf",
                            message: "the form did not carry this session's token",
                            hint: "sign out from a page of this site")),
                    status: .forbidden)
            }
            var response = Self.redirect(to: "/session")
            response.setCookie(
                Cookie(name: Self.cookie, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }
        router.get("ui/assets/explorer.css") { _, _ in
            var response = Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: ExplorerAssets.css)))
            Self.secure(&response)
            return response
        }
        router.get("ui/i/:installation") { request, context in
            let installation = try context.parameters.require("installation")
            return try await explorer.page(request) { session in
                try await explorer.installation(installation, session)
            }
        }
        router.get("ui/i/:installation/t/:type") { request, context in
            let installation = try context.parameters.require("installation")
            let type = try context.parameters.require("type")
            return try await explorer.page(request) { session in
                try await explorer.table(installation, type, Self.fields(request.uri.query ?? ""), session)
            }
        }
        addActivity(to: router)
        addOperations(to: router)
        router.get("ui/i/:installation/t/:type/r/:id") { request, context in
            let installation = try context.parameters.require("installation")
            let type = try context.parameters.require("type")
            let id = try context.parameters.require("id")
            return try await explorer.page(request) { session in
                try await explorer.record(installation, type, id, session)
            }
        }
    }

    // MARK: Sessions and responses

    /// The signed-in session of a request: its cookie names a live session whose token is still
    /// one of the project's.
    func session(of request: Request) -> SignedIn? {
        guard let session = sessions.session(request.cookies[Self.cookie]?.value),
            let grant = try? tokens.grant(for: session.token)
        else { return nil }
        return SignedIn(grant: grant, csrf: session.csrf)
    }

    /// A signed-in session as a page needs it.
    struct SignedIn: Sendable {
        let grant: ServeTokens.Grant
        let csrf: String

        /// How the audit log names the session.
        var caller: String { "explorer:\(grant.id)" }

        /// A page's frame for this session.
        func frame(_ title: String, _ crumbs: [Link] = []) -> Frame {
            Frame(title: title, crumbs: crumbs, csrf: csrf, scope: grant.scope.rawValue)
        }
    }

    /// A page for a signed-in session (a redirect to sign in otherwise); an error is a page too.
    func page(_ request: Request, _ build: (SignedIn) async throws -> ExplorerPage) async throws -> Response {
        guard let session = session(of: request) else { return Self.redirect(to: "/session") }
        do {
            return html(try await build(session))
        } catch let error as MaxError {
            return html(
                .failure(
                    Failure(
                        frame: session.frame("Error", [Link("Installations", href: "/")]),
                        code: error.code.description, message: error.message, hint: error.hint)),
                status: HTTPResponse.Status(code: error.httpStatus))
        }
    }

    private func html(_ page: ExplorerPage, status: HTTPResponse.Status = .ok) -> Response {
        var response = Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: renderer.render(page))))
        Self.secure(&response)
        return response
    }

    /// The headers every explorer answer carries: no script, no framing, no sniffing, no referrer.
    static func secure(_ response: inout Response) {
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        if let frameOptions = HTTPField.Name("X-Frame-Options") { response.headers[frameOptions] = "DENY" }
        if let referrer = HTTPField.Name("Referrer-Policy") { response.headers[referrer] = "no-referrer" }
    }

    static func redirect(to location: String) -> Response {
        var response = Response(status: .seeOther, headers: [.location: location])
        secure(&response)
        return response
    }

    /// A form's fields (`application/x-www-form-urlencoded`, at most 64 KiB).
    func form(of request: Request) async throws -> [String: String] {
        let body = try await Routes.body(of: request, upTo: 64 << 10, within: bodyTimeout)
        return Self.fields(String(buffer: body))
    }

    /// The fields of a form's encoding (a POST body, or a GET form's query): `name=value&…`,
    /// percent-encoded, with `+` for a space (which Hummingbird's query parameters keep as `+`).
    static func fields(_ encoded: String) -> [String: String] {
        var components = URLComponents()
        components.percentEncodedQuery = encoded.replacingOccurrences(of: "+", with: "%20")
        var fields: [String: String] = [:]
        for item in components.queryItems ?? [] { fields[item.name] = item.value ?? "" }
        return fields
    }

    /// Allows what a page shows for the session, as the API's `endpoint` would (the token's scope,
    /// then the project's policy, a denial audited), or throws.
    func allow(_ endpoint: Endpoint, _ session: SignedIn, installation: String? = nil, operation: String? = nil)
        async throws
    {
        var arguments: [String: JSONValue] = [:]
        arguments["installation"] = installation.map(JSONValue.string)
        arguments["operation"] = operation.map(JSONValue.string)
        try await AccessControl(workspace: api.workspace).authorize(
            endpoint, arguments: .object(arguments), principal: session.grant.principal, scope: session.grant.scope,
            caller: session.caller)
    }

    // MARK: Pages

    private func installations(_ session: SignedIn) async throws -> ExplorerPage {
        try await allow(.installations, session)
        let list = try AccessControl(workspace: api.workspace).visible(
            try await api.installations(NoParameters()), to: session.grant.principal)
        let rows = list.installations.map { installation in
            Installations.Row(
                name: Link(installation.name, href: Self.path(installation.name)),
                connector: installation.connector, status: installation.state ?? installation.status,
                entities: installation.entities.map(Self.number) ?? "",
                lastSync: installation.lastSync.map(Self.time) ?? "never",
                nextRun: installation.nextRun.map(Self.time) ?? "")
        }
        return .installations(Installations(frame: session.frame("Installations"), rows: rows))
    }

    private func installation(_ name: String, _ session: SignedIn) async throws -> ExplorerPage {
        try await allow(.installation, session, installation: name)
        let summary = try await api.installation(InstallationRequest(installation: name))
        let schema = try await api.schema(InstallationRequest(installation: name))
        var types: [Installation.TypeRow] = []
        for entity in schema.entities {
            let count = try? await api.count(CountRequest(installation: name, entityType: entity.name)).count
            let fields = entity.fields.map { field in
                let target = schema.relationships.first { $0.from == entity.name && $0.field == field.name }?.to
                return Installation.Field(
                    name: field.name, type: Link(field.type, href: target.map { Self.path(name, $0) }))
            }
            types.append(
                Installation.TypeRow(
                    name: Link(entity.name, href: Self.path(name, entity.name)), summary: entity.summary,
                    count: count.map(Self.number) ?? "", fields: fields))
        }
        var status =
            "\(summary.connector) · \(summary.state ?? summary.status) · last sync \(summary.lastSync.map(Self.time) ?? "never")"
        if let next = summary.nextRun { status += " · next run \(Self.time(next))" }
        return .installation(
            Installation(
                frame: session.frame(name, [Link("Installations", href: "/")]), status: status,
                actions: [
                    Link("Runs", href: Self.path(name) + "/runs"), Link("Operations", href: Self.path(name) + "/ops"),
                ],
                types: types))
    }

    private func table(_ name: String, _ type: String, _ query: [String: String], _ session: SignedIn) async throws
        -> ExplorerPage
    {
        let filter = query["filter"] ?? ""
        let fields = query["fields"] ?? ""
        let order = query["order"] ?? ""
        let after = query["after"].flatMap { $0.isEmpty ? nil : $0 }
        let limit = query["limit"].flatMap { Int($0) }.map { min(max($0, 1), 500) }
        try await allow(.search, session, installation: name)
        let schema = try await api.schema(InstallationRequest(installation: name))
        guard let entity = schema.entities.first(where: { $0.name == type }) else {
            throw MaxError(
                .unknownEntityType, "\(name) has no entity type \(type)",
                hint: "its types: " + schema.entities.map(\.name).joined(separator: ", "))
        }
        let crumbs = [Link("Installations", href: "/"), Link(name, href: Self.path(name))]
        let action = Self.path(name, type)
        let page: SearchPage
        let total: Int
        do {
            page = try await api.search(
                SearchRequest(
                    installation: name, entityType: type, filter: filter.isEmpty ? nil : filter,
                    fields: fields.isEmpty ? nil : fields, orderBy: order.isEmpty ? nil : order, limit: limit ?? 50,
                    cursor: after))
            total = try await api.count(
                CountRequest(installation: name, entityType: type, filter: filter.isEmpty ? nil : filter)
            ).count
        } catch let error as MaxError where error.category == .validationError {
            return .table(
                Table(
                    frame: session.frame(type, crumbs), action: action, filter: filter, fields: fields, order: order,
                    fieldNames: entity.fields.map(\.name), columns: [], rows: [], total: nil,
                    error: Self.inputError(error), next: nil, first: nil))
        }
        // The id comes first whatever the fields, and links to the record.
        let columns = (page.fields.contains("_id") ? [] : ["_id"]) + page.fields
        let rows = page.records.map { record in
            Table.Row(
                cells: columns.map { field in
                    if field == "_id" { return Link(record.ref.id, href: Self.path(name, type, record.ref.id)) }
                    let values = Self.links(record[field] ?? .null, name)
                    return values.count == 1 ? values[0] : Link(values.map(\.text).joined(separator: ", "))
                })
        }
        func link(after cursor: String?) -> String {
            var items: [URLQueryItem] = []
            if !filter.isEmpty { items.append(URLQueryItem(name: "filter", value: filter)) }
            if !fields.isEmpty { items.append(URLQueryItem(name: "fields", value: fields)) }
            if !order.isEmpty { items.append(URLQueryItem(name: "order", value: order)) }
            if let limit { items.append(URLQueryItem(name: "limit", value: String(limit))) }
            if let cursor { items.append(URLQueryItem(name: "after", value: cursor)) }
            return Self.path(name, type, query: items)
        }
        return .table(
            Table(
                frame: session.frame(type, crumbs), action: action, filter: filter, fields: fields, order: order,
                fieldNames: entity.fields.map(\.name), columns: columns, rows: rows,
                total: "\(Self.number(total)) match" + (total == 1 ? "" : "es"), error: nil,
                next: page.hasMore ? link(after: page.cursor) : nil, first: after == nil ? nil : link(after: nil)))
    }

    private func record(_ name: String, _ type: String, _ id: String, _ session: SignedIn) async throws -> ExplorerPage
    {
        try await allow(.search, session, installation: name)
        let schema = try await api.schema(InstallationRequest(installation: name))
        let page = try await api.search(
            SearchRequest(
                installation: name, entityType: type, filter: "_id = \(JSONValue.string(id).jsonText)", fields: ".all",
                limit: 1, includeDeleted: true))
        guard let record = page.records.first else {
            throw MaxError(
                .entityNotFound, "\(name) holds no \(type) \(id)", hint: "it may not be synced yet: max sync \(name)")
        }
        let fields = page.fields.map { field in
            Record.Field(name: field, values: Self.links(record[field] ?? .null, name))
        }
        let referredBy = schema.relationships.filter { $0.to == type }.map { relationship in
            Link(
                "\(relationship.from) whose \(relationship.field) "
                    + (relationship.cardinality == "many" ? "include" : "is") + " it",
                href: Self.path(
                    name, relationship.from,
                    query: [
                        URLQueryItem(name: "filter", value: "\(relationship.field) = \(JSONValue.string(id).jsonText)")
                    ]))
        }
        let crumbs = [
            Link("Installations", href: "/"), Link(name, href: Self.path(name)),
            Link(type, href: Self.path(name, type)),
        ]
        return .record(Record(frame: session.frame(id, crumbs), fields: fields, referredBy: referredBy))
    }

    // MARK: Values and links

    /// A value as the links a page shows: a ref links to its target's page, a collection to each
    /// member's.
    static func links(_ value: FieldValue, _ installation: String) -> [Link] {
        switch value {
        case .null: return [Link("")]
        case .string(let text): return [Link(text)]
        case .int(let number): return [Link(String(number))]
        case .double(let number): return [Link(String(number))]
        case .bool(let flag): return [Link(String(flag))]
        case .date(let date): return [Link(ISO8601.format(date))]
        case .json(let json): return [Link(json.jsonText)]
        case .ref(let ref): return [Link(ref.id, href: path(installation, ref.type.name, ref.id))]
        case .refs(let refs):
            return refs.isEmpty
                ? [Link("(none)")] : refs.map { Link($0.id, href: path(installation, $0.type.name, $0.id)) }
        }
    }

    /// The explorer's path of an installation, a type's table, or a record, with a query.
    static func path(_ installation: String, _ type: String? = nil, _ id: String? = nil, query: [URLQueryItem] = [])
        -> String
    {
        var components = URLComponents()
        var path = "/ui/i/" + segment(installation)
        if let type { path += "/t/" + segment(type) }
        if let id { path += "/r/" + segment(id) }
        components.percentEncodedPath = path
        if !query.isEmpty { components.queryItems = query }
        // URLComponents leaves `+` as is, which a form decoder reads as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return components.string ?? path
    }

    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? ""
    }

    /// A refused filter, field list or ordering, with a caret under the column at fault.
    static func inputError(_ error: MaxError) -> InputError {
        let expression = error.context[MaxError.ContextKey.expression]
        let caret = error.context[MaxError.ContextKey.column].flatMap(Int.init).map {
            String(repeating: " ", count: max(0, $0 - 1)) + "^"
        }
        return InputError(
            code: error.code.description, message: error.message, expression: expression,
            caret: expression == nil ? nil : caret, hint: error.hint)
    }

    static func number(_ value: Int) -> String {
        value.formatted(.number.grouping(.automatic))
    }

    static func time(_ date: Date) -> String {
        ISO8601.format(date)
    }
}
