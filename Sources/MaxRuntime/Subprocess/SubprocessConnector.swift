import Foundation
public import Logging
public import MaxConnector
public import MaxCore

/// A connector that runs out of process, as a ``ConnectorModule`` like any other: its definition is
/// built from its answer to `describe`, and each loader, seeder, change feed, onboarding callback
/// and operation is a call over the connector protocol to a ``ConnectorProcess``.
///
/// So the sync engine, the operation invoker and onboarding treat it exactly as a connector
/// compiled into Max; only the isolation differs.
public struct SubprocessConnector: ConnectorModule {
    /// The stored config, as `max.json` holds it.
    public typealias Config = JSONValue
    /// The loaders' context: the installation's process.
    public typealias Context = ConnectorProcess

    /// How the process is run.
    public let settings: ConnectorProcess.Settings
    /// The definition, from `describe`.
    public let def: ConnectorDef<ConnectorProcess>
    /// Where the installation's connector log goes.
    public var logger: Logger?

    /// Asks the connector at `settings.command` to describe itself (in a process that then stops),
    /// and builds the module from the answer.
    ///
    /// - Throws: `connector.*` when it cannot be run or its description is not the protocol's.
    public static func describe(name: String, settings: ConnectorProcess.Settings) async throws -> SubprocessConnector {
        let process = ConnectorProcess(name: name, settings: settings, credentials: InMemoryCredentialStore())
        let answer: JSONValue
        do {
            answer = try await process.call(.describe, starting: true)
        } catch {
            await process.stop()
            throw error
        }
        await process.stop()
        var settings = settings
        // The hosts the connector says it reaches join the installation's own.
        settings.sandbox?.egress += (answer["egress"]?.arrayValue ?? []).compactMap(\.stringValue)
        return SubprocessConnector(settings: settings, def: try definition(from: answer, settings: settings))
    }

    /// Builds the installation with the shared HTTP client (see
    /// ``initialise(_:credentials:http:)``).
    public func initialise(_ config: JSONValue, credentials: any CredentialStore) throws -> Installation<
        ConnectorProcess
    > {
        try initialise(config, credentials: credentials, http: .shared)
    }

    /// Builds the installation: nothing starts until ``Installation/start()``.
    ///
    /// Starting it starts the process and sends it the config. The connector's `http/request`
    /// calls go through `http`, the installation's client, with its retries, rate limit, breaker
    /// and request counts.
    public func initialise(_ config: JSONValue, credentials: any CredentialStore, http: ConnectorHTTPClient) throws
        -> Installation<ConnectorProcess>
    {
        let process = ConnectorProcess(
            name: def.name, settings: settings, credentials: credentials, config: config, http: http, logger: logger)
        return Installation(
            context: process, start: { try await process.start() }, stop: { await process.stop() },
            health: {
                do {
                    let answer = try await process.call(.health)
                    let message = answer["message"]?.stringValue ?? ""
                    switch answer["status"]?.stringValue {
                    case "healthy": return .healthy
                    case "degraded": return .degraded(message)
                    case "credential_expired": return .credentialExpired(message)
                    default: return .unhealthy(message.isEmpty ? "the connector says it is not healthy" : message)
                    }
                } catch let error as MaxError {
                    return .unhealthy(error.message)
                } catch {
                    return .unhealthy("\(error)")
                }
            })
    }

    // MARK: The definition

    static func definition(from json: JSONValue, settings: ConnectorProcess.Settings) throws -> ConnectorDef<
        ConnectorProcess
    > {
        guard json["protocol"]?.intValue == ConnectorDescription.protocolVersion else {
            throw WireFormat.protocolError(
                "describe must say \"protocol\": \(ConnectorDescription.protocolVersion) (it said \(json["protocol"]?.jsonText ?? "nothing"))"
            )
        }
        guard let name = json["name"]?.stringValue, !name.isEmpty, let version = json["version"]?.stringValue else {
            throw WireFormat.protocolError("describe must give \"name\" and \"version\"")
        }
        let schema = try WireFormat.schema(json["schema"] ?? .null)
        let loaderSizes = Dictionary(
            (json["loaders"]?.arrayValue ?? []).compactMap { loader in
                loader["name"]?.stringValue.map { ($0, loader["batchSize"]?.intValue ?? 1) }
            }, uniquingKeysWith: { first, _ in first })
        var resolvers: [Resolver<ConnectorProcess>] = []
        for resolver in json["resolvers"]?.arrayValue ?? [] {
            guard let typeName = resolver["entityType"]?.stringValue else {
                throw WireFormat.protocolError("a resolver needs \"entityType\"")
            }
            let type = EntityType(typeName)
            // Each loader with the fields of this type it loads.
            var byLoader: [String: [String]] = [:]
            for (field, loader) in resolver["fields"]?.objectValue ?? [:] {
                guard let loader = loader.stringValue else { continue }
                byLoader[loader, default: []].append(field)
            }
            var fields: [String: EntityLoader<ConnectorProcess>] = [:]
            for (loaderName, loaded) in byLoader {
                let sorted = loaded.sorted()
                let loader = EntityLoader<ConnectorProcess>.batched(
                    loaderName, for: type, batchSize: loaderSizes[loaderName] ?? 1
                ) { refs, process in
                    let answer = try await process.call(
                        .loadEntities,
                        [
                            "entityType": .string(type.name), "fields": .array(sorted.map(JSONValue.string)),
                            "refs": .array(refs.map(WireFormat.json)),
                        ])
                    return try (answer["entities"]?.arrayValue ?? []).map { try WireFormat.entity($0, schema: schema) }
                }
                for field in loaded { fields[field] = loader }
            }
            let collections = try (resolver["collections"]?.arrayValue ?? []).map { collection in
                guard let field = collection["field"]?.stringValue, let target = collection["target"]?.stringValue
                else { throw WireFormat.protocolError("a collection needs \"field\" and \"target\"") }
                return CollectionLoader<ConnectorProcess>(
                    collection["loader"]?.stringValue ?? "\(typeName).\(field)", owner: type, field: field,
                    target: EntityType(target), pageSize: collection["pageSize"]?.intValue ?? 100
                ) { owner, page, process in
                    var params: [String: JSONValue] = [
                        "owner": WireFormat.json(owner), "field": .string(field), "limit": .int(page.limit),
                    ]
                    if let cursor = page.cursor { params["cursor"] = .string(cursor) }
                    let answer = try await process.call(.loadCollection, .object(params))
                    return Page(
                        items: try (answer["items"]?.arrayValue ?? []).map {
                            try WireFormat.entity($0, schema: schema)
                        },
                        hasMore: answer["hasMore"]?.boolValue ?? false, cursor: answer["cursor"]?.stringValue)
                }
            }
            resolvers.append(Resolver(for: type, fields: fields, collections: collections))
        }
        let changeFeed: ChangeFeed<ConnectorProcess>? =
            json["changeFeed"]?.boolValue == true
            ? ChangeFeed(
                position: { process in
                    guard let position = try await process.call(.changesPosition)["position"]?.stringValue else {
                        throw WireFormat.protocolError("changes/position must give a \"position\" string")
                    }
                    return position
                },
                changes: { after, process in
                    let answer = try await process.call(.changesPage, ["after": .string(after)])
                    guard let position = answer["position"]?.stringValue else {
                        throw WireFormat.protocolError("changes/page must give a \"position\" string")
                    }
                    return ChangePage(
                        changes: try (answer["changes"]?.arrayValue ?? []).map {
                            try WireFormat.change($0, schema: schema)
                        }, position: position, hasMore: answer["hasMore"]?.boolValue ?? false)
                }) : nil
        let operations = try (json["operations"]?.arrayValue ?? []).map { declaration in
            let info = try operationInfo(declaration)
            return OperationDef<ConnectorProcess>(info) { call, process in
                var params: [String: JSONValue] = [
                    "operation": .string(info.id), "input": call.input, "requestId": .string(call.requestID),
                ]
                if let key = call.idempotencyKey { params["idempotencyKey"] = .string(key) }
                return try WireFormat.output(
                    try await process.call(.operationExecute, .object(params)), schema: schema)
            }
        }
        var rateLimit: RateLimit?
        if let rate = json["rateLimit"]?["rate"]?.doubleValue {
            rateLimit = RateLimit(rate: rate, burst: json["rateLimit"]?["burst"]?.intValue ?? 1)
        }
        return ConnectorDef(
            name: name, displayName: json["displayName"]?.stringValue ?? name,
            description: json["description"]?.stringValue ?? "", version: version, schema: schema,
            onboarding: OnboardingFlow(
                try (json["onboarding"]?.arrayValue ?? []).enumerated().map { index, step in
                    try onboardingStep(step, index: index, name: name, settings: settings)
                }),
            seeder: Seeder { process in
                let answer = try await process.call(.syncSeed)
                return Seed(
                    entities: try (answer["entities"]?.arrayValue ?? []).map {
                        try WireFormat.entity($0, schema: schema)
                    },
                    plan: try WireFormat.plan(answer["plan"] ?? .array([])))
            }, resolvers: resolvers, rateLimit: rateLimit, changeFeed: changeFeed, operations: operations,
            operationSchemaVersion: json["operationSchemaVersion"]?.stringValue ?? "1.0.0",
            configSchema: try configSchema(json["configSchema"]))
    }

    /// The config schema a connector describes (`{"version": 2, "schema": {…}}`).
    ///
    /// `nil` without one, for the SDK to derive. Migrations are code and do not cross the protocol, so Max
    /// carries none: an installation recorded with an older config version is an error naming it.
    static func configSchema(_ json: JSONValue?) throws -> ConfigSchema? {
        guard let json, json != .null else { return nil }
        guard let version = json["version"]?.intValue, let schema = json["schema"] else {
            throw WireFormat.protocolError("\"configSchema\" needs an integer \"version\" and a \"schema\"")
        }
        return ConfigSchema(version: version, schema: try JSONSchema(schema))
    }

    static func operationInfo(_ json: JSONValue) throws -> OperationInfo {
        guard let id = json["id"]?.stringValue else { throw WireFormat.protocolError("an operation needs an \"id\"") }
        do {
            return try OperationInfo(
                id, displayName: json["displayName"]?.stringValue ?? id,
                description: json["description"]?.stringValue ?? "",
                input: json["inputSchema"] ?? ["type": "object"], output: json["outputSchema"] ?? [:],
                mutating: json["mutating"]?.boolValue ?? true,
                mode: json["mode"]?.stringValue.flatMap { OperationInfo.Mode(rawValue: $0) } ?? .sync,
                maxTimeout: .milliseconds(json["maxTimeoutMs"]?.intValue ?? 30_000),
                supportsIdempotency: json["supportsIdempotency"]?.boolValue,
                maxPayloadBytes: json["maxPayloadBytes"]?.intValue ?? 1 << 20,
                redactions: (json["redactions"]?.arrayValue ?? []).compactMap(\.stringValue),
                writeThrough: json["writeThrough"]?.stringValue.map { EntityType($0) })
        } catch let error as MaxError {
            throw WireFormat.protocolError("the operation \(id) is malformed: \(error.message)")
        }
    }

    /// An onboarding step from its description; a callback runs in a process of its own, with the
    /// credentials entered so far.
    static func onboardingStep(_ json: JSONValue, index: Int, name: String, settings: ConnectorProcess.Settings)
        throws -> OnboardingStep
    {
        let label = json["label"]?.stringValue ?? "Step \(index + 1)"
        @Sendable func callback(_ method: ConnectorMethod, _ state: OnboardingState, _ context: OnboardingContext)
            async throws
            -> JSONValue
        {
            let process = ConnectorProcess(name: name, settings: settings, credentials: context.credentialStore)
            do {
                let answer = try await process.call(method, ["step": .int(index), "state": .object(state)])
                await process.stop()
                return answer
            } catch {
                await process.stop()
                throw error
            }
        }
        let step: OnboardingStep
        switch json["kind"]?.stringValue {
        case "input":
            step = .input(
                InputStep(
                    label, description: json["description"]?.stringValue,
                    fields: (json["fields"]?.arrayValue ?? []).compactMap { field in
                        field["name"]?.stringValue.map { fieldName in
                            InputField(
                                fieldName, label: field["label"]?.stringValue,
                                kind: field["type"]?.stringValue.flatMap(InputField.Kind.init) ?? .string,
                                required: field["required"]?.boolValue ?? true, default: field["default"],
                                placeholder: field["placeholder"]?.stringValue)
                        }
                    },
                    credentials: (json["credentials"]?.arrayValue ?? []).compactMap { credential in
                        credential["name"]?.stringValue.map {
                            CredentialInput(
                                Credential.key($0), label: credential["label"]?.stringValue,
                                description: credential["description"]?.stringValue)
                        }
                    }))
        case "validation":
            step = .validation(
                ValidationStep(label) { state, context in _ = try await callback(.onboardingValidate, state, context)
                })
        case "select":
            guard let field = json["field"]?.stringValue else {
                throw WireFormat.protocolError("the select step \(index) needs a \"field\"")
            }
            step = .select(
                SelectStep(
                    label, field: field, multiple: json["multiple"]?.boolValue ?? false,
                    default: json["default"]?.stringValue
                ) { state, context in
                    (try await callback(.onboardingOptions, state, context)["options"]?.arrayValue ?? []).compactMap {
                        option in
                        option["value"]?.stringValue.map {
                            SelectOption(label: option["label"]?.stringValue ?? $0, value: $0)
                        }
                    }
                })
        case "custom":
            step = .custom(
                CustomStep(label) { state, context in
                    try await callback(.onboardingCustom, state, context)["state"]?.objectValue ?? [:]
                })
        case "oauth2":
            guard let credential = json["credential"]?.stringValue,
                let authorize = json["authorizationURL"]?.stringValue, let token = json["tokenURL"]?.stringValue,
                let client = json["clientID"]?.stringValue
            else {
                throw WireFormat.protocolError(
                    "the oauth2 step \(index) needs credential, authorizationURL, tokenURL and clientID")
            }
            step = .oauth2(
                OAuth2Step(
                    label, provider: json["provider"]?.stringValue ?? name,
                    scopes: (json["scopes"]?.arrayValue ?? []).compactMap(\.stringValue),
                    credential: Credential.key(credential), authorizationURL: authorize, tokenURL: token,
                    clientID: client,
                    accessToken: CredentialKey(json["accessToken"]?.stringValue ?? "access_token"),
                    revocationURL: json["revocationURL"]?.stringValue))
        default:
            throw WireFormat.protocolError(
                "onboarding step \(index) has kind \(json["kind"]?.jsonText ?? "none"); it must be input, validation, select or custom"
            )
        }
        // `"when": {"field": name, "equals": value, "orAbsent": bool}` shows the step only when the
        // config says so.
        if let condition = json["when"], let field = condition["field"]?.stringValue,
            let value = condition["equals"]?.stringValue
        {
            let orAbsent = condition["orAbsent"]?.boolValue ?? false
            return .when(orAbsent ? .field(field, isOrDefaults: value) : .field(field, is: value), step)
        }
        return step
    }
}
