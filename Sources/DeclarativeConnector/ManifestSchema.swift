public import MaxCore

/// The JSON Schema every manifest is checked against before it is read
/// (`docs/declarative-connector.schema.json` is this value, written out by
/// `max connector schema --manifest`).
///
/// It spells out the shape; what a schema cannot say (a parent that names a stream, a ref to a
/// type the manifest declares, a template's roots) ``ManifestLoader`` checks after it.
public enum ManifestSchema {
    /// The schema.
    public static let schema: JSONValue = [
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Max declarative connector manifest",
        "type": "object",
        "required": ["name", "displayName", "description", "version", "base", "streams"],
        "additionalProperties": false,
        "properties": [
            "$schema": string,
            "name": ["type": "string", "pattern": "^[a-z][a-z0-9-]{0,62}$"],
            "displayName": nonEmpty,
            "description": nonEmpty,
            "version": ["type": "string", "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+$"],
            "namespace": ["type": "string", "pattern": "^[a-z][a-z0-9_]*$"],
            "config": ["type": "array", "items": configInput],
            "credentials": ["type": "array", "items": credentialInput],
            "auth": auth(nested: true),
            "base": nonEmpty,
            "headers": stringMap,
            "validation": request,
            "select": ["type": "array", "items": select],
            "health": request,
            "rateLimit": rateLimit,
            "graphql": graphql,
            "root": object(["entity": typeName, "id": string]),
            "streams": ["type": "array", "minItems": 1, "items": stream],
            "changeLog": changeLog,
            "operations": ["type": "array", "items": operation],
        ],
    ]

    static let string: JSONValue = ["type": "string"]
    static let nonEmpty: JSONValue = ["type": "string", "minLength": 1]
    static let bool: JSONValue = ["type": "boolean"]
    static let stringMap: JSONValue = ["type": "object", "additionalProperties": ["type": "string"]]
    static let typeName: JSONValue = ["type": "string", "pattern": "^[A-Z][A-Za-z0-9]*$"]
    static let key: JSONValue = ["type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"]

    static func object(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        [
            "type": "object", "additionalProperties": false, "properties": .object(properties),
            "required": .array(required.map(JSONValue.string)),
        ]
    }

    static func oneOf(_ values: [String]) -> JSONValue { ["enum": .array(values.map(JSONValue.string))] }

    static let condition = object(["key": key, "equals": string, "orAbsent": bool], required: ["key", "equals"])

    static let configInput = object(
        [
            "key": key, "label": string, "description": string,
            "type": oneOf(["string", "url", "number", "bool", "list"]), "required": bool, "default": [:],
            "placeholder": string,
        ], required: ["key"])

    static let credentialInput = object(
        ["key": key, "label": string, "description": string, "when": condition], required: ["key"])

    static func auth(nested: Bool) -> JSONValue {
        var properties: [String: JSONValue] = [
            "type": oneOf(["bearer", "header", "query", "basic", "oauth2"]), "credential": key, "name": nonEmpty,
            "prefix": string, "username": key, "password": key, "when": condition,
            "oauth2": object(
                [
                    "authorizationURL": nonEmpty, "tokenURL": nonEmpty, "clientID": nonEmpty,
                    "scopes": ["type": "array", "items": string], "revocationURL": nonEmpty,
                ], required: ["authorizationURL", "tokenURL", "clientID"]),
        ]
        if nested { properties["alternatives"] = ["type": "array", "items": auth(nested: false)] }
        return object(properties, required: ["type"])
    }

    static let request = object(
        [
            "method": oneOf(["GET", "POST", "PUT", "PATCH", "DELETE"]), "path": string, "query": stringMap,
            "headers": stringMap, "body": [:],
            "graphql": object(["query": nonEmpty, "variables": ["type": "object"]], required: ["query"]),
        ])

    static let select = object(
        [
            "key": key, "label": nonEmpty, "request": request, "records": string, "value": nonEmpty,
            "display": string, "multiple": bool, "default": string,
            "choices": [
                "type": "array", "minItems": 1,
                "items": object(["value": nonEmpty, "label": string], required: ["value"]),
            ],
        ], required: ["key", "label"])

    static let rateLimit = object([
        "rate": ["type": "number", "minimum": 0.01, "maximum": 10_000],
        "burst": ["type": "integer", "minimum": 1, "maximum": 10_000],
        "concurrency": ["type": "integer", "minimum": 1, "maximum": 1000],
        "windows": [
            "type": "array",
            "items": object(
                [
                    "remaining": nonEmpty, "reset": nonEmpty,
                    "unit": oneOf(["epochSeconds", "epochMilliseconds", "seconds"]),
                ], required: ["remaining", "reset"]),
        ],
        "limitedStatuses": ["type": "array", "items": ["type": "integer", "minimum": 400, "maximum": 599]],
    ])

    static let graphql = object([
        "codePath": string, "rateLimitedCodes": ["type": "array", "items": string],
        "unauthorizedCodes": ["type": "array", "items": string],
    ])

    static let field = object(
        [
            "type": oneOf(["string", "int", "double", "bool", "date", "json", "ref", "refs"]), "path": string,
            "template": string, "to": typeName, "item": string, "indexed": bool, "summary": string,
        ], required: ["type"])

    static let pagination = object(
        [
            "type": oneOf(["none", "link", "nextURL", "cursor", "keyset", "offset", "page"]), "path": string,
            "hasMorePath": string, "param": nonEmpty, "variable": bool, "startAt": ["type": "integer"],
            "maxPages": ["type": "integer", "minimum": 1, "maximum": 1_000_000],
        ], required: ["type"])

    static let stream = object(
        [
            "name": key, "entity": typeName, "summary": string, "parent": key, "field": key, "request": request,
            "records": string, "pagination": pagination, "id": nonEmpty,
            "fields": ["type": "object", "additionalProperties": field],
            "indexes": ["type": "array", "items": ["type": "array", "minItems": 1, "items": key]],
            "skip": [
                "type": "array",
                "items": object(["path": nonEmpty, "present": bool, "equals": string], required: ["path"]),
            ],
            "only": [
                "type": "array", "items": object(["path": nonEmpty, "config": key], required: ["path", "config"]),
            ],
            "emits": [
                "type": "array", "items": object(["path": nonEmpty, "stream": key], required: ["path", "stream"]),
            ],
            "incremental": object(
                [
                    "cursorField": nonEmpty, "order": oneOf(["ascending", "descending"]),
                    "lookback": ["type": "integer", "minimum": 0, "maximum": 86_400],
                ], required: ["cursorField"]),
            "deletions": oneOf(["reconcile", "tombstone", "none"]), "deletedField": nonEmpty, "get": request,
            "parentField": key, "pageSize": ["type": "integer", "minimum": 1, "maximum": 10_000],
        ], required: ["name", "entity", "fields"])

    static let changeLog = object(
        [
            "request": request, "head": request, "headPath": nonEmpty, "records": string, "nextPath": nonEmpty,
            "positionPath": nonEmpty, "typePath": nonEmpty, "types": stringMap, "idPath": nonEmpty,
            "actionPath": nonEmpty, "deleteActions": ["type": "array", "items": string],
        ],
        required: [
            "request", "head", "headPath", "records", "nextPath", "positionPath", "typePath", "types", "idPath",
            "actionPath", "deleteActions",
        ])

    static let operation = object(
        [
            "id": key, "displayName": nonEmpty, "description": nonEmpty, "input": ["type": "object"],
            "output": ["type": "object"], "mutating": bool, "request": request, "result": string,
            "writeThrough": key, "parent": string, "idempotencyHeader": nonEmpty,
        ], required: ["id", "displayName", "description", "input", "mutating", "request"])
}
