import Foundation
public import MaxCore

/// A step that asks for plain config values and for secrets.
///
/// Field values join the onboarding state (and so the installation's config); credentials go to the
/// credential store and never into the state.
public struct InputStep: Sendable {
    /// The step's label.
    public let label: String
    /// Guidance shown before the prompts (where to find an API key, say).
    public let description: String?
    /// The config fields to ask for, in order.
    public let fields: [InputField]
    /// The secrets to ask for, in order.
    public let credentials: [CredentialInput]

    /// Creates an input step.
    public init(
        _ label: String, description: String? = nil, fields: [InputField] = [], credentials: [CredentialInput] = []
    ) {
        self.label = label
        self.description = description
        self.fields = fields
        self.credentials = credentials
    }
}

/// A config field an ``InputStep`` asks for.
public struct InputField: Sendable {
    /// What kind of value the field takes, which decides how the entered text is read.
    public enum Kind: String, Sendable, Hashable {
        /// Any text.
        case string
        /// A number.
        case number
        /// yes/no, true/false.
        case bool
        /// An absolute URL with a scheme and a host.
        case url
    }

    /// The config key.
    public let name: String
    /// The prompt.
    public let label: String
    /// How the entered text is read.
    public let kind: Kind
    /// Whether a value must be given.
    public let isRequired: Bool
    /// The value used when none is entered.
    public let defaultValue: JSONValue?
    /// An example shown in the prompt.
    public let placeholder: String?
    /// For ``Kind/url`` fields, the schemes accepted (lowercase).
    public let allowedSchemes: [String]

    /// Creates a field.
    public init(
        _ name: String, label: String? = nil, kind: Kind = .string, required: Bool = true,
        default defaultValue: JSONValue? = nil, placeholder: String? = nil,
        allowedSchemes: [String] = ["http", "https"]
    ) {
        self.name = name
        self.label = label ?? name
        self.kind = kind
        self.isRequired = required
        self.defaultValue = defaultValue
        self.placeholder = placeholder
        self.allowedSchemes = allowedSchemes
    }

    /// A text field.
    public static func string(
        _ name: String, label: String? = nil, required: Bool = true, default value: String? = nil,
        placeholder: String? = nil
    ) -> InputField {
        InputField(
            name, label: label, kind: .string, required: required, default: value.map(JSONValue.string),
            placeholder: placeholder)
    }

    /// A URL field accepting `schemes` (http and https by default).
    public static func url(
        _ name: String, label: String? = nil, required: Bool = true, default value: String? = nil,
        placeholder: String? = nil, schemes: [String] = ["http", "https"]
    ) -> InputField {
        InputField(
            name, label: label, kind: .url, required: required, default: value.map(JSONValue.string),
            placeholder: placeholder, allowedSchemes: schemes)
    }

    /// Reads text a user entered as this field's value.
    ///
    /// Text is trimmed; empty text means "no value": the default if there is one, an error if the
    /// field is required, else `nil`.
    ///
    /// - Throws: `onboarding.invalid_input` saying what was expected.
    public func parse(_ text: String) throws -> JSONValue? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty {
            if let defaultValue { return defaultValue }
            if isRequired {
                throw invalid("\(label) is required", hint: placeholder.map { "for example: \($0)" })
            }
            return nil
        }
        switch kind {
        case .string:
            return .string(trimmed)
        case .number:
            if let integer = Int(trimmed) { return .int(integer) }
            if let double = Double(trimmed), double.isFinite { return .double(double) }
            throw invalid("\(label) must be a number, not '\(trimmed)'", hint: nil)
        case .bool:
            switch trimmed.lowercased() {
            case "y", "yes", "true", "1", "on": return .bool(true)
            case "n", "no", "false", "0", "off": return .bool(false)
            default: throw invalid("\(label) must be yes or no, not '\(trimmed)'", hint: nil)
            }
        case .url:
            guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
                allowedSchemes.contains(scheme), let host = components.host, !host.isEmpty
            else {
                let schemes = allowedSchemes.map { "\($0)://" }.joined(separator: " or ")
                throw invalid(
                    "\(label) must be a URL starting with \(schemes), not '\(trimmed)'",
                    hint: placeholder.map { "for example: \($0)" })
            }
            return .string(trimmed.hasSuffix("/") ? String(trimmed.dropLast()) : trimmed)
        }
    }

    private func invalid(_ message: String, hint: String?) -> MaxError {
        MaxError(.onboardingInvalidInput, message, hint: hint, context: ["field": name])
    }
}

/// A secret an ``InputStep`` asks for.
///
/// It is read without echo and written straight to the credential store.
public struct CredentialInput: Sendable {
    /// The credential's name in the store.
    public let name: String
    /// The prompt.
    public let label: String
    /// Where to find the value.
    public let description: String?

    /// Creates a secret input stored under `key`.
    public init(_ key: CredentialKey<String>, label: String? = nil, description: String? = nil) {
        self.name = key.name
        self.label = label ?? key.name
        self.description = description
    }
}
