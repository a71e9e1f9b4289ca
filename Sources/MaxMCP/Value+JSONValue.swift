import Foundation
import MCP
import MaxCore

extension Value {
    /// The MCP value of a Max JSON value.
    init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .int(let value): self = .int(value)
        case .double(let value): self = .double(value)
        case .string(let value): self = .string(value)
        case .array(let items): self = .array(items.map(Value.init))
        case .object(let members): self = .object(members.mapValues(Value.init))
        }
    }

    /// The value as Max JSON (binary data as base64 text).
    var json: JSONValue {
        switch self {
        case .null: .null
        case .bool(let value): .bool(value)
        case .int(let value): .int(value)
        case .double(let value): .double(value)
        case .string(let value): .string(value)
        case .data(_, let data): .string(data.base64EncodedString())
        case .array(let items): .array(items.map(\.json))
        case .object(let members): .object(members.mapValues(\.json))
        }
    }
}
