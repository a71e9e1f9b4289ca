import Foundation
import MaxCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs a Swift connector as a child process of Max, speaking the connector protocol on its
/// standard input and output (see `docs/connector-protocol.md`).
///
/// ```swift
/// @main struct Main {
///     static func main() async throws { try await ConnectorHost.run(HelloConnector()) }
/// }
/// ```
///
/// Standard output belongs to the protocol: anything the connector itself prints there is sent to
/// standard error instead, which Max keeps as the connector's log. Secrets are asked of Max over
/// the pipe (`credentials/get`) when the connector reads its credential store; they are never in
/// the arguments or the environment. The HTTP client the connector is given sends its requests
/// to Max (`http/request`), so the installation's retries, rate limit, breaker and request counts
/// apply as they do in process.
public enum ConnectorHost {
    /// Serves `module` until Max closes the connector's input.
    ///
    /// - Throws: when the pipes cannot be set up.
    public static func run<Module: ConnectorModule>(_ module: Module) async throws {
        // The protocol runs over pipes (what Max gives); a file or a device cannot be watched.
        for descriptor: CInt in [0, 1] where !isPipe(descriptor) {
            throw MaxError(
                .connectorProtocol,
                "the connector protocol runs over pipes, and descriptor \(descriptor) is not one",
                hint:
                    "this program is started by Max (see docs/connector-protocol.md); to try it by hand, pipe into it and read from it"
            )
        }
        // The protocol gets its own copy of standard output; descriptor 1 then points at
        // standard error, so a stray print cannot corrupt a message.
        let protocolOutput = dup(1)
        guard protocolOutput >= 0, dup2(2, 1) >= 0 else {
            throw MaxError(.connectorCrashed, "could not set up standard output for the protocol")
        }
        let connection = RPCConnection()
        let session = HostSession(module: module, connection: connection)
        try await connection.run(input: 0, output: protocolOutput) { method, params in
            try await session.handle(method, params)
        }
        await session.stop()
    }
}

extension ConnectorHost {
    /// Whether `descriptor` is a pipe or a socket.
    static func isPipe(_ descriptor: CInt) -> Bool {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return false }
        let kind = status.st_mode & S_IFMT
        return kind == S_IFIFO || kind == S_IFSOCK
    }
}

/// What a hosted connector holds between calls: the installation `initialise` built.
actor HostSession<Module: ConnectorModule> {
    let module: Module
    let connection: RPCConnection
    private var live: LiveInstallation?

    init(module: Module, connection: RPCConnection) {
        self.module = module
        self.connection = connection
    }

    func stop() async {
        await live?.stop()
        live = nil
    }

    func handle(_ name: String, _ params: JSONValue) async throws -> JSONValue {
        guard let method = ConnectorMethod(rawValue: name) else {
            throw MaxError(.rpcMethodNotFound, "the connector has no method \(name)")
        }
        switch method {
        case .describe:
            return try ConnectorDescription.json(of: module)
        case .onboardingValidate, .onboardingOptions, .onboardingCustom:
            return try await onboarding(method, params)
        case .initialise:
            await live?.stop()
            let installation = try module.initialise(
                config: params["config"] ?? [:], credentials: PipeCredentialStore(connection: connection),
                http: Self.pipeHTTP(connection))
            try await installation.start()
            live = installation
            return [:]
        case .shutdown:
            // Max closes the pipe once it has the answer; the host then returns.
            await stop()
            return [:]
        case .health, .syncSeed, .loadEntities, .loadCollection, .changesPosition, .changesPage, .operationExecute:
            return try await installationCall(method, params, try started())
        case .credentialsGet, .credentialsSet, .credentialsRemove, .credentialsNames, .httpRequest:
            throw MaxError(.rpcMethodNotFound, "\(name) is a method of Max, not of the connector")
        }
    }

    /// An HTTP client whose requests go to Max (`http/request`), which sends them through the
    /// installation's client: its retries, rate limit and breaker apply there, not twice here.
    static func pipeHTTP(_ connection: RPCConnection) -> ConnectorHTTPClient {
        var http = ConnectorHTTPClient.shared
        http.retryPolicy = .none
        http.transport = { request in
            var params: [String: JSONValue] = [
                "method": .string(request.method.rawValue), "url": .string(request.url),
                "headers": .object(
                    Dictionary(request.headers.map { ($0.0, JSONValue.string($0.1)) }) { _, last in last }),
            ]
            if let body = request.body {
                if let text = String(data: body, encoding: .utf8) {
                    params["body"] = .string(text)
                } else {
                    params["bodyBase64"] = .string(body.base64EncodedString())
                }
            }
            let answer = try await connection.call(.httpRequest, .object(params))
            let body =
                answer["bodyBase64"]?.stringValue.flatMap { Data(base64Encoded: $0) }
                ?? Data((answer["body"]?.stringValue ?? "").utf8)
            return ConnectorHTTPClient.Response(
                status: answer["status"]?.intValue ?? 0,
                headers: (answer["headers"]?.objectValue ?? [:]).compactMap { name, value in
                    value.stringValue.map { (name, $0) }
                }, body: body, requestDescription: "\(request.method.rawValue) \(request.url)")
        }
        return http
    }

    private func started() throws -> LiveInstallation {
        guard let live else {
            throw MaxError(.installationNotStarted, "the connector was not initialised", hint: "call initialise first")
        }
        return live
    }

    private func installationCall(_ method: ConnectorMethod, _ params: JSONValue, _ live: LiveInstallation)
        async throws -> JSONValue
    {
        switch method {
        case .health:
            let status = await live.health()
            var object: [String: JSONValue] = ["status": .string(status.name)]
            if let reason = status.reason { object["message"] = .string(reason) }
            return .object(object)
        case .syncSeed:
            let seed = try await live.seed()
            return ["entities": .array(seed.entities.map(WireFormat.json)), "plan": WireFormat.json(seed.plan)]
        case .loadEntities:
            let type = EntityType(params["entityType"]?.stringValue ?? "")
            let fields = (params["fields"]?.arrayValue ?? []).compactMap(\.stringValue)
            let refs = try (params["refs"]?.arrayValue ?? []).map(WireFormat.ref)
            var entities: [JSONValue] = []
            for group in try live.loaders(for: type, fields: fields) {
                entities += try await group.loader.load(refs).map(WireFormat.json)
            }
            return ["entities": .array(entities)]
        case .loadCollection:
            let owner = try WireFormat.ref(params["owner"] ?? .null)
            let loader = try live.collectionLoader(for: owner.type, field: params["field"]?.stringValue ?? "")
            let page = try await loader.load(
                owner,
                PageRequest(limit: params["limit"]?.intValue ?? loader.pageSize, cursor: params["cursor"]?.stringValue))
            var object: [String: JSONValue] = [
                "items": .array(page.items.map(WireFormat.json)), "hasMore": .bool(page.hasMore),
            ]
            if let cursor = page.cursor { object["cursor"] = .string(cursor) }
            return .object(object)
        case .changesPosition:
            return ["position": try await live.changePosition().map(JSONValue.string) ?? .null]
        case .changesPage:
            guard let page = try await live.changes(after: params["after"]?.stringValue ?? "") else {
                throw MaxError(.noLoader, "this connector has no change feed")
            }
            return [
                "changes": .array(page.changes.map(WireFormat.json)), "position": .string(page.position),
                "hasMore": .bool(page.hasMore),
            ]
        case .operationExecute:
            let output = try await live.execute(
                params["operation"]?.stringValue ?? "",
                OperationCall(
                    input: params["input"] ?? [:], idempotencyKey: params["idempotencyKey"]?.stringValue,
                    requestID: params["requestId"]?.stringValue ?? ""))
            return WireFormat.json(output)
        case .describe, .onboardingValidate, .onboardingOptions, .onboardingCustom, .initialise, .shutdown,
            .credentialsGet, .credentialsSet, .credentialsRemove, .credentialsNames, .httpRequest:
            throw MaxError(.rpcMethodNotFound, "\(method.rawValue) is not a call of a started installation")
        }
    }

    private func onboarding(_ method: ConnectorMethod, _ params: JSONValue) async throws -> JSONValue {
        let steps = module.def.onboarding.steps
        guard let index = params["step"]?.intValue, steps.indices.contains(index) else {
            throw MaxError(.rpcMethodNotFound, "there is no onboarding step \(params["step"]?.jsonText ?? "?")")
        }
        let state = params["state"]?.objectValue ?? [:]
        let context = OnboardingContext(credentialStore: PipeCredentialStore(connection: connection))
        var step = steps[index]
        while case .when(_, let inner) = step { step = inner }
        switch (method, step) {
        case (.onboardingValidate, .validation(let step)):
            try await step.validate(state, context)
            return [:]
        case (.onboardingOptions, .select(let step)):
            let options = try await step.options(state, context)
            return ["options": .array(options.map { ["label": .string($0.label), "value": .string($0.value)] })]
        case (.onboardingCustom, .custom(let step)):
            return ["state": .object(try await step.execute(state, context))]
        default:
            throw MaxError(.rpcMethodNotFound, "onboarding step \(index) does not answer \(method.rawValue)")
        }
    }
}

/// The credential store of a hosted connector, over the pipe.
///
/// Every read is a `credentials/get` request to Max, which answers from the installation's own
/// store. Writes (a refreshed token) go back with
/// `credentials/set`.
struct PipeCredentialStore: CredentialStore {
    let connection: RPCConnection
    let derivedCredentials = DerivedCredentialCache()

    func secret(named name: String) async throws -> Secret? {
        let answer = try await connection.call(.credentialsGet, ["name": .string(name)])
        return answer["value"]?.stringValue.map(Secret.init)
    }

    func setSecret(_ secret: Secret, named name: String) async throws {
        _ = try await connection.call(.credentialsSet, ["name": .string(name), "value": .string(secret.revealed)])
    }

    func removeSecret(named name: String) async throws {
        _ = try await connection.call(.credentialsRemove, ["name": .string(name)])
    }

    func names() async throws -> [String] {
        (try await connection.call(.credentialsNames)["names"]?.arrayValue ?? []).compactMap(\.stringValue)
    }
}
