public import MaxCore

/// Which fields a search returns: `--fields title,status`, or `.props`, `.meta`, `.all`.
///
/// - `.props`: `_id`, then every declared field except collections (which can be long; name one to
///   get it as an array of ids). This is the default.
/// - `.meta`: `_id`, `_synced_at`, `_deleted_at`.
/// - `.all`: `_id`, every declared field including collections, then the other meta fields.
/// - A list of names: exactly those, in that order; groups can be mixed in (`title,.meta`).
public struct FieldSelection: Sendable, Hashable {
    /// One item of a selection.
    public enum Item: Sendable, Hashable {
        /// A field by name.
        case field(String)
        /// `.props`.
        case props
        /// `.meta`.
        case meta
        /// `.all`.
        case all
    }

    /// The items, in order.
    public var items: [Item]

    /// Creates a selection.
    public init(_ items: [Item]) {
        self.items = items
    }

    /// The default selection: `.props`.
    public static let props = FieldSelection([.props])
    /// Every field: `.all`.
    public static let all = FieldSelection([.all])

    /// Parses a comma-separated list of field names and groups.
    ///
    /// - Throws: `search.invalid_fields` for an empty item or an unknown group.
    public init(parsing text: String) throws {
        var items: [Item] = []
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = String(raw).trimmingWhitespace()
            switch name {
            case "":
                throw MaxError(
                    .invalidSelection, "'\(text)' has an empty field name",
                    hint: "separate field names with single commas: title,status", context: ["fields": text])
            case ".props": items.append(.props)
            case ".meta": items.append(.meta)
            case ".all": items.append(.all)
            case _ where name.hasPrefix("."):
                throw MaxError(
                    .invalidSelection, "unknown field group '\(name)'",
                    hint: "the groups are .props, .meta and .all", context: ["fields": text])
            default: items.append(.field(name))
            }
        }
        self.init(items)
    }

    /// Resolves the selection against `entity`: the fields to return, in order, without repeats.
    ///
    /// - Throws: `search.unknown_field`, listing the valid names.
    public func resolved(against entity: EntityDef) throws -> [Field] {
        try resolved(against: entity, in: nil).fields
    }

    /// Resolves the selection against `entity`, following refs through `schema` for a name with
    /// dots (`assignee.displayName`, `project.owner.email`): the fields to return, in order,
    /// without repeats, and the paths of those read through refs.
    ///
    /// A path follows refs only: a collection has many members, and a field holds one value.
    ///
    /// - Throws: `search.unknown_field`, listing the valid names and naming the hop that is wrong;
    ///   `search.type_mismatch` for a hop that is not a ref.
    public func resolved(against entity: EntityDef, in schema: Schema?) throws -> (
        fields: [Field], paths: [String: FieldPath]
    ) {
        var paths: [String: FieldPath] = [:]
        var fields: [Field] = []
        var seen: Set<String> = []
        func add(_ field: Field) {
            if seen.insert(field.name).inserted { fields.append(field) }
        }
        for item in items {
            switch item {
            case .props:
                add(MetaField.id.field)
                entity.rowFields.forEach(add)
            case .meta:
                MetaField.allCases.map(\.field).forEach(add)
            case .all:
                add(MetaField.id.field)
                entity.fields.forEach(add)
                MetaField.allCases.map(\.field).forEach(add)
            case .field(let name):
                let (field, path) = try PathResolver(entity: entity, schema: schema).resolve(name, column: 0) {
                    code, message, hint, _ in
                    MaxError(code, message, hint: hint, context: ["entityType": entity.name, "field": name])
                }
                if let path {
                    if let index = path.hops.firstIndex(where: \.isCollection) {
                        let collection = path.hops[...index].map(\.field.name).joined(separator: ".")
                        throw MaxError(
                            .typeMismatch,
                            "'\(path.hops[index].field.name)' in '\(name)' is a collection: a field cannot read its members' fields",
                            hint:
                                "filter on them instead (--filter '\(name) = …'), or select '\(collection)' for their ids",
                            context: ["entityType": entity.name, "field": name])
                    }
                    paths[path.name] = path
                }
                add(field)
            }
        }
        return (fields, paths)
    }
}
