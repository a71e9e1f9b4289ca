import Foundation
import MaxCore
import MaxQuery
import PostgresNIO

/// Turns rows of a compiled query into records and cursors, reading each column as its field's
/// type; cursor keys are what SQLite's store writes for the same row (booleans as 0 and 1).
struct PostgresRecordReader: Sendable {
    let query: CheckedQuery

    func record(from row: PostgresRow) throws -> EntityRecord {
        let cells = row.makeRandomAccess()
        var values: [(name: String, value: FieldValue)] = []
        values.reserveCapacity(query.fields.count)
        for (index, field) in query.fields.enumerated() {
            values.append((field.name, try Self.value(cells[index], as: field.type)))
        }
        let id = try cells[query.fields.count + query.ordering.keys.count - 1].decode(String.self)
        return EntityRecord(ref: Ref(query.entity.type, id), values: values)
    }

    func cursor(after row: PostgresRow) throws -> QueryCursor {
        let cells = row.makeRandomAccess()
        let start = query.fields.count
        let keys = try query.ordering.keys.enumerated().map { offset, key in
            try Self.cursorKey(cells[start + offset], as: key.field.type)
        }
        return QueryCursor(signature: query.ordering.signature, keys: keys)
    }

    static func value(_ cell: PostgresCell, as type: FieldType) throws -> FieldValue {
        switch type {
        case .string: try cell.decode(String?.self).map(FieldValue.string) ?? .null
        case .int: try cell.decode(Int64?.self).map { .int(Int($0)) } ?? .null
        case .double: try cell.decode(Double?.self).map(FieldValue.double) ?? .null
        case .bool: try cell.decode(Bool?.self).map(FieldValue.bool) ?? .null
        case .date:
            try cell.decode(Int64?.self).map { .date(Date(epochMilliseconds: $0)) } ?? .null
        case .json: try cell.decode(String?.self).map { .json((try? JSONValue(parsing: $0)) ?? .string($0)) } ?? .null
        case .ref(let target): try cell.decode(String?.self).map { .ref(Ref(target, $0)) } ?? .null
        case .collection(let target):
            try cell.decode(String?.self).map { text in
                let ids = (try? JSONValue(parsing: text))?.arrayValue?.compactMap(\.stringValue) ?? []
                return .refs(ids.map { Ref(target, $0) })
            } ?? .null
        }
    }

    static func cursorKey(_ cell: PostgresCell, as type: FieldType) throws -> JSONValue {
        switch type {
        case .int, .date: try cell.decode(Int64?.self).map { .int(Int($0)) } ?? .null
        case .double: try cell.decode(Double?.self).map(JSONValue.double) ?? .null
        case .bool: try cell.decode(Bool?.self).map { .int($0 ? 1 : 0) } ?? .null
        case .string, .json, .ref, .collection: try cell.decode(String?.self).map(JSONValue.string) ?? .null
        }
    }
}
