import Foundation
import MCP
public import MaxCore
public import MaxRuntime

/// `max mcp`: a Model Context Protocol server over standard input and output, for agents.
///
/// Its tools are the ``Endpoint``s that have one (`max_ls`, `max_schema`, `max_search`…), called on
/// the project's nodes: the reading ones always, `max_sync` with `allowSync`, `max_invoke` and the
/// job changes with `allowOperations`. Arguments are checked against each tool's JSON Schema
/// first; a failure is a tool error whose structured content is `{"error": …}`, the same object
/// `max serve` and `max … -o json` give. Each installation's schema is also a resource,
/// `max://<installation>/schema`.
///
/// Standard output carries only protocol messages; nothing else writes there while it runs.
public struct MaxMCPServer: Sendable {
    /// The nodes the tools call.
    public let api: MaxNodes
    /// What callers may do.
    public let allowed: Set<PolicyAction>
    /// Who calls, their token's scope and how the audit log names them.
    ///
    /// Each tool call is decided by the project's policy (``AccessControl``) for them. Over stdio,
    /// the caller is the local user.
    public var caller: (principal: Principal, scope: ServeTokens.Scope, name: String)

    /// A server over `api` allowing `allowed`, for `caller` (the local user when nil).
    public init(
        api: MaxNodes, allowed: Set<PolicyAction>,
        caller: (principal: Principal, scope: ServeTokens.Scope, name: String)? = nil
    ) {
        self.api = api
        self.allowed = allowed
        // Over stdio the flags decide which tools are offered; the policy then decides for the
        // local user, whose scope is not capped by a token.
        self.caller = caller ?? Self.localCaller
    }

    /// The caller over stdio: the local user, whose scope no token caps.
    static var localCaller: (principal: Principal, scope: ServeTokens.Scope, name: String) {
        (Principal(user: ProcessInfo.processInfo.userName), .admin, "mcp:\(ProcessInfo.processInfo.userName)")
    }

    /// A server over `api` allowing what `max mcp`'s flags allow.
    public init(api: MaxNodes, allowSync: Bool = false, allowOperations: Bool = false) {
        self.init(api: api, allowed: MaxTools.allowed(sync: allowSync, operations: allowOperations))
    }

    /// The names of the tools this server offers, in the table's order.
    public var toolNames: [String] { MaxTools(allowed: allowed).offered.map(\.name) }

    /// Serves on standard input and output until the client closes the connection.
    public func run() async throws {
        let server = await server()
        try await server.start(transport: LineTransport())
        await server.waitUntilCompleted()
    }

    /// The MCP server, not yet started.
    func server() async -> Server {
        let tools = MaxTools(allowed: allowed)
        let api = api
        let caller = caller
        let server = Server(
            name: "max", version: "0.1.0",
            capabilities: .init(
                resources: .init(subscribe: false, listChanged: false), tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in
            // max_sql's input schema names the views of this project's installations, with their columns.
            let views = tools.offered.contains { $0.endpoint == .sql } ? await api.local.sqlViewsDescription() : ""
            return ListTools.Result(
                tools: tools.offered.map {
                    var schema = $0.endpoint.inputSchema
                    if $0.endpoint == .sql, !views.isEmpty, case .object(var root) = schema,
                        case .object(var properties)? = root["properties"],
                        case .object(var query)? = properties["query"]
                    {
                        query["description"] = .string(
                            (query["description"]?.stringValue ?? "") + "\n\nThe views (name and columns):\n" + views)
                        properties["query"] = .object(query)
                        root["properties"] = .object(properties)
                        schema = .object(root)
                    }
                    return Tool(name: $0.name, description: $0.endpoint.summary, inputSchema: Value(schema))
                })
        }
        await server.withMethodHandler(CallTool.self) { params in
            await Self.call(params.name, arguments: params.arguments, tools: tools, api: api, caller: caller)
        }
        await server.withMethodHandler(ListResources.self) { _ in
            // What the caller may read, as the policy and tenancy say (everything without either).
            let policy = try AccessControl(workspace: api.workspace).policy()
            let names = ((try? api.workspace.installations().map(\.name)) ?? []).filter { name in
                policy?.decide(ProjectPolicy.Request(action: .catalogRead, installation: name), for: caller.principal)
                    .allowed ?? true
            }
            return ListResources.Result(
                resources: names.map {
                    Resource(
                        name: "\($0) schema", uri: "max://\($0)/schema",
                        description: "The entity types and fields of the installation \($0)",
                        mimeType: "application/json")
                })
        }
        await server.withMethodHandler(ReadResource.self) { params in
            let name = params.uri.replacingOccurrences(of: "max://", with: "")
                .replacingOccurrences(of: "/schema", with: "")
            let schema: SchemaDescription
            do {
                try await AccessControl(workspace: api.workspace).authorize(
                    .schema, arguments: ["installation": .string(name)], principal: caller.principal,
                    scope: caller.scope, caller: caller.name)
                schema = try await api.schema(InstallationRequest(installation: name))
            } catch {
                // The protocol's error carries the message; a Swift error would become "internal error".
                let failure = MaxError.wrapping(error)
                throw MCPError.invalidRequest("error[\(failure.code)]: \(failure.message)")
            }
            return ReadResource.Result(
                contents: [
                    .text(try APICoding.json(schema).prettyJSONText, uri: params.uri, mimeType: "application/json")
                ])
        }
        return server
    }

    /// Runs tool `name`, turning every failure into a tool error with the error's one JSON form.
    static func call(
        _ name: String, arguments: [String: Value]?, tools: MaxTools, api: MaxNodes,
        caller: (principal: Principal, scope: ServeTokens.Scope, name: String) = MaxMCPServer.localCaller
    ) async -> CallTool.Result {
        do {
            guard let tool = tools.offered.first(where: { $0.name == name }) else {
                if let withheld = tools.withheld.first(where: { $0.name == name }) {
                    throw MaxError.forbidden(withheld.endpoint)
                }
                throw MaxError(
                    .toolNotFound, "there is no tool named \(name)",
                    hint: "tools: " + tools.offered.map(\.name).joined(separator: ", "))
            }
            let input = JSONValue.object((arguments ?? [:]).mapValues(\.json))
            let violations = try JSONSchema(tool.endpoint.inputSchema).validate(input)
            guard violations.isEmpty else {
                throw MaxError(
                    .toolInvalidArguments,
                    "the arguments of \(name) are invalid: " + violations.map(\.description).joined(separator: "; "),
                    hint: "see the tool's input schema")
            }
            try await AccessControl(workspace: api.workspace).authorize(
                tool.endpoint, arguments: input, principal: caller.principal, scope: caller.scope, caller: caller.name)
            let answer = try await tool.endpoint.call(on: api, arguments: input)
                .visible(to: caller.principal, in: api.workspace)
            return CallTool.Result(
                content: [.text(text: answer.text, annotations: nil, _meta: nil)],
                structuredContent: Optional<Value>.some(Value(try answer.json())), isError: false)
        } catch {
            return failure(MaxError.wrapping(error))
        }
    }

    static func failure(_ error: MaxError) -> CallTool.Result {
        let text = "error[\(error.code)]: \(error.message)" + (error.hint.map { "\nhint: \($0)" } ?? "")
        return CallTool.Result(
            content: [.text(text: text, annotations: nil, _meta: nil)],
            structuredContent: Optional<Value>.some(Value(error.answer)), isError: true)
    }
}

extension MaxError.Code {
    /// An MCP client called a tool that does not exist.
    public static let toolNotFound = Self(domain: "tool", name: "not_found", category: .notFound)
    /// An MCP client called a tool with arguments that do not match its schema.
    public static let toolInvalidArguments = Self(domain: "tool", name: "invalid_arguments", category: .validationError)
}
