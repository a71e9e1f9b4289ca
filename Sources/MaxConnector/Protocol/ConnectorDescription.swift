public import MaxCore

/// A connector's answer to `describe` (see `docs/connector-protocol.md`): everything Max needs to
/// know about it before running it, as plain JSON.
public enum ConnectorDescription {
    /// The protocol version this Max speaks.
    public static let protocolVersion = 1

    /// The description of `module`.
    ///
    /// - Throws: `connector.invalid_definition` for a step the protocol cannot carry (an OAuth2
    ///   step, or a conditional one: their logic runs in Max).
    public static func json<Module: ConnectorModule>(of module: Module) throws -> JSONValue {
        let def = module.def
        var loaders: [String: JSONValue] = [:]
        var resolvers: [JSONValue] = []
        for resolver in def.resolvers {
            var fields: [String: JSONValue] = [:]
            for (field, loader) in resolver.fieldLoaders {
                fields[field] = .string(loader.name)
                loaders[loader.name] = [
                    "name": .string(loader.name), "entityType": .string(loader.entityType.name),
                    "batchSize": .int(loader.batchSize),
                ]
            }
            let collections: [JSONValue] = resolver.collectionLoaders.values.sorted { $0.field < $1.field }.map {
                [
                    "field": .string($0.field), "target": .string($0.target.name), "loader": .string($0.name),
                    "pageSize": .int($0.pageSize),
                ]
            }
            resolvers.append([
                "entityType": .string(resolver.entityType.name), "fields": .object(fields),
                "collections": .array(collections),
            ])
        }
        var object: [String: JSONValue] = [
            "protocol": .int(protocolVersion), "name": .string(def.name), "displayName": .string(def.displayName),
            "description": .string(def.description), "version": .string(def.version),
            "schema": WireFormat.json(def.schema), "onboarding": .array(try def.onboarding.steps.map(step)),
            "resolvers": .array(resolvers), "loaders": .array(loaders.keys.sorted().compactMap { loaders[$0] }),
            "changeFeed": .bool(def.changeFeed != nil), "operations": .array(def.operations.map(\.info.json)),
            "operationSchemaVersion": .string(def.operationSchemaVersion), "auth": def.auth.json,
            "configSchema": def.configSchema.json,
        ]
        if let rate = def.rateLimit { object["rateLimit"] = ["rate": .double(rate.rate), "burst": .int(rate.burst)] }
        return .object(object)
    }

    /// One onboarding step as the protocol describes it; callbacks are named by the step's index.
    static func step(_ step: OnboardingStep) throws -> JSONValue {
        switch step {
        case .input(let input):
            var object: [String: JSONValue] = [
                "kind": "input", "label": .string(input.label),
                "fields": .array(
                    input.fields.map { field in
                        var object: [String: JSONValue] = [
                            "name": .string(field.name), "label": .string(field.label),
                            "type": .string(field.kind.rawValue), "required": .bool(field.isRequired),
                        ]
                        if let value = field.defaultValue { object["default"] = value }
                        if let placeholder = field.placeholder { object["placeholder"] = .string(placeholder) }
                        return .object(object)
                    }),
                "credentials": .array(
                    input.credentials.map { credential in
                        var object: [String: JSONValue] = [
                            "name": .string(credential.name), "label": .string(credential.label),
                        ]
                        if let description = credential.description { object["description"] = .string(description) }
                        return .object(object)
                    }),
            ]
            if let description = input.description { object["description"] = .string(description) }
            return .object(object)
        case .validation(let validation):
            return ["kind": "validation", "label": .string(validation.label)]
        case .select(let select):
            var object: [String: JSONValue] = [
                "kind": "select", "label": .string(select.label), "field": .string(select.field),
                "multiple": .bool(select.allowsMultiple),
            ]
            if let value = select.defaultValue { object["default"] = .string(value) }
            return .object(object)
        case .custom(let custom):
            return ["kind": "custom", "label": .string(custom.label)]
        case .oauth2(let oauth):
            // The authorization itself runs in Max (a browser and a loopback redirect).
            return [
                "kind": "oauth2", "label": .string(oauth.label), "provider": .string(oauth.provider),
                "scopes": .array(oauth.scopes.map(JSONValue.string)), "credential": .string(oauth.credential.name),
                "authorizationURL": .string(oauth.authorizationURL), "tokenURL": .string(oauth.tokenURL),
                "clientID": .string(oauth.clientID), "accessToken": .string(oauth.accessToken.name),
            ]
        case .when(let condition, let inner):
            guard let comparison = condition.comparison, var object = try self.step(inner).objectValue else {
                throw MaxError(
                    .invalidConnector,
                    "the condition of the onboarding step \"\(step.label)\" is code, which cannot be described to Max",
                    hint: "use StepCondition.field(_:is:) or field(_:isOrDefaults:), or run this connector in process")
            }
            object["when"] = [
                "field": .string(comparison.field), "equals": .string(comparison.value),
                "orAbsent": .bool(comparison.orAbsent),
            ]
            return .object(object)
        }
    }
}
