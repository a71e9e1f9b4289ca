import Foundation
public import MaxCore

/// How the connector protocol writes Max's values as plain JSON (see `docs/connector-protocol.md`),
/// so a connector in any language reads and writes them without knowing Swift's encodings.
///
/// - A schema is `{"namespace", "roots": [type], "entities": [{"name", "summary"?, "fields":
///   [{"name", "type", "indexed"?, "summary"?, "inverse"?}], "indexes"?: [[field]]}]}`, a field's type written as `max schema`
///   prints it: `string`, `int`, `double`, `bool`, `date`, `json`, `ref<Type>`,
///   `collection<Type>`.
/// - An entity is `{"type", "id", "fields": {name: value}}`, each value as
///   ``FieldValue/jsonValue`` prints it (a date as an ISO-8601 string, a ref as the target's id, a
///   collection as an array of ids); the schema says which is which.
public enum WireFormat {
    // MARK: Schema

    /// `schema` as the protocol writes it.
    public static func json(_ schema: Schema) -> JSONValue {
        [
            "namespace": .string(schema.namespace),
            "roots": .array(schema.roots.map { .string($0.name) }),
            "entities": .array(
                schema.entities.map { entity in
                    var object: [String: JSONValue] = [
                        "name": .string(entity.name),
                        "fields": .array(
                            entity.fields.map { field in
                                var object: [String: JSONValue] = [
                                    "name": .string(field.name), "type": .string(field.type.displayName),
                                ]
                                if field.isIndexed { object["indexed"] = true }
                                if let inverse = field.inverse { object["inverse"] = .string(inverse) }
                                if let summary = field.summary { object["summary"] = .string(summary) }
                                return .object(object)
                            }),
                    ]
                    if let summary = entity.summary { object["summary"] = .string(summary) }
                    if !entity.indexes.isEmpty {
                        object["indexes"] = .array(entity.indexes.map { .array($0.map(JSONValue.string)) })
                    }
                    return .object(object)
                }),
        ]
    }

    /// A schema read from the protocol's JSON.
    ///
    /// - Throws: `connector.protocol` naming the first thing that is missing or malformed.
    public static func schema(_ json: JSONValue) throws -> Schema {
        guard let namespace = json["namespace"]?.stringValue, let entities = json["entities"]?.arrayValue else {
            throw protocolError("the schema needs \"namespace\" and \"entities\"")
        }
        var definitions: [EntityDef] = []
        for (index, entity) in entities.enumerated() {
            guard let name = entity["name"]?.stringValue, let fields = entity["fields"]?.arrayValue else {
                throw protocolError("schema entity \(index) needs \"name\" and \"fields\"")
            }
            var parsed: [Field] = []
            for field in fields {
                guard let fieldName = field["name"]?.stringValue, let typeName = field["type"]?.stringValue,
                    let type = fieldType(typeName)
                else {
                    throw protocolError(
                        "a field of \(name) needs a \"name\" and a \"type\" (string, int, double, bool, date, json, ref<Type>, collection<Type>): \(field.jsonText)"
                    )
                }
                parsed.append(
                    Field(
                        fieldName, type, indexed: field["indexed"]?.boolValue ?? false,
                        summary: field["summary"]?.stringValue, inverse: field["inverse"]?.stringValue))
            }
            let indexes = (entity["indexes"]?.arrayValue ?? []).map { ($0.arrayValue ?? []).compactMap(\.stringValue) }
            definitions.append(
                EntityDef(EntityType(name), fields: parsed, indexes: indexes, summary: entity["summary"]?.stringValue))
        }
        let rootNames = Set((json["roots"]?.arrayValue ?? []).compactMap(\.stringValue))
        let schema = Schema(
            namespace: namespace, entities: definitions, roots: definitions.filter { rootNames.contains($0.name) })
        try schema.validate()
        return schema
    }

    /// A field type from its printed name (`ref<AcmeUser>`).
    public static func fieldType(_ name: String) -> FieldType? {
        switch name {
        case "string": return .string
        case "int": return .int
        case "double": return .double
        case "bool": return .bool
        case "date": return .date
        case "json": return .json
        default:
            for (prefix, make) in [("ref<", FieldType.ref), ("collection<", FieldType.collection)]
            where name.hasPrefix(prefix) && name.hasSuffix(">") {
                let target = name.dropFirst(prefix.count).dropLast()
                return target.isEmpty ? nil : make(EntityType(String(target)))
            }
            return nil
        }
    }

    // MARK: Entities

    /// An entity input as the protocol writes it.
    public static func json(_ input: EntityInput) -> JSONValue {
        var fields: [String: JSONValue] = [:]
        for (name, value) in input.values { fields[name] = value.jsonValue }
        return ["type": .string(input.ref.type.name), "id": .string(input.ref.id), "fields": .object(fields)]
    }

    /// A ref as the protocol writes it: `{"type", "id"}`.
    public static func json(_ ref: Ref) -> JSONValue {
        ["type": .string(ref.type.name), "id": .string(ref.id)]
    }

    /// A ref read from `{"type", "id"}`.
    ///
    /// - Throws: `connector.protocol` when either is missing.
    public static func ref(_ json: JSONValue) throws -> Ref {
        guard let type = json["type"]?.stringValue, let id = json["id"]?.stringValue, !id.isEmpty else {
            throw protocolError("a ref needs \"type\" and \"id\": \(json.jsonText.prefix(200))")
        }
        return Ref(EntityType(type), id)
    }

    /// An entity input read from the protocol's JSON, each value typed by `schema`.
    ///
    /// - Throws: `connector.protocol` for an unknown type or field, or a value of the wrong kind.
    public static func entity(_ json: JSONValue, schema: Schema) throws -> EntityInput {
        let ref = try ref(json)
        guard let definition = schema.definition(of: ref.type) else {
            throw protocolError("the entity type \(ref.type) is not in the connector's schema")
        }
        var values: [(name: String, value: FieldValue)] = []
        for (name, value) in json["fields"]?.objectValue ?? [:] {
            guard let field = definition.field(named: name) else {
                throw protocolError("\(ref.type) has no field \"\(name)\"")
            }
            values.append((name, try fieldValue(value, as: field.type, at: "\(ref.type).\(name)")))
        }
        return EntityInput(ref, values: values)
    }

    /// A value read as a field of type `type`.
    ///
    /// - Throws: `connector.protocol` naming `path` when it is not of that kind.
    public static func fieldValue(_ json: JSONValue, as type: FieldType, at path: String) throws -> FieldValue {
        if json == .null { return .null }
        switch (type, json) {
        case (.string, .string(let text)): return .string(text)
        case (.int, .int(let number)): return .int(number)
        case (.double, .double(let number)): return .double(number)
        case (.double, .int(let number)): return .double(Double(number))
        case (.bool, .bool(let flag)): return .bool(flag)
        case (.json, _): return .json(json)
        case (.date, .string(let text)):
            guard let date = ISO8601.parse(text) else {
                throw protocolError("\(path) is not an ISO-8601 date: \(text)")
            }
            return .date(date)
        case (.ref(let target), .string(let id)): return .ref(Ref(target, id))
        case (.collection(let target), .array(let ids)):
            return .refs(
                try ids.map { id in
                    guard let id = id.stringValue else { throw protocolError("\(path) holds ids, not \(id.jsonText)") }
                    return Ref(target, id)
                })
        default:
            throw protocolError("\(path) is a \(type.displayName), not \(json.jsonText.prefix(100))")
        }
    }

    /// A `connector.protocol` error saying what was wrong.
    public static func protocolError(_ message: String) -> MaxError {
        MaxError(
            .connectorProtocol, "the connector broke the protocol: \(message)",
            hint: "see docs/connector-protocol.md; the connector's log (its stderr) may say more")
    }

    // MARK: Plans, changes, operation outputs

    /// A sync plan as the protocol writes it: steps of `{"forRoot": ref | "forAll": type,
    /// "loadFields": [field] | "loadCollection": field}` or `{"concurrent": [step]}`.
    public static func json(_ plan: SyncPlan) -> JSONValue {
        .array(plan.steps.map(json(step:)))
    }

    static func json(step: SyncStep) -> JSONValue {
        var object: [String: JSONValue] = [:]
        let operation: SyncOperation
        switch step {
        case .concurrent(let steps): return ["concurrent": .array(steps.map(json(step:)))]
        case .forRoot(let ref, let op):
            object["forRoot"] = json(ref)
            operation = op
        case .forAll(let type, let op):
            object["forAll"] = .string(type.name)
            operation = op
        }
        switch operation {
        case .loadFields(let fields): object["loadFields"] = .array(fields.map(JSONValue.string))
        case .loadCollection(let field): object["loadCollection"] = .string(field)
        }
        return .object(object)
    }

    /// A sync plan read from the protocol's JSON.
    ///
    /// - Throws: `connector.protocol` for a step that is none of the forms.
    public static func plan(_ json: JSONValue) throws -> SyncPlan {
        func step(_ json: JSONValue) throws -> SyncStep {
            if let steps = json["concurrent"]?.arrayValue { return .concurrent(try steps.map(step)) }
            let operation: SyncOperation
            if let fields = json["loadFields"]?.arrayValue {
                operation = .loadFields(fields.compactMap(\.stringValue))
            } else if let field = json["loadCollection"]?.stringValue {
                operation = .loadCollection(field)
            } else {
                throw protocolError("a plan step needs loadFields or loadCollection: \(json.jsonText.prefix(200))")
            }
            if let root = json["forRoot"] { return .forRoot(try ref(root), operation) }
            if let type = json["forAll"]?.stringValue { return .forAll(EntityType(type), operation) }
            throw protocolError("a plan step needs forRoot or forAll: \(json.jsonText.prefix(200))")
        }
        guard let steps = json.arrayValue else { throw protocolError("a plan is an array of steps") }
        return SyncPlan(try steps.map(step))
    }

    /// A change as the protocol writes it: `{"upsert": entity, "memberships": [{"ownerType",
    /// "field", "owners"}]}`, `{"delete": ref}` or `{"exactly": {"type": T, "ids": [id, …]}}`.
    public static func json(_ change: Change) -> JSONValue {
        switch change {
        case .upsert(let input, let memberships):
            [
                "upsert": json(input),
                "memberships": .array(
                    memberships.map {
                        [
                            "ownerType": .string($0.ownerType.name), "field": .string($0.field),
                            "owners": .array($0.owners.map(JSONValue.string)),
                        ]
                    }),
            ]
        case .delete(let ref): ["delete": json(ref)]
        case .exactly(let type, let ids):
            ["exactly": ["type": .string(type.name), "ids": .array(ids.map(JSONValue.string))]]
        }
    }

    /// A change read from the protocol's JSON.
    ///
    /// - Throws: `connector.protocol` for a malformed change.
    public static func change(_ json: JSONValue, schema: Schema) throws -> Change {
        if let deleted = json["delete"] { return .delete(try ref(deleted)) }
        if let exactly = json["exactly"] {
            guard let type = exactly["type"]?.stringValue, let ids = exactly["ids"]?.arrayValue else {
                throw protocolError("an exactly change needs a type and an array of ids")
            }
            return .exactly(
                EntityType(type),
                ids: try ids.map {
                    guard let id = $0.stringValue else { throw protocolError("an exactly change's ids are strings") }
                    return id
                })
        }
        guard let upsert = json["upsert"] else {
            throw protocolError("a change is an upsert, a delete or an exactly")
        }
        let memberships = try (json["memberships"]?.arrayValue ?? []).map { membership in
            guard let owner = membership["ownerType"]?.stringValue, let field = membership["field"]?.stringValue else {
                throw protocolError("a membership needs ownerType and field")
            }
            return Change.Membership(
                EntityType(owner), field, owners: (membership["owners"]?.arrayValue ?? []).compactMap(\.stringValue))
        }
        return .upsert(try entity(upsert, schema: schema), memberships: memberships)
    }

    /// An operation's output as the protocol writes it.
    public static func json(_ output: OperationOutput) -> JSONValue {
        var object: [String: JSONValue] = [
            "data": output.data, "warnings": .array(output.warnings.map(JSONValue.string)),
            "writes": .array(output.writes.map(json)), "deletes": .array(output.deletes.map(json)),
        ]
        if let status = output.providerStatus { object["providerStatus"] = .int(status) }
        return .object(object)
    }

    /// An operation's output read from the protocol's JSON.
    ///
    /// - Throws: `connector.protocol` for malformed writes or deletes.
    public static func output(_ json: JSONValue, schema: Schema) throws -> OperationOutput {
        OperationOutput(
            data: json["data"] ?? .null, providerStatus: json["providerStatus"]?.intValue,
            warnings: (json["warnings"]?.arrayValue ?? []).compactMap(\.stringValue),
            writes: try (json["writes"]?.arrayValue ?? []).map { try entity($0, schema: schema) },
            deletes: try (json["deletes"]?.arrayValue ?? []).map(ref))
    }
}
