public import MaxCore

/// The order results come in: one or more fields, each ascending or descending.
///
/// Parsed from `--order-by f[:asc|desc][,g[:asc|desc]]…`. Whatever the keys, `_id` is always the
/// last tie-breaker (see ``CheckedOrdering``), so every row has one position and cursors are exact.
public struct Ordering: Sendable, Hashable {
    /// A direction.
    public enum Direction: String, Sendable, Hashable, Codable {
        /// Smallest first; nulls come first.
        case ascending = "asc"
        /// Largest first; nulls come last.
        case descending = "desc"
    }

    /// One key.
    public struct Key: Sendable, Hashable {
        /// The field to order by.
        public var field: String
        /// The direction.
        public var direction: Direction

        /// Creates a key.
        public init(_ field: String, _ direction: Direction = .ascending) {
            self.field = field
            self.direction = direction
        }
    }

    /// The keys, most significant first.
    public var keys: [Key]

    /// Creates an ordering.
    public init(_ keys: [Key] = []) {
        self.keys = keys
    }

    /// The default: by `_id`.
    public static let byID = Ordering()

    /// Parses `f[:asc|desc][,g[:asc|desc]]…`.
    ///
    /// - Throws: `search.invalid_order` for an empty key or an unknown direction.
    public init(parsing text: String) throws {
        var keys: [Key] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false).map {
                String($0).trimmingWhitespace()
            }
            guard let field = pieces.first, !field.isEmpty, pieces.count <= 2 else {
                throw MaxError(
                    .invalidOrder, "'\(text)' is not a valid ordering",
                    hint: "write field[:asc|desc], separated by commas: status,updatedAt:desc",
                    context: ["orderBy": text])
            }
            var direction = Direction.ascending
            if pieces.count == 2 {
                guard let parsed = Direction(rawValue: pieces[1].lowercased()) else {
                    throw MaxError(
                        .invalidOrder, "unknown direction '\(pieces[1])' for '\(field)'",
                        hint: "use asc or desc, as in \(field):desc", context: ["orderBy": text])
                }
                direction = parsed
            }
            keys.append(Key(field, direction))
        }
        self.init(keys)
    }

    /// The ordering as `--order-by` writes it: `status:asc,updatedAt:desc`.
    public var text: String {
        keys.map { "\($0.field):\($0.direction.rawValue)" }.joined(separator: ",")
    }

    /// Resolves the keys against `entity` and appends the `_id` tie-breaker.
    ///
    /// The tie-breaker takes the direction of the last key, so an index on the ordered field can
    /// serve the whole ordering.
    ///
    /// - Throws: `search.unknown_field`, or `search.invalid_order` for a JSON or collection field or
    ///   a field named twice.
    public func checked(against entity: EntityDef) throws -> CheckedOrdering {
        var resolved: [CheckedOrdering.Key] = []
        var seen: Set<String> = []
        for key in keys {
            guard let field = entity.queryableField(named: key.field) else {
                throw MaxError(
                    .unknownField, "\(entity.name) has no field '\(key.field)' to order by",
                    hint: "fields of \(entity.name): \(entity.queryableFieldNames.joined(separator: ", "))",
                    context: ["entityType": entity.name, "field": key.field])
            }
            switch field.type {
            case .json, .collection:
                throw MaxError(
                    .invalidOrder, "cannot order by '\(key.field)', a \(field.type.displayName) field",
                    hint: "order by a string, number, Boolean, date or ref field",
                    context: ["entityType": entity.name, "field": key.field])
            default:
                break
            }
            guard seen.insert(field.name).inserted else {
                throw MaxError(
                    .invalidOrder, "'\(key.field)' appears twice in the ordering",
                    context: ["entityType": entity.name, "field": key.field])
            }
            resolved.append(CheckedOrdering.Key(field: field, direction: key.direction))
            if field.name == MetaField.id.rawValue { break }  // _id is unique: later keys never matter
        }
        if resolved.last?.field.name != MetaField.id.rawValue {
            let direction = resolved.last?.direction ?? .ascending
            resolved.append(CheckedOrdering.Key(field: MetaField.id.field, direction: direction))
        }
        return CheckedOrdering(keys: resolved)
    }
}

/// An ordering resolved against an entity type, ending with `_id`: a total order.
public struct CheckedOrdering: Sendable, Hashable {
    /// One resolved key.
    public struct Key: Sendable, Hashable {
        /// The field.
        public let field: Field
        /// The direction.
        public let direction: Ordering.Direction
    }

    /// The keys, most significant first; the last is always `_id`.
    public let keys: [Key]

    /// A short fingerprint of the ordering, stored in cursors so a cursor is never applied to a
    /// different ordering than the one it came from.
    public var signature: String {
        keys.map { "\($0.field.name):\($0.direction.rawValue)" }.joined(separator: ",")
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
