public import Foundation
public import MaxCore

/// The JSON of the API's types: dates as ISO-8601 text, and one place that turns what does not
/// decode into a clear error.
public enum APICoding {
    /// The JSON text of `value`.
    ///
    /// - Throws: `core.internal` when it cannot be encoded (a bug).
    public static func data(_ value: some Encodable) throws -> Data {
        do {
            return try encoder().encode(value)
        } catch {
            throw MaxError(.internalError, "an answer could not be encoded: \(error)")
        }
    }

    /// `value` as a ``JSONValue``.
    ///
    /// - Throws: as ``data(_:)``.
    public static func json(_ value: some Encodable) throws -> JSONValue {
        try JSONValue(parsing: String(decoding: try data(value), as: UTF8.self))
    }

    /// A `T` read from `json`.
    ///
    /// - Throws: `DecodingError` when `json` is not one.
    public static func decode<T: Decodable>(_ type: T.Type, from json: JSONValue) throws -> T {
        try decode(type, from: Data(json.jsonBytes))
    }

    /// A `T` read from JSON text.
    ///
    /// - Throws: `DecodingError` when the text is not one.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = ISO8601.parse(text) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not an ISO-8601 date"))
            }
            return date
        }
        return try decoder.decode(type, from: data)
    }

    /// A request of type `T` from a caller's arguments.
    ///
    /// - Throws: `api.invalid_request` naming what is missing or of the wrong type.
    public static func request<T: Decodable>(_ type: T.Type, from arguments: JSONValue) throws -> T {
        do {
            return try decode(type, from: arguments)
        } catch let error as DecodingError {
            throw MaxError.invalidRequest(describe(error))
        }
    }

    /// A decoding error in words: which key, what was wrong.
    public static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the document" : keys.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.isEmpty ? "" : " in " + path(context)
            return "\(key.stringValue) is required\(parent)"
        case .typeMismatch(let type, let context): return "\(path(context)) is not a \(type)"
        case .valueNotFound(let type, let context): return "\(path(context)) must be a \(type), not null"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    private static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601.format(date))
        }
        return encoder
    }
}

/// What an ``Endpoint`` answered: the result, ready for any front end.
public struct APIAnswer: Sendable {
    /// The result.
    public let value: any Encodable & Sendable
    /// `200`, or `202` for a call queued as a job.
    public let status: Int
    /// Where a queued job can be followed (`/v1/jobs/<id>`).
    public let location: String?
    /// One or a few lines for people (an MCP tool's text content).
    public let text: String

    /// The same answer with a list of installations cut to those `principal` may read, as the
    /// project's policy says (``AccessControl/visible(_:to:)``); any other answer unchanged.
    ///
    /// - Throws: `project.invalid_config` for a malformed policy.
    public func visible(to principal: Principal, in workspace: MaxWorkspace) throws -> APIAnswer {
        guard let list = value as? InstallationList else { return self }
        return APIAnswer(
            value: try AccessControl(workspace: workspace).visible(list, to: principal), status: status,
            location: location, text: text)
    }

    /// The result's JSON text.
    ///
    /// - Throws: `core.internal` when it cannot be encoded.
    public func data() throws -> Data { try APICoding.data(value) }

    /// The result as a ``JSONValue``.
    ///
    /// - Throws: as ``data()``.
    public func json() throws -> JSONValue { try APICoding.json(value) }
}
