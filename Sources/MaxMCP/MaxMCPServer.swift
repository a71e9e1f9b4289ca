import Foundation
import MCP
public import MaxCore
public import MaxRuntime

/// `max mcp`: a Model Context Protocol server over standard input and output, for agents.
///
/// Its tools are thin adapters over the ``MaxFacade``: `max_ls`, `max_schema`, `max_search`,
/// `max_count`, `max_status`, `max_runs`, plus `max_sync` (with `allowSync`) and `max_ops`,
/// `max_invoke`, `max_jobs` (with `allowOperations`). Arguments are checked against each tool's
/// JSON Schema first; a failure is a tool error carrying the `MaxError` code and hint. Each
/// installation's schema is also a resource, `max://<installation>/schema`.
///
/// Standard output carries only protocol messages; nothing else writes there while it runs.
public struct MaxMCPServer: Sendable {
    /// The façade the tools call.
    public let facade: MaxFacade
    /// Whether `max_sync` is offered.
    public let allowSync: Bool
    /// Whether `max_ops`, `max_invoke` and `max_jobs` are offered.
    public let allowOperations: Bool

    /// A server over `facade`.
    public init(facade: MaxFacade, allowSync: Bool = false, allowOperations: Bool = false) {
        self.facade = facade
        self.allowSync = allowSync
        self.allowOperations = allowOperations
    }

    /// Serves on standard input and output until the client closes the connection.
    public func run() async throws {
        let server = await Self.server(
            tools: MaxTools(facade: facade, allowSync: allowSync, allowOperations: allowOperations).all,
            workspace: facade.workspace)
        try await server.start(transport: LineTransport())
        await server.waitUntilCompleted()
    }

    /// An MCP server offering `tools` and the schema resources of `workspace`, not yet started;
    /// a call of one of `withheld` is refused as not allowed (rather than unknown).
    static func server(tools: [MaxTools.Tool], withheld: [MaxTools.Tool] = [], workspace: MaxWorkspace) async
        -> Server
    {
        let server = Server(
            name: "max", version: "0.1.0",
            capabilities: .init(
                resources: .init(subscribe: false, listChanged: false), tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in
            ListTools.Result(
                tools: tools.map {
                    Tool(name: $0.name, description: $0.description, inputSchema: Value($0.inputSchema))
                })
        }
        await server.withMethodHandler(CallTool.self) { params in
            if let tool = withheld.first(where: { $0.name == params.name }) {
                return failure(
                    MaxError(
                        .toolForbidden,
                        "\(tool.name) needs \(tool.action.rawValue), which this caller's token does not hold",
                        hint: "use a token whose scope allows it (max serve tokens create --scope operate)"))
            }
            return await Self.call(params.name, arguments: params.arguments, tools: tools)
        }
        await server.withMethodHandler(ListResources.self) { _ in
            let names = (try? workspace.installations().map(\.name)) ?? []
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
            let schema = try await MaxFacade.schema(of: name, in: workspace)
            return ReadResource.Result(
                contents: [.text(MaxFacade.json(schema).prettyJSONText, uri: params.uri, mimeType: "application/json")])
        }
        return server
    }

    /// Runs tool `name`, turning every failure into a tool error with the code and hint.
    static func call(_ name: String, arguments: [String: Value]?, tools: [MaxTools.Tool]) async -> CallTool.Result {
        guard let tool = tools.first(where: { $0.name == name }) else {
            return failure(
                MaxError(
                    .toolNotFound, "there is no tool named \(name)",
                    hint: "tools: " + tools.map(\.name).joined(separator: ", ")))
        }
        let input = JSONValue.object((arguments ?? [:]).mapValues(\.json))
        do {
            let violations = try JSONSchema(tool.inputSchema).validate(input)
            guard violations.isEmpty else {
                throw MaxError(
                    .toolInvalidArguments,
                    "the arguments of \(name) are invalid: " + violations.map(\.description).joined(separator: "; "),
                    hint: "see the tool's input schema")
            }
            let (structured, text) = try await tool.run(input)
            return CallTool.Result(
                content: [.text(text: text, annotations: nil, _meta: nil)],
                structuredContent: Optional<Value>.some(Value(structured)), isError: false)
        } catch let error as MaxError {
            return failure(error)
        } catch {
            return failure(MaxError(.internalError, "unexpected failure: \(error)"))
        }
    }

    static func failure(_ error: MaxError) -> CallTool.Result {
        var object: [String: JSONValue] = ["code": .string(error.code.description), "message": .string(error.message)]
        if let hint = error.hint { object["hint"] = .string(hint) }
        let text = "error[\(error.code)]: \(error.message)" + (error.hint.map { "\nhint: \($0)" } ?? "")
        return CallTool.Result(
            content: [.text(text: text, annotations: nil, _meta: nil)],
            structuredContent: Optional<Value>.some(Value(["error": .object(object)])),
            isError: true)
    }
}

extension MaxError.Code {
    /// An MCP client called a tool that does not exist (or is not allowed in this server).
    public static let toolNotFound = Self(domain: "tool", name: "not_found", category: .notFound)
    /// An MCP client over HTTP called a tool its token's scope does not allow.
    public static let toolForbidden = Self(domain: "tool", name: "forbidden", category: .policyDenied)
    /// An MCP client called a tool with arguments that do not match its schema.
    public static let toolInvalidArguments = Self(domain: "tool", name: "invalid_arguments", category: .validationError)
}
