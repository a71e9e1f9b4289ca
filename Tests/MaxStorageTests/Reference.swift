import Foundation
import MaxCore
import MaxQuery

/// A plain-Swift model of what the store should return, to check the SQL against.
enum Reference {
    /// The value SQLite holds for a field of an input (nil when not given).
    static func value(_ input: EntityInput, _ field: Field) -> FieldValue {
        if field.name == MetaField.id.rawValue { return .string(input.ref.id) }
        return input.fields[field.name] ?? .null
    }

    /// Whether `input` matches `filter`, with SQL's rule that a comparison with null is false.
    static func matches(_ input: EntityInput, _ filter: CheckedFilter) -> Bool {
        switch filter {
        case .and(let operands): return operands.allSatisfy { matches(input, $0) }
        case .or(let operands): return operands.contains { matches(input, $0) }
        case .not(let operand): return !matches(input, operand)
        case .follow:
            // The model holds one entity at a time; the filters checked against it never follow refs
            // (RefTraversalTests checks those against hand-written joins).
            preconditionFailure("the reference model does not follow refs")
        case .isNull(let field): return value(input, field) == .null
        case .isNotNull(let field): return value(input, field) != .null
        case .oneOf(let field, let values):
            return values.contains { compare(value(input, field), $0) == .orderedSame }
        case .compare(let field, let op, let target):
            let stored = value(input, field)
            if stored == .null { return false }
            if op == .contains {
                guard case .string(let needle) = target else { return false }
                return text(of: stored).lowercased().contains(needle.lowercased())
            }
            guard let order = compare(stored, target) else { return false }
            switch op {
            case .equal: return order == .orderedSame
            case .notEqual: return order != .orderedSame
            case .greater: return order == .orderedDescending
            case .greaterOrEqual: return order != .orderedAscending
            case .less: return order == .orderedAscending
            case .lessOrEqual: return order != .orderedDescending
            case .contains: return false
            }
        }
    }

    static func text(of value: FieldValue) -> String {
        switch value {
        case .string(let text): text
        case .json(let json): json.jsonText
        case .ref(let ref): ref.id
        default: ""
        }
    }

    /// SQLite's order: null first, numbers numerically, text by UTF-8 bytes.
    static func compare(_ lhs: FieldValue, _ rhs: FieldValue) -> ComparisonResult? {
        func number(_ value: FieldValue) -> Double? {
            switch value {
            case .int(let n): Double(n)
            case .double(let n): n
            case .bool(let b): b ? 1 : 0
            case .date(let d): Double(Int64((d.timeIntervalSince1970 * 1000).rounded()))
            default: nil
            }
        }
        switch (lhs, rhs) {
        case (.null, .null): return .orderedSame
        case (.null, _): return .orderedAscending
        case (_, .null): return .orderedDescending
        default: break
        }
        if let left = number(lhs), let right = number(rhs) {
            return left < right ? .orderedAscending : left > right ? .orderedDescending : .orderedSame
        }
        let left = Array(text(of: lhs).utf8)
        let right = Array(text(of: rhs).utf8)
        return left.lexicographicallyPrecedes(right)
            ? .orderedAscending : left == right ? .orderedSame : .orderedDescending
    }

    /// The ids of `inputs` matching `filter`, in `ordering`.
    static func ids(_ inputs: [EntityInput], filter: CheckedFilter?, ordering: CheckedOrdering) -> [String] {
        inputs.filter { input in filter.map { matches(input, $0) } ?? true }
            .sorted { a, b in
                for key in ordering.keys {
                    guard let order = compare(value(a, key.field), value(b, key.field)), order != .orderedSame else {
                        continue
                    }
                    return key.direction == .ascending ? order == .orderedAscending : order == .orderedDescending
                }
                return false
            }
            .map(\.ref.id)
    }
}
