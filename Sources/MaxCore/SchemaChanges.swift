/// How one schema differs from another, field by field: what a source whose entity types Max
/// discovers (a database) changed since the last sync.
public struct SchemaChanges: Sendable, Hashable {
    /// A field whose type changed.
    public struct Retyped: Sendable, Hashable {
        /// The entity type.
        public var type: EntityType
        /// The field.
        public var field: String
        /// Its type before.
        public var was: FieldType
        /// Its type now.
        public var now: FieldType
    }

    /// Entity types that are new.
    public var addedTypes: [EntityType] = []
    /// Entity types that are gone.
    public var removedTypes: [EntityType] = []
    /// Fields that are new.
    public var added: [Pair] = []
    /// Fields that are gone.
    public var removed: [Pair] = []
    /// Fields whose type changed.
    public var retyped: [Retyped] = []

    /// A field of an entity type.
    public struct Pair: Sendable, Hashable {
        /// The entity type.
        public var type: EntityType
        /// The field.
        public var field: String
    }

    /// What changed from `previous` to `current`.
    public init(from previous: Schema, to current: Schema) {
        for def in current.entities {
            guard let old = previous.definition(of: def.type) else {
                addedTypes.append(def.type)
                continue
            }
            for field in def.fields {
                guard let was = old.field(named: field.name) else {
                    added.append(Pair(type: def.type, field: field.name))
                    continue
                }
                if was.type != field.type {
                    retyped.append(Retyped(type: def.type, field: field.name, was: was.type, now: field.type))
                }
            }
            for field in old.fields where def.field(named: field.name) == nil {
                removed.append(Pair(type: def.type, field: field.name))
            }
        }
        removedTypes = previous.entities.map(\.type).filter { current.definition(of: $0) == nil }
    }

    /// Whether nothing changed.
    public var isEmpty: Bool {
        addedTypes.isEmpty && removedTypes.isEmpty && added.isEmpty && removed.isEmpty && retyped.isEmpty
    }

    /// One sentence per change, for a person: `orders: new field discount`.
    public var notes: [String] {
        var notes: [String] = []
        func list(_ pairs: [Pair], _ verb: String) {
            var byType: [EntityType: [String]] = [:]
            var order: [EntityType] = []
            for pair in pairs {
                if byType[pair.type] == nil { order.append(pair.type) }
                byType[pair.type, default: []].append(pair.field)
            }
            for type in order {
                let fields = byType[type] ?? []
                notes.append("\(type): \(verb) field\(fields.count == 1 ? "" : "s") \(fields.joined(separator: ", "))")
            }
        }
        if !addedTypes.isEmpty { notes.append("new entity types: " + addedTypes.map(\.name).joined(separator: ", ")) }
        if !removedTypes.isEmpty {
            notes.append(
                "entity types no longer at the source (kept as synced): "
                    + removedTypes.map(\.name).joined(separator: ", "))
        }
        list(added, "new")
        list(removed, "dropped")
        for change in retyped {
            notes.append("\(change.type).\(change.field): \(change.was.displayName) became \(change.now.displayName)")
        }
        return notes
    }
}
