import MaxConnector
public import MaxCore
import MaxCredentials
import MaxYAML

/// A `Connector` document (SPEC-hardening §19.3): one installation's desired state, as YAML or
/// JSON, which `max apply -f` merges into `max.json`.
///
/// ```yaml
/// apiVersion: max/v1alpha1
/// kind: Connector
/// metadata: {name: ops-acme}
/// spec:
///   type: acme
///   typeVersion: 1
///   enabled: true
///   config: {baseURL: "https://acme.example.com", workspaceId: ws_1}
///   credentials:
///     mode: secretRef
///     secretRef: {provider: env, keys: {api_token: ACME_TOKEN}}
///   limits: {maxParallelInvocations: 4, rateLimit: {rps: 2, burst: 5}}
///   sync: {every: 15m}
/// ```
///
/// Secrets are references only: `secretRef` with the `env` provider (each credential read from an
/// environment variable at use time) or the `store` provider (sealed in `.max/` by
/// `max connect <name> --reauth`); `mode: oauth` leaves the installation waiting for an
/// authorization. A document that carries a secret's value is refused, and the value is never
/// repeated.
public struct ConnectorSpec: Sendable, Hashable {
    /// How the installation's credentials are provided.
    public enum Credentials: Sendable, Hashable {
        /// None (a connector without secrets, or credentials already stored).
        case none
        /// Read from the environment at use time: credential name → variable.
        case environment([String: String])
        /// Sealed in `.max/` (entered with `max connect <name> --reauth`).
        case store
        /// An OAuth authorization, completed with `max connect <name> --reauth`.
        case oauth
    }

    /// The installation's name (`metadata.name`).
    public var name: String
    /// The connector (`spec.type`).
    public var type: String
    /// The connector version asked for (`spec.typeVersion`: a major version such as `1`, or
    /// `1.2.0`), if any.
    public var typeVersion: String?
    /// Whether it is synced (`spec.enabled`, true when absent).
    public var enabled: Bool
    /// The connector's config (`spec.config`).
    public var config: JSONValue
    /// The credentials.
    public var credentials: Credentials
    /// `spec.limits`: `maxParallelInvocations` and `rateLimit` (`rps`, `burst`).
    public var limits: JSONValue?
    /// `spec.sync`: the schedule, as `max.json`'s `sync`.
    public var sync: JSONValue?
    /// The rest of `metadata` (owner, projectId, labels), kept on the installation.
    public var metadata: [String: JSONValue]

    /// The API version these documents have.
    public static let apiVersion = "max/v1alpha1"

    /// The documents of a YAML or JSON text as one JSON value, `{"kind": "List", "items": [...]}`,
    /// each checked: what a front end sends in an ``ApplyRequest``.
    ///
    /// - Throws: as ``documents(in:source:)-(String,_)``.
    public static func list(in text: String, source: String) throws -> JSONValue {
        _ = try documents(in: text, source: source)
        let values = (try? YAMLReader.documents(text)) ?? []
        return ["kind": "List", "items": .array(values.flatMap { $0.arrayValue ?? [$0] })]
    }

    /// The documents of a YAML or JSON text: one, a `---`-separated stream, or a JSON array.
    ///
    /// - Parameters:
    ///   - text: The text.
    ///   - source: Where it came from (a file name), for messages.
    /// - Returns: The documents, in order.
    /// - Throws: `spec.invalid` naming the document and key; `spec.plain_secret` for a document
    ///   carrying a secret's value.
    public static func documents(in text: String, source: String) throws -> [ConnectorSpec] {
        let values: [JSONValue]
        do {
            values = try YAMLReader.documents(text)
        } catch {
            throw invalid("\(source) is neither YAML nor JSON: \(error.message)", source: source)
        }
        return try documents(in: .array(values), source: source)
    }

    /// The documents of JSON: one document, an array of them, or `{"kind": "List", "items": [...]}`.
    ///
    /// - Parameters:
    ///   - json: The JSON.
    ///   - source: Where it came from, for messages.
    /// - Returns: The documents, in order.
    /// - Throws: `spec.invalid` naming the document and key; `spec.plain_secret`.
    public static func documents(in json: JSONValue, source: String) throws -> [ConnectorSpec] {
        func items(_ value: JSONValue) -> [JSONValue] {
            if let array = value.arrayValue { return array.flatMap(items) }
            if value["kind"]?.stringValue == "List", let list = value["items"]?.arrayValue { return list }
            return [value]
        }
        let flattened = items(json)
        guard !flattened.isEmpty else { throw invalid("\(source) holds no document", source: source) }
        var seen: Set<String> = []
        return try flattened.enumerated().map { index, json in
            let at = flattened.count == 1 ? source : "\(source), document \(index + 1)"
            let spec = try ConnectorSpec(json: json, at: at)
            guard seen.insert(spec.name).inserted else {
                throw invalid("\(at): \(spec.name) is declared twice", source: source)
            }
            return spec
        }
    }

    /// Reads one document.
    ///
    /// - Throws: `spec.invalid`, `spec.plain_secret`.
    public init(json: JSONValue, at source: String) throws {
        func fail(_ problem: String) -> MaxError { Self.invalid("\(source): \(problem)", source: source) }
        guard let document = json.objectValue else { throw fail("a document must be a map") }
        let known: Set = ["apiVersion", "kind", "metadata", "spec"]
        if let stray = document.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail("\(stray) is not a key of a Connector document (apiVersion, kind, metadata, spec)")
        }
        guard document["apiVersion"]?.stringValue == Self.apiVersion else {
            throw fail("apiVersion must be \(Self.apiVersion)")
        }
        guard document["kind"]?.stringValue == "Connector" else { throw fail("kind must be Connector") }
        guard var metadata = document["metadata"]?.objectValue,
            let name = metadata.removeValue(forKey: "name")?.stringValue
        else { throw fail("metadata.name (the installation's name) is required") }
        do {
            try Project.validate(installationName: name)
        } catch {
            throw fail(
                "metadata.name must be an installation name: lowercase letters, digits, '-' and '_' (at most 64)")
        }
        guard let spec = document["spec"]?.objectValue else { throw fail("spec is required") }
        let keys: Set = ["type", "typeVersion", "enabled", "config", "credentials", "limits", "sync", "policy"]
        if let stray = spec.keys.sorted().first(where: { !keys.contains($0) }) {
            throw fail("spec.\(stray) is not a key of a Connector spec (\(keys.sorted().joined(separator: ", ")))")
        }
        if spec["policy"] != nil {
            throw fail(
                "spec.policy is not supported yet: remove it (operations are allowed per max serve token scopes)")
        }
        guard let type = spec["type"]?.stringValue, !type.isEmpty else { throw fail("spec.type is required") }
        switch spec["typeVersion"] {
        case nil: typeVersion = nil
        case .int(let major)?: typeVersion = String(major)
        case .string(let text)?: typeVersion = text
        default: throw fail("spec.typeVersion must be a major version (1) or a version (1.2.0)")
        }
        switch spec["enabled"] {
        case nil: enabled = true
        case .bool(let flag)?: enabled = flag
        default: throw fail("spec.enabled must be true or false")
        }
        let config = spec["config"] ?? .object([:])
        guard config.objectValue != nil else { throw fail("spec.config must be a map") }
        self.name = name
        self.type = type
        self.config = config
        self.credentials = try Self.credentials(spec["credentials"], fail: fail, source: source)
        self.limits = spec["limits"]
        self.sync = spec["sync"]
        self.metadata = metadata
    }

    /// Reads `spec.credentials`, refusing anything that could be a secret's value.
    private static func credentials(
        _ json: JSONValue?, fail: (String) -> MaxError, source: String
    ) throws -> Credentials {
        guard let json else { return .none }
        guard let object = json.objectValue else { throw fail("spec.credentials must be a map") }
        for key in object.keys.sorted() where !["mode", "secretRef"].contains(key) {
            throw plainSecret(
                "\(source): spec.credentials.\(key) is not a reference; a Connector document holds secrets only as references",
                source: source)
        }
        switch object["mode"]?.stringValue {
        case nil, "none"?:
            return .none
        case "oauth"?:
            return .oauth
        case "secretRef"?:
            guard let reference = object["secretRef"]?.objectValue else {
                throw fail("spec.credentials.secretRef is required with mode secretRef")
            }
            for key in reference.keys.sorted() where !["provider", "name", "keys"].contains(key) {
                throw plainSecret(
                    "\(source): spec.credentials.secretRef.\(key) is not part of a reference (provider, name, keys)",
                    source: source)
            }
            switch reference["provider"]?.stringValue {
            case "env"?:
                guard let keys = reference["keys"]?.objectValue, !keys.isEmpty else {
                    throw fail(
                        "spec.credentials.secretRef.keys must map each credential to an environment variable")
                }
                var variables: [String: String] = [:]
                for (credential, value) in keys {
                    guard let variable = value.stringValue, Self.isVariableName(variable) else {
                        // Not a variable's name: possibly the secret itself, so it is not repeated.
                        throw plainSecret(
                            "\(source): spec.credentials.secretRef.keys.\(credential) is not an environment variable's name (A-Z, 0-9, _); a secret's value never goes in the document",
                            source: source)
                    }
                    variables[credential] = variable
                }
                return .environment(variables)
            case "store"?:
                return .store
            case let provider?:
                throw fail(
                    "spec.credentials.secretRef.provider \(provider.debugDescription) is not one this Max reads: use env (variables read at use time) or store (sealed in .max/ by max connect --reauth)"
                )
            case nil:
                throw fail("spec.credentials.secretRef.provider is required (env or store)")
            }
        case let mode?:
            throw plainSecret(
                "\(source): spec.credentials.mode \(String(mode.prefix(20)).debugDescription) is not secretRef, oauth or none; a Connector document holds secrets only as references",
                source: source)
        }
    }

    private static func isVariableName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    static func invalid(_ message: String, source: String) -> MaxError {
        MaxError(
            .invalidSpec, message, hint: "see docs/desired-state.md, \"Connector documents\"",
            context: ["source": source])
    }

    static func plainSecret(_ message: String, source: String) -> MaxError {
        MaxError(
            .plainSecretInSpec, message,
            hint:
                "reference it instead: secretRef with provider env (keys: {api_token: ACME_TOKEN}) or store (then max connect <name> --reauth)",
            context: ["source": source])
    }
}

extension MaxError.Code {
    /// A `Connector` document that is not one, or asks for what this Max cannot do.
    public static let invalidSpec = Self(domain: "spec", name: "invalid", category: .validationError)
    /// A `Connector` document carrying what may be a secret's value.
    public static let plainSecretInSpec = Self(domain: "spec", name: "plain_secret", category: .validationError)
}
