public import Foundation
public import MaxCore

/// Where a non-interactive secret comes from: `env:VAR`, `file:PATH`, or `-` (one line of standard input).
///
/// Never a literal: process arguments are visible to other users of the machine.
public enum CredentialSource: Sendable, Hashable {
    /// An environment variable.
    case environment(String)
    /// A file's contents (trailing newlines trimmed).
    case file(String)
    /// One line of standard input.
    case standardInput

    /// Parses `env:VAR`, `file:PATH` or `-`.
    ///
    /// - Throws: `credentials.literal_secret` for anything else, without repeating the value.
    public init(parsing text: String, key: String) throws {
        if text == "-" {
            self = .standardInput
        } else if text.hasPrefix("env:"), text.count > 4 {
            self = .environment(String(text.dropFirst(4)))
        } else if text.hasPrefix("file:"), text.count > 5 {
            self = .file(String(text.dropFirst(5)))
        } else {
            throw MaxError(
                .literalSecret,
                "the credential '\(key)' was given as a literal value, which other users can see in the process list",
                hint:
                    "pass --credential \(key)=env:VAR, --credential \(key)=file:PATH, or --credential \(key)=- and type it on standard input",
                context: ["credential": key])
        }
    }

    /// The source as written: `env:VAR`, `file:PATH` or `-`.
    public var reference: String {
        switch self {
        case .environment(let name): "env:\(name)"
        case .file(let path): "file:\(path)"
        case .standardInput: "-"
        }
    }

    /// The source as a message may show it: the variable's name when it looks like one
    /// (`ACME_TOKEN`), else only its kind, in case a secret was pasted where the name belongs.
    public var shown: String {
        switch self {
        case .environment(let name) where Self.looksLikeVariable(name): "env:\(name)"
        case .environment: "env:…"
        case .file: "file:…"
        case .standardInput: "-"
        }
    }

    /// Whether `name` looks like an environment variable's name (upper case, digits and `_`), not
    /// like a secret, which has lower case letters or other characters.
    static func looksLikeVariable(_ name: String) -> Bool {
        name.count <= 64 && name.first.map { $0 == "_" || ("A"..."Z").contains($0) } == true
            && name.allSatisfy { $0 == "_" || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }

    /// Reads the secret.
    ///
    /// Errors name the credential and where it was referenced; a variable's name only when it
    /// looks like one and a path never: a secret pasted in its place (`env:<token>`) must not be
    /// printed back.
    ///
    /// - Parameters:
    ///   - key: The credential's name.
    ///   - origin: Where the source was given, for messages; by default `--credential <key>`.
    ///   - environment: The environment to read variables from.
    /// - Returns: The secret.
    /// - Throws: `credentials.source_unreadable`.
    public func read(
        key: String, origin: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Secret {
        let given = origin ?? "--credential \(key)"
        func unreadable(_ what: String, _ hint: String) -> MaxError {
            MaxError(
                .credentialSourceUnreadable, "cannot read the credential '\(key)': \(what)", hint: hint,
                context: ["credential": key])
        }
        let value: String
        switch self {
        case .environment(let name):
            guard let text = environment[name], !text.isEmpty else {
                if Self.looksLikeVariable(name) {
                    throw unreadable(
                        "the environment variable \(name) (from \(given)) is not set or is empty",
                        "export \(name) first")
                }
                throw unreadable(
                    "the environment variable named in \(given) is not set or is empty",
                    "export that variable first, and check its name (Max does not print it, in case a secret was pasted in its place)"
                )
            }
            value = text
        case .file:
            guard case .file(let path) = self, let data = FileManager.default.contents(atPath: path) else {
                throw unreadable(
                    "the file named in \(given) cannot be read",
                    "check the path and its permissions (Max does not print it, in case a secret was pasted in its place)"
                )
            }
            value = String(decoding: data, as: UTF8.self)
        case .standardInput:
            guard let line = Swift.readLine(strippingNewline: true) else {
                throw unreadable("standard input is empty", "pipe the secret in: echo \"$TOKEN\" | max connect …")
            }
            value = line
        }
        let trimmed = value.trimmingCharacters(in: .newlines)
        guard !trimmed.isEmpty else { throw unreadable("the value is empty", "check where the secret comes from") }
        return Secret(trimmed)
    }
}
