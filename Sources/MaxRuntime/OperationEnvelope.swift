public import MaxCore

/// What every operation call returns, whoever asked (SPEC-hardening §16): `metadata`, `data`,
/// `warnings`, `redactionsApplied`, `truncated`.
public struct OperationEnvelope: Sendable {
    /// About the call: ids, installation, operation, mode, duration, provider status, retries,
    /// whether it was replayed from an idempotency key.
    public var metadata: [String: JSONValue]
    /// The result, valid against the operation's output schema (before redaction and truncation).
    public var data: JSONValue
    /// What the caller should know that is not a failure.
    public var warnings: [String]
    /// The JSON Pointers of the values replaced by `"[redacted]"`.
    public var redactionsApplied: [String]
    /// Whether `data` was cut to the operation's maximum payload size.
    public var truncated: Bool

    /// The envelope as JSON.
    public var json: JSONValue {
        [
            "metadata": .object(metadata), "data": data, "warnings": .array(warnings.map(JSONValue.string)),
            "redactionsApplied": .array(redactionsApplied.map(JSONValue.string)), "truncated": .bool(truncated),
        ]
    }

    /// Reads an envelope back from its JSON (a stored idempotent result, a job's result).
    public init?(json: JSONValue) {
        guard let metadata = json["metadata"]?.objectValue, let data = json["data"] else { return nil }
        self.metadata = metadata
        self.data = data
        self.warnings = json["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        self.redactionsApplied = json["redactionsApplied"]?.arrayValue?.compactMap(\.stringValue) ?? []
        self.truncated = json["truncated"]?.boolValue ?? false
    }

    /// An envelope.
    public init(
        metadata: [String: JSONValue], data: JSONValue, warnings: [String] = [], redactionsApplied: [String] = [],
        truncated: Bool = false
    ) {
        self.metadata = metadata
        self.data = data
        self.warnings = warnings
        self.redactionsApplied = redactionsApplied
        self.truncated = truncated
    }

    /// Replaces the values at `pointers` (`*` for every element or member) with `"[redacted]"`.
    ///
    /// - Returns: The value, and the concrete pointers replaced.
    static func redact(_ value: JSONValue, _ pointers: [String]) -> (JSONValue, [String]) {
        var value = value
        var applied: [String] = []
        for pointer in pointers {
            let tokens = pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
                String($0).replacing("~1", with: "/").replacing("~0", with: "~")
            }
            value = redact(value, tokens[...], at: "", applied: &applied)
        }
        return (value, applied)
    }

    private static func redact(
        _ value: JSONValue, _ tokens: ArraySlice<String>, at path: String, applied: inout [String]
    )
        -> JSONValue
    {
        guard let token = tokens.first else {
            applied.append(path)
            return "[redacted]"
        }
        let rest = tokens.dropFirst()
        switch value {
        case .object(var members):
            for key in members.keys.sorted() where token == "*" || token == key {
                members[key] = redact(members[key] ?? .null, rest, at: JSONSchema.pointer(path, key), applied: &applied)
            }
            return .object(members)
        case .array(var items):
            for index in items.indices where token == "*" || token == String(index) {
                items[index] = redact(items[index], rest, at: path + "/\(index)", applied: &applied)
            }
            return .array(items)
        default:
            return value
        }
    }

    /// `data` cut to `limit` bytes of JSON: an array keeps as many leading items as fit, anything
    /// else becomes `null`.
    ///
    /// - Returns: The value and whether it was cut.
    static func truncate(_ data: JSONValue, to limit: Int) -> (JSONValue, Bool) {
        guard data.jsonText.utf8.count > limit else { return (data, false) }
        guard let items = data.arrayValue else { return (.null, true) }
        var kept: [JSONValue] = []
        var size = 2
        for item in items {
            let next = item.jsonText.utf8.count + 1
            if size + next > limit { break }
            size += next
            kept.append(item)
        }
        return (.array(kept), true)
    }
}
