import Foundation

extension JSONValue {
    /// Parses a JSON document.
    ///
    /// - Throws: `MaxError` with code `core.invalid_json` when `text` is not JSON.
    public init(parsing text: String) throws {
        do {
            self = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            throw MaxError(.invalidJSON, "the text is not valid JSON", cause: error)
        }
    }

    /// The value as compact JSON text with sorted keys: stable, so it can be compared and stored.
    public var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSONValue cannot fail: every case maps onto a JSON primitive. Non-finite
        // doubles are the one exception, and they are written as null.
        guard let data = try? encoder.encode(self.replacingNonFiniteNumbers()) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    private func replacingNonFiniteNumbers() -> JSONValue {
        switch self {
        case .double(let value) where !value.isFinite: return .null
        case .array(let values): return .array(values.map { $0.replacingNonFiniteNumbers() })
        case .object(let members): return .object(members.mapValues { $0.replacingNonFiniteNumbers() })
        default: return self
        }
    }
}
