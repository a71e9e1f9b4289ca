public import MaxCore

/// The versioned JSON Schema of a connector's config: what `max.json` may hold under an
/// installation's `config`, checked at connect, on load, at enable and by `max validate`.
///
/// A connector states it in its ``ConnectorDef``, or lets the SDK derive it from the onboarding
/// steps (``derived(from:version:properties:closed:migrations:)``). A connector version that changes
/// the config bumps `version` and declares a ``ConfigMigration`` from the previous one; Max runs the
/// migrations on an installation whose `max.json` entry records an older `configVersion`.
///
/// ```swift
/// let schema = ConfigSchema.derived(
///     from: onboarding, version: 2, properties: ["pageSize": ["type": "integer", "minimum": 1]],
///     migrations: [ConfigMigration(from: 1, note: "url is now baseURL") { try $0.renaming("url", to: "baseURL") }])
/// ```
public struct ConfigSchema: Sendable {
    /// The version of the config's shape, from 1; recorded on each installation as `configVersion`.
    public let version: Int
    /// The schema of the config object.
    public let schema: JSONSchema
    /// How a config of each older version becomes one of the next.
    public let migrations: [ConfigMigration]

    /// A schema stated in full.
    public init(version: Int = 1, schema: JSONSchema, migrations: [ConfigMigration] = []) {
        self.version = version
        self.schema = schema
        self.migrations = migrations
    }

    /// The schema onboarding implies: an object with a property per field it asks for.
    ///
    /// Input fields are typed by their kind (`url` as a string of format `uri`); a select step's
    /// field is a string, or for a multiple choice a string or a list of strings. A field is
    /// required when an unconditional step asks for it with no default. The object is closed (no
    /// other member allowed, so a misspelt key is caught) when onboarding asks for at least one
    /// field and has no custom step (which can add members the SDK cannot see); `closed` overrides
    /// that.
    ///
    /// - Parameters:
    ///   - flow: The onboarding flow.
    ///   - version: The config's version.
    ///   - properties: Schemas of members onboarding does not ask for, or replacing a derived one.
    ///   - closed: Whether other members are refused; by default, when the flow asks for a field and
    ///     has no custom step.
    ///   - migrations: From each older version.
    /// - Returns: The schema.
    public static func derived(
        from flow: OnboardingFlow, version: Int = 1, properties: [String: JSONValue] = [:], closed: Bool? = nil,
        migrations: [ConfigMigration] = []
    ) -> ConfigSchema {
        var members: [String: JSONValue] = [:]
        var required: [String] = []
        var custom = false
        func visit(_ step: OnboardingStep, conditional: Bool) {
            switch step {
            case .input(let input):
                for field in input.fields {
                    members[field.name] = property(of: field)
                    if field.isRequired, field.defaultValue == nil, !conditional { required.append(field.name) }
                }
            case .select(let select):
                var property = (select.allowsMultiple ? TextList.jsonSchema : ["type": "string"]).objectValue ?? [:]
                property["title"] = .string(select.label)
                members[select.field] = .object(property)
                if select.defaultValue == nil, !conditional { required.append(select.field) }
            case .custom:
                custom = true
            case .when(_, let inner):
                visit(inner, conditional: true)
            case .validation, .oauth2:
                break
            }
        }
        for step in flow.steps { visit(step, conditional: false) }
        members.merge(properties) { derived, stated in
            // A stated property keeps the prompt's words as its title.
            guard var object = stated.objectValue, object["title"] == nil, let title = derived["title"] else {
                return stated
            }
            object["title"] = title
            return .object(object)
        }
        var object: [String: JSONValue] = ["type": "object", "properties": .object(members)]
        if !required.isEmpty { object["required"] = .array(required.map(JSONValue.string)) }
        if closed ?? (!custom && !members.isEmpty) { object["additionalProperties"] = false }
        // Built from checked pieces, so it is a valid schema; a stated property that is not one is
        // the connector's bug, reported by its definition's validation.
        let schema = (try? JSONSchema(.object(object))) ?? .any
        return ConfigSchema(version: version, schema: schema, migrations: migrations)
    }

    private static func property(of field: InputField) -> JSONValue {
        var property: [String: JSONValue]
        switch field.kind {
        case .string: property = ["type": "string"]
        case .number: property = ["type": "number"]
        case .bool: property = ["type": "boolean"]
        case .url: property = ["type": "string", "format": "uri"]
        }
        if field.label != field.name { property["title"] = .string(field.label) }
        if let value = field.defaultValue { property["default"] = value }
        return .object(property)
    }

    /// What is wrong with `config`, each with its path from the installation (`config.baseURL`).
    ///
    /// - Parameter config: The config object.
    /// - Returns: The problems; empty when it conforms.
    public func problems(in config: JSONValue) -> [(path: String, message: String)] {
        schema.validate(config).map { violation in
            let keys = violation.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
                $0.replacing("~1", with: "/").replacing("~0", with: "~")
            }
            // Every message reads after the path: "config.port must be an integer, not a string".
            let message =
                violation.message.hasPrefix("expected ")
                ? "must be " + violation.message.dropFirst("expected ".count) : violation.message
            return (path: (["config"] + keys).joined(separator: "."), message: message)
        }
    }

    /// Checks `config` against the schema.
    ///
    /// - Parameters:
    ///   - config: The config object.
    ///   - connector: The connector's name, for the message.
    /// - Throws: `connector.invalid_config` naming every problem with its path.
    public func check(_ config: JSONValue, connector: String) throws {
        let problems = problems(in: config)
        guard let first = problems.first else { return }
        throw MaxError(
            .invalidConfig,
            "the \(connector) config is invalid: "
                + problems.map { "\($0.path) \($0.message)" }.joined(separator: "; "),
            hint: "fix the installation's config in max.json (max validate lists every problem), or connect it again",
            context: ["connector": connector, "path": first.path])
    }

    /// Brings a config of an older version up to this one, running each migration in turn.
    ///
    /// - Parameters:
    ///   - config: The config as recorded.
    ///   - recorded: The version it was recorded with.
    ///   - connector: The connector's name, for messages.
    /// - Returns: The config at ``version``, and the migrations' notes in order (none when it was
    ///   current).
    /// - Throws: `connector.invalid_config` for a version newer than this one, a missing
    ///   migration, or one that fails.
    public func migrate(_ config: JSONValue, from recorded: Int, connector: String) throws
        -> (config: JSONValue, notes: [String])
    {
        guard recorded <= version else {
            throw MaxError(
                .invalidConfig,
                "the config was written for version \(recorded) of the \(connector) config; this connector knows up to \(version)",
                hint: "use the connector version that wrote it (see the installation's connector in max.json)",
                context: ["connector": connector])
        }
        var config = config
        var notes: [String] = []
        for from in recorded..<version {
            guard let migration = migrations.first(where: { $0.from == from }) else {
                throw MaxError(
                    .invalidConfig,
                    "the \(connector) connector cannot migrate a config from version \(from) to \(from + 1)",
                    hint:
                        "rewrite the installation's config for this version by hand and set its \"configVersion\" (see max connectors \(connector)), or connect it again",
                    context: ["connector": connector])
            }
            do {
                config = try migration.migrate(config)
            } catch {
                let reason = (error as? MaxError)?.message ?? "\(error)"
                throw MaxError(
                    .invalidConfig,
                    "migrating the \(connector) config from version \(from) to \(from + 1) failed: \(reason)",
                    hint: "fix the installation's config in max.json by hand (the note: \(migration.note))",
                    context: ["connector": connector])
            }
            notes.append("config v\(from) → v\(from + 1): \(migration.note)")
        }
        return (config, notes)
    }

    /// The problems of the schema itself: a version below 1, or a repeated or stray migration.
    ///
    /// A missing migration is not one: a connector may drop support for very old configs, and
    /// ``migrate(_:from:connector:)`` says so when it meets one.
    var definitionProblems: [String] {
        var problems: [String] = []
        if version < 1 { problems.append("the config schema version must be 1 or more, not \(version)") }
        for from in Set(migrations.map(\.from)) where migrations.filter({ $0.from == from }).count > 1 {
            problems.append("the config schema declares two migrations from version \(from)")
        }
        for migration in migrations where migration.from < 1 || migration.from >= version {
            problems.append("a config migration from version \(migration.from) leads past version \(version)")
        }
        return problems
    }

    /// The schema as JSON, with its version (`{"version": 2, "schema": {…}}`): what `max connectors
    /// --json` and a connector out of process describe.
    public var json: JSONValue {
        ["version": .int(version), "schema": schema.json]
    }
}

/// How a connector's config of one version becomes one of the next.
public struct ConfigMigration: Sendable {
    /// The version it migrates from (to `from + 1`).
    public let from: Int
    /// What changed, for the person whose config it rewrites.
    public let note: String
    /// The rewrite.
    public let migrate: @Sendable (JSONValue) throws -> JSONValue

    /// A migration.
    public init(from: Int, note: String, migrate: @escaping @Sendable (JSONValue) throws -> JSONValue) {
        self.from = from
        self.note = note
        self.migrate = migrate
    }
}
