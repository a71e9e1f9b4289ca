/// The one error type Max throws: a stable dotted code, a message for people, and structured context.
///
/// Every layer converts the errors of the libraries it adapts into a `MaxError` (keeping the original
/// as ``cause``), so callers above only ever match on ``code``:
///
/// ```swift
/// do {
///     try store.page(query)
/// } catch let error as MaxError where error.code == .unknownField {
///     print(error.hint ?? "")
/// }
/// ```
///
/// A `MaxError` never carries a secret: build ``context`` from plain values only, never from a
/// ``Secret``.
public struct MaxError: Error, Sendable {
    /// The stable identifier of what went wrong, such as `search.invalid_filter`.
    public var code: Code
    /// What was wrong, in words a person understands.
    public var message: String
    /// What to do next, when there is something useful to say.
    public var hint: String?
    /// Structured details (the field, the column, the path).
    ///
    /// Never secrets.
    public var context: [String: String]
    /// The underlying error this one was converted from, if any.
    public var cause: (any Error & Sendable)?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: The stable code.
    ///   - message: What was wrong.
    ///   - hint: What to do next.
    ///   - context: Structured details; never secrets.
    ///   - cause: The underlying error.
    public init(
        _ code: Code,
        _ message: String,
        hint: String? = nil,
        context: [String: String] = [:],
        cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.hint = hint
        self.context = context
        self.cause = cause
    }

    /// The category of the code, which drives retries and exit codes.
    public var category: Category { code.category }
}

extension MaxError {
    /// A stable error code: a domain and a name (`storage.field_not_found`) plus its category.
    ///
    /// Codes are static members added by each module in an extension, so new codes never break
    /// anyone who matches on existing ones. Equality compares the dotted string only.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The layer or subsystem, such as `search` or `storage`.
        public let domain: String
        /// The specific condition within the domain, in snake case.
        public let name: String
        /// What kind of failure this is.
        public let category: Category

        /// Creates a code.
        public init(domain: String, name: String, category: Category) {
            self.domain = domain
            self.name = name
            self.category = category
        }

        /// The dotted form, such as `search.invalid_filter`.
        public var description: String { "\(domain).\(name)" }

        /// Compares the dotted form.
        public static func == (lhs: Code, rhs: Code) -> Bool {
            lhs.domain == rhs.domain && lhs.name == rhs.name
        }

        /// Hashes the dotted form.
        public func hash(into hasher: inout Hasher) {
            hasher.combine(domain)
            hasher.combine(name)
        }
    }

    /// The kind of failure: what retries and exit codes are decided by.
    public enum Category: String, Sendable, Codable, CaseIterable {
        /// May succeed if tried again later (timeouts, 5xx, rate limits).
        case transient
        /// Will fail again the same way.
        case permanent
        /// A policy forbade the action.
        case policyDenied = "policy_denied"
        /// A quota or limit was reached.
        case quotaExceeded = "quota_exceeded"
        /// The input was invalid (flags, filters, config, schemas).
        case validationError = "validation_error"
        /// Something named does not exist.
        case notFound = "not_found"
        /// The action conflicts with the current state.
        case conflict
        /// A bug in Max.
        case `internal`

        /// Whether an operation that failed this way may be retried.
        public var isRetryable: Bool { self == .transient }
    }
}

extension MaxError: CustomStringConvertible {
    /// `code: message`, then the hint and the cause chain on their own lines.
    public var description: String {
        var lines = ["\(code): \(message)"]
        if let excerpt { lines.append(excerpt) }
        if let hint { lines.append("hint: \(hint)") }
        var next = cause
        var depth = 1
        while let error = next, depth < 8 {
            let indent = String(repeating: "  ", count: depth - 1)
            if let maxError = error as? MaxError {
                lines.append("\(indent)└─ caused by \(maxError.code): \(maxError.message)")
                next = maxError.cause
            } else {
                lines.append("\(indent)└─ caused by: \(String(describing: error))")
                next = nil
            }
            depth += 1
        }
        return lines.joined(separator: "\n")
    }
}

extension MaxError.Code {
    /// A JSON document could not be parsed.
    public static let invalidJSON = Self(domain: "core", name: "invalid_json", category: .validationError)
    /// A schema is inconsistent: duplicate names, refs to unknown types, reserved names.
    public static let invalidSchema = Self(domain: "schema", name: "invalid", category: .validationError)
    /// A JSON Schema uses a keyword Max does not support, or a keyword's value is malformed.
    public static let invalidJSONSchema = Self(
        domain: "schema", name: "invalid_json_schema", category: .validationError)
    /// An entity type is not part of the schema.
    public static let unknownEntityType = Self(
        domain: "schema", name: "unknown_entity_type", category: .notFound)
    /// A bug: something that should never happen did.
    public static let internalError = Self(domain: "core", name: "internal", category: .internal)
}

extension MaxError {
    /// The placeholder hints use for the installation's name where the layer that throws does not
    /// know it; ``naming(installation:)`` fills it in.
    public static let installationPlaceholder = "<installation>"

    /// The command that enters an installation's credentials again (re-running only the
    /// credential-bearing onboarding steps), for hints.
    ///
    /// - Parameter installation: The installation's name, or the placeholder.
    /// - Returns: `max connect <installation> --reauth`.
    public static func reauthenticateCommand(_ installation: String = installationPlaceholder) -> String {
        "max connect \(installation) --reauth"
    }

    /// The quoted re-authentication command, for hints.
    public static let reenterCredentialsCommands = "\"\(reauthenticateCommand())\""

    /// This error with the installation's name in place of ``installationPlaceholder``, in its
    /// message and hint and in those of the `MaxError`s it wraps.
    ///
    /// - Parameter installation: The installation the error is about.
    /// - Returns: The error, named.
    public func naming(installation: String) -> MaxError {
        var named = self
        named.message = message.replacing(Self.installationPlaceholder, with: installation)
        named.hint = hint?.replacing(Self.installationPlaceholder, with: installation)
        if let inner = cause as? MaxError { named.cause = inner.naming(installation: installation) }
        return named
    }
}

extension MaxError {
    /// `error` itself if it is a `MaxError`, else an internal error that keeps it as the cause.
    public static func wrapping(_ error: any Error) -> MaxError {
        if let error = error as? MaxError { return error }
        return MaxError(.internalError, "unexpected failure: \(error)", cause: error)
    }
}
