public import MaxCore

/// How a project governs the connectors it uses (SPEC-hardening §13): `max.json`'s `"catalog"`.
///
/// ```json
/// "catalog": {
///   "notes": {"lifecycle": "deprecated", "replacement": "notes2"},
///   "legacy": {"lifecycle": "retired", "replacement": "notes2"},
///   "acme": {"features": {"operations": false}}
/// }
/// ```
///
/// A deprecated connector still syncs, with a warning naming its replacement; a retired one is
/// refused (`connector.retired`). A feature turned off (`sync`, `operations`) is refused for every
/// installation of the connector (`connector.feature_disabled`). `max connectors` shows both.
public struct ConnectorCatalog: Sendable, Hashable {
    /// Where a connector is in its life.
    public enum Lifecycle: String, Sendable, Hashable {
        /// In use (the default).
        case active
        /// Still works; moving to the replacement is advised.
        case deprecated
        /// No longer syncs.
        case retired
    }

    /// A feature that can be turned off per connector.
    public enum Feature: String, Sendable, Hashable, CaseIterable {
        /// Syncing its installations.
        case sync
        /// Invoking its operations.
        case operations
    }

    /// One connector's entry.
    public struct Entry: Sendable, Hashable {
        /// Its lifecycle.
        public var lifecycle: Lifecycle = .active
        /// What replaces it, if anything.
        public var replacement: String?
        /// The features turned off.
        public var disabled: Set<Feature> = []
    }

    /// The entries, by connector name.
    public var entries: [String: Entry]

    /// The catalog of `max.json`'s `"catalog"` value (none: every connector active, every feature on).
    ///
    /// - Throws: `project.invalid_config` naming the key at fault.
    public init(json: JSONValue?, path: String = "max.json") throws {
        func invalid(_ key: String, _ problem: String) -> MaxError {
            MaxError(
                .invalidProjectFile, "\(path): catalog.\(key) \(problem)",
                hint: #"for example "catalog": {"notes": {"lifecycle": "deprecated", "replacement": "notes2"}}"#,
                context: ["key": "catalog.\(key)"])
        }
        var entries: [String: Entry] = [:]
        if let json, json.objectValue == nil {
            throw MaxError(
                .invalidProjectFile, "\(path): catalog must be an object of connector names",
                hint: "fix it in max.json", context: ["key": "catalog"])
        }
        for (name, value) in json?.objectValue ?? [:] {
            guard let object = value.objectValue else { throw invalid(name, "must be an object") }
            var entry = Entry()
            for (key, field) in object {
                switch key {
                case "lifecycle":
                    guard let lifecycle = field.stringValue.flatMap(Lifecycle.init) else {
                        throw invalid("\(name).lifecycle", "must be active, deprecated or retired")
                    }
                    entry.lifecycle = lifecycle
                case "replacement":
                    guard let replacement = field.stringValue, !replacement.isEmpty else {
                        throw invalid("\(name).replacement", "must be a connector name")
                    }
                    entry.replacement = replacement
                case "features":
                    guard let features = field.objectValue else {
                        throw invalid("\(name).features", "must be an object such as {\"operations\": false}")
                    }
                    for (feature, on) in features {
                        guard let known = Feature(rawValue: feature), let flag = on.boolValue else {
                            throw invalid(
                                "\(name).features.\(feature)",
                                "is not a feature (sync, operations) set to true or false")
                        }
                        if !flag { entry.disabled.insert(known) }
                    }
                default:
                    throw invalid("\(name).\(key)", "is not a catalog key (lifecycle, replacement, features)")
                }
            }
            entries[name] = entry
        }
        self.entries = entries
    }

    /// The entry of `connector` (an active one with every feature on when it has none).
    public func entry(of connector: String) -> Entry { entries[connector] ?? Entry() }

    /// Refuses `feature` of installation `installation` of `connector` when the catalog turns it
    /// off, or (for a sync) retired the connector.
    ///
    /// - Throws: `connector.retired`; `connector.feature_disabled`.
    public func require(_ feature: Feature, of connector: String, installation: String) throws {
        let entry = entry(of: connector)
        let instead = entry.replacement.map { ": connect \($0) instead (max connect \($0))" } ?? ""
        if feature == .sync, entry.lifecycle == .retired {
            throw MaxError(
                .connectorRetired, "the \(connector) connector is retired: \(installation) no longer syncs",
                hint: "its synced data still answers queries\(instead)",
                context: ["connector": connector, "installation": installation])
        }
        if entry.disabled.contains(feature) {
            throw MaxError(
                .connectorFeatureDisabled,
                "\(feature == .sync ? "syncing" : "invoking operations of") \(installation) is turned off for the \(connector) connector",
                hint:
                    "max.json's \"catalog\": {\"\(connector)\": {\"features\": {\"\(feature.rawValue)\": false}}} turns it off",
                context: ["connector": connector, "installation": installation])
        }
    }

    /// The warning a deprecated connector's use gets, if it is deprecated.
    public func warning(for connector: String) -> String? {
        let entry = entry(of: connector)
        guard entry.lifecycle == .deprecated else { return nil }
        return "the \(connector) connector is deprecated"
            + (entry.replacement.map { "; its replacement is \($0) (max connect \($0))" } ?? "")
    }
}

extension MaxError.Code {
    /// The project's catalog retired the connector: its installations no longer sync.
    public static let connectorRetired = Self(domain: "connector", name: "retired", category: .policyDenied)
    /// The project's catalog turned off a feature of the connector.
    public static let connectorFeatureDisabled = Self(
        domain: "connector", name: "feature_disabled", category: .policyDenied)
}
