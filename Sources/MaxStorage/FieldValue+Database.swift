import Foundation
import GRDB
import MaxCore

extension Date {
    /// Milliseconds since 1970, the way dates are stored.
    var storedMilliseconds: Int64 { epochMilliseconds }

    init(storedMilliseconds: Int64) {
        self.init(epochMilliseconds: storedMilliseconds)
    }
}

extension FieldValue {
    /// The value as SQLite stores it: booleans as 0/1, dates as epoch milliseconds, JSON as text,
    /// refs as the target's id.
    var databaseValue: DatabaseValue {
        switch self {
        case .null, .refs: .null
        case .string(let value): value.databaseValue
        case .int(let value): Int64(value).databaseValue
        case .double(let value): value.databaseValue
        case .bool(let value): (value ? 1 as Int64 : 0).databaseValue
        case .date(let value): value.storedMilliseconds.databaseValue
        case .json(let value): value.jsonText.databaseValue
        case .ref(let ref): ref.id.databaseValue
        }
    }

    /// Reads a stored value back as a field of type `type`.
    init(stored value: DatabaseValue, as type: FieldType) {
        switch (value.storage, type) {
        case (.null, _): self = .null
        case (.string(let text), .string): self = .string(text)
        case (.int64(let number), .int): self = .int(Int(number))
        case (.double(let number), .int): self = .double(number)
        case (.double(let number), .double): self = .double(number)
        case (.int64(let number), .double): self = .double(Double(number))
        case (.int64(let number), .bool): self = .bool(number != 0)
        case (.int64(let number), .date): self = .date(Date(storedMilliseconds: number))
        case (.double(let number), .date): self = .date(Date(timeIntervalSince1970: number / 1000))
        case (.string(let text), .json): self = .json((try? JSONValue(parsing: text)) ?? .string(text))
        case (.string(let id), .ref(let target)): self = .ref(Ref(target, id))
        case (.string(let text), .collection(let target)):
            // A collection is selected as a JSON array of target ids.
            let ids = (try? JSONValue(parsing: text))?.arrayValue?.compactMap(\.stringValue) ?? []
            self = .refs(ids.map { Ref(target, $0) })
        // A value whose stored type does not match the declared one (a column written before a
        // schema change) is returned as what it is rather than dropped.
        case (.string(let text), _): self = .string(text)
        case (.int64(let number), _): self = .int(Int(number))
        case (.double(let number), _): self = .double(number)
        case (.blob(let data), _): self = .string(data.base64EncodedString())
        }
    }
}

extension DatabaseValue {
    /// The stored value as JSON, for cursors.
    var cursorKey: JSONValue {
        switch storage {
        case .null: .null
        case .int64(let number): .int(Int(number))
        case .double(let number): .double(number)
        case .string(let text): .string(text)
        case .blob(let data): .string(data.base64EncodedString())
        }
    }
}

extension FieldType {
    /// The column type an entity table declares for fields of this type.
    var columnType: String {
        switch self {
        case .string, .json, .ref, .collection: "TEXT"
        case .int, .bool, .date: "INTEGER"
        case .double: "REAL"
        }
    }
}
