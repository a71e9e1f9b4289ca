import Foundation
public import MaxCore
public import MaxCredentials

/// `max.json`: the declarative, git-tracked description of a project.
///
/// Never holds a secret.
///
/// Unknown keys, at the top level and in each installation, are kept and written back unchanged,
/// so a newer Max's additions survive an older Max's edits.
public struct ProjectFile: Sendable, Equatable {
    /// The installations, by name.
    public var installations: [String: InstallationRecord]
    /// Every other top-level key, kept as it was.
    public var otherKeys: [String: JSONValue]

    /// An empty project file.
    public init() {
        installations = [:]
        otherKeys = [:]
    }

    /// Reads a project file's text.
    ///
    /// A UTF-8 byte-order mark at the start is skipped (some editors write one). A key given twice
    /// in one object is refused: the last one winning silently would mislead whoever reviews a
    /// shared file.
    ///
    /// - Throws: `project.invalid_config` naming what is wrong and where (`installations.acme.id`,
    ///   or the line and column of text that is not JSON or of a repeated key).
    public init(parsing text: String, path: String) throws {
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        let json: JSONValue
        do {
            json = try JSONValue(parsing: text, rejectingDuplicateKeys: true)
        } catch let error as MaxError {
            var problem = error.message.replacingPrefix("the text is not valid JSON: ")
            if let offset = error.context["offset"].flatMap(Int.init), let at = problem.range(of: " at byte ") {
                let (line, column) = Self.position(of: offset, in: text)
                problem = String(problem[..<at.lowerBound]) + " at line \(line), column \(column)"
            }
            throw MaxError(
                .invalidProjectFile, "\(path) is not valid JSON (\(problem))",
                hint:
                    "fix the file by hand (Max never overwrites a file it cannot read), or restore it from version control",
                context: ["path": path])
        }
        guard var members = json.objectValue else {
            throw Self.invalid(path, "the top level must be an object")
        }
        var installations: [String: InstallationRecord] = [:]
        if let raw = members.removeValue(forKey: "installations") {
            guard let entries = raw.objectValue else { throw Self.invalid(path, "'installations' must be an object") }
            for (name, entry) in entries {
                // Names become folder names under .max/: one from a shared file must not lead outside it.
                do {
                    try Project.validate(installationName: name)
                } catch {
                    throw Self.invalid(
                        path,
                        "the installation name \(String(name.prefix(80)).debugDescription) is not valid: use lowercase letters, digits, '-' and '_', starting with a letter or digit (at most 64)"
                    )
                }
                installations[name] = try InstallationRecord(json: entry, name: name, path: path)
            }
        }
        self.installations = installations
        // Where the project stores, checked with the rest of the file: a mistake there (a password
        // written out) stops every command, not only those that open a store.
        _ = try ProjectStorage(json: members["storage"], path: path)
        // So is the policy: a grant naming no template must not fail open, nor only at a request.
        if let policy = members["policy"] { _ = try ProjectPolicy(json: policy, path: path) }
        if let limits = members["limits"] { _ = try CallerLimits(json: limits, path: path) }
        _ = try ProjectRetention(json: members["retention"], path: path)
        _ = try ConnectorTrust(json: members["trust"], path: path)
        _ = try ConnectorCatalog(json: members["catalog"], path: path)
        _ = try ServiceLevelObjective.parse(members["slo"], path: path)
        self.otherKeys = members
    }

    /// The file's text: indented JSON with sorted keys and a final newline.
    public var text: String {
        var members = otherKeys
        members["installations"] = .object(installations.mapValues(\.json))
        return JSONValue.object(members).prettyJSONText + "\n"
    }

    /// The 1-based line and column (in characters) of UTF-8 byte `offset` in `text`.
    static func position(of offset: Int, in text: String) -> (line: Int, column: Int) {
        let before = text.utf8.prefix(offset)
        let line = before.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { before.index(after: $0) } ?? before.startIndex
        let column = String(decoding: before[lineStart...], as: UTF8.self).count + 1
        return (line, column)
    }

    static func invalid(_ path: String, _ problem: String) -> MaxError {
        MaxError(
            .invalidProjectFile, "\(path) is invalid: \(problem)",
            hint: "fix the file by hand (Max never overwrites a file it cannot read)", context: ["path": path])
    }
}

/// One installation in `max.json`.
public struct InstallationRecord: Sendable, Equatable {
    /// The platform-assigned id (a UUID), stable across machines.
    public var id: String
    /// The connector, as `name@version` (for example `acme@1.0.0`).
    public var connector: String
    /// When it was connected, ISO-8601.
    public var connectedAt: String
    /// Where it runs: `in-process` (the default), `subprocess` or `remote`.
    public var provider: String?
    /// The connector's plain config.
    public var config: JSONValue
    /// Credentials read from the environment at use time instead of the credential store.
    ///
    /// By credential name, from `"credentials": {"api_token": "env:ACME_TOKEN"}`; never values.
    public var credentialReferences: [String: CredentialSource] = [:]
    /// Every other key, kept as it was.
    public var otherKeys: [String: JSONValue]

    /// Creates a record.
    public init(id: String, connector: String, connectedAt: String, config: JSONValue) {
        self.id = id
        self.connector = connector
        self.connectedAt = connectedAt
        self.provider = nil
        self.config = config
        self.otherKeys = [:]
    }

    /// The installation's URL on another Max node when `provider` is `remote` (`location.url`).
    public var remoteURL: String? {
        provider == "remote" ? otherKeys["location"]?["url"]?.stringValue : nil
    }

    /// The group the installation belongs to (`"group"`), if any: only principals in that group
    /// reach it through `max serve`, MCP and the explorer, whatever the policy grants.
    public var group: String? {
        get { otherKeys["group"]?.stringValue }
        set { otherKeys["group"] = newValue.map(JSONValue.string) }
    }

    /// Whether a connector from the project's `connectors` table runs in its sandbox
    /// (``ConnectorSandbox``) for this installation: `"sandbox": false` trusts it with the
    /// network and files; true by default.
    public var sandboxed: Bool { otherKeys["sandbox"]?.boolValue ?? true }

    /// The hosts its connector may reach besides those the connector declares (`"egress":
    /// ["api.example.com", "*.example.org"]`).
    public var egress: [String] { otherKeys["egress"]?.arrayValue?.compactMap(\.stringValue) ?? [] }

    /// The version of the connector's config schema the config was written for
    /// (`"configVersion"`; 1 when absent, as before connectors versioned their config).
    public var configVersion: Int {
        get { otherKeys["configVersion"]?.intValue ?? 1 }
        set { otherKeys["configVersion"] = .int(newValue) }
    }

    /// The connector version recorded after the `@` (`1.0.0` for `acme@1.0.0`), if any.
    public var connectorVersion: String? {
        guard let at = connector.lastIndex(of: "@"), at != connector.startIndex else { return nil }
        let version = connector[connector.index(after: at)...]
        return version.isEmpty ? nil : String(version)
    }

    /// The connector's registry name: `acme` for `acme@1.0.0` or `@max/connector-acme@1.0.0`.
    public var connectorName: String {
        var name = connector
        if name.hasPrefix("@max/connector-") { name.removeFirst("@max/connector-".count) }
        if let at = name.lastIndex(of: "@"), at != name.startIndex { name = String(name[..<at]) }
        return name
    }

    init(json: JSONValue, name: String, path: String) throws {
        guard var members = json.objectValue else {
            throw ProjectFile.invalid(path, "'installations.\(name)' must be an object")
        }
        func required(_ key: String) throws -> String {
            guard let value = members.removeValue(forKey: key)?.stringValue, !value.isEmpty else {
                throw ProjectFile.invalid(path, "'installations.\(name).\(key)' must be a non-empty string")
            }
            return value
        }
        id = try required("id")
        connector = try required("connector")
        connectedAt = try required("connectedAt")
        switch members.removeValue(forKey: "provider") {
        case nil: provider = nil
        case .string(let value)? where ["in-process", "subprocess", "remote"].contains(value): provider = value
        default:
            throw ProjectFile.invalid(
                path, "'installations.\(name).provider' must be \"in-process\", \"subprocess\" or \"remote\"")
        }
        config = members.removeValue(forKey: "config") ?? .object([:])
        if provider == "remote" {
            guard let url = members["location"]?["url"]?.stringValue,
                url.hasPrefix("http://") || url.hasPrefix("https://")
            else {
                throw ProjectFile.invalid(
                    path,
                    "'installations.\(name).location.url' must be the http(s) URL of the installation on its Max node")
            }
        }
        credentialReferences = try Self.references(members.removeValue(forKey: "credentials"), name: name, path: path)
        if let sandbox = members["sandbox"], sandbox.boolValue == nil {
            throw ProjectFile.invalid(path, "'installations.\(name).sandbox' must be true or false")
        }
        if let egress = members["egress"] {
            let hosts = egress.arrayValue?.compactMap(\.stringValue) ?? []
            guard hosts.count == egress.arrayValue?.count,
                hosts.allSatisfy({ !$0.isEmpty && !$0.contains("/") && !$0.contains(":") })
            else {
                throw ProjectFile.invalid(
                    path,
                    "'installations.\(name).egress' must be an array of host names such as [\"api.example.com\", \"*.example.org\"] (no scheme, path or port)"
                )
            }
        }
        if let group = members["group"], !(group.stringValue.map(Principal.isName) ?? false) {
            throw ProjectFile.invalid(
                path,
                "'installations.\(name).group' must be a group name: letters, digits, '.', '_', '-' and '@' (at most 64)"
            )
        }
        otherKeys = members
    }

    var json: JSONValue {
        var members = otherKeys
        members["id"] = .string(id)
        members["connector"] = .string(connector)
        members["connectedAt"] = .string(connectedAt)
        if let provider { members["provider"] = .string(provider) }
        members["config"] = config
        if !credentialReferences.isEmpty {
            members["credentials"] = .object(credentialReferences.mapValues { .string($0.reference) })
        }
        return .object(members)
    }

    /// Reads `installations.<name>.credentials`: an object of `env:VAR` references.
    ///
    /// A value that is not one is refused without being repeated (it may be a secret pasted in);
    /// `file:` is refused too, since a shared `max.json` must not make Max read files outside the
    /// project.
    static func references(_ json: JSONValue?, name: String, path: String) throws -> [String: CredentialSource] {
        guard let json else { return [:] }
        guard let object = json.objectValue else {
            throw ProjectFile.invalid(
                path,
                "'installations.\(name).credentials' must be an object such as {\"api_token\": \"env:ACME_TOKEN\"}")
        }
        var references: [String: CredentialSource] = [:]
        for (key, value) in object {
            let at = "'installations.\(name).credentials.\(key)'"
            guard let text = value.stringValue, text.hasPrefix("env:"), text.count > 4 else {
                throw MaxError(
                    .invalidProjectFile,
                    "\(path) is invalid: \(at) must be a reference to an environment variable (env:VAR); its value is not shown, in case it is a secret",
                    hint:
                        "secrets never go in max.json: write \"env:VAR\" and export VAR, or remove the key and run \"max connect \(name) --reauth\"",
                    context: ["path": path, "credential": key])
            }
            references[key] = .environment(String(text.dropFirst(4)))
        }
        return references
    }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
