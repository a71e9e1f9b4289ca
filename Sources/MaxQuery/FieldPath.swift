public import MaxCore

/// One step of a path through refs: a ref or collection field of an entity type, and the type it
/// leads to.
public struct Hop: Sendable, Hashable {
    /// The field followed: a ref (one target) or a collection (its members).
    public let field: Field
    /// The entity type it leads to.
    public let target: EntityDef

    /// A hop.
    public init(field: Field, target: EntityDef) {
        self.field = field
        self.target = target
    }

    /// Whether it leads to many (a collection's members) rather than one.
    public var isCollection: Bool {
        if case .collection = field.type { return true }
        return false
    }
}

/// A field reached through refs, such as `assignee.displayName` or `project.owner.email`: the
/// hops, then the field of the last type.
public struct FieldPath: Sendable, Hashable {
    /// The refs and collections followed, in order (at least one).
    public let hops: [Hop]
    /// The field read at the end.
    public let leaf: Field

    /// A path.
    public init(hops: [Hop], leaf: Field) {
        self.hops = hops
        self.leaf = leaf
    }

    /// The path as written: the names joined with dots.
    public var name: String { (hops.map(\.field.name) + [leaf.name]).joined(separator: ".") }

    /// A field named after the path, of the leaf's type: how results carry it.
    public var field: Field { Field(name, leaf.type, summary: leaf.summary) }
}

/// Resolves a dotted name against an entity type, following refs through a schema.
struct PathResolver {
    let entity: EntityDef
    let schema: Schema?

    /// A name's field, or its path through refs when it has dots.
    ///
    /// - Parameters:
    ///   - name: The name as written (`assignee.role`).
    ///   - column: The 1-based column it starts at, for errors (0 when unknown).
    ///   - fail: Makes the error for a segment: its code, message, hint and column.
    /// - Returns: The field, or the path.
    /// - Throws: what `fail` makes: `search.unknown_field` for a segment that names nothing, and
    ///   `search.type_mismatch` for a segment that cannot be followed.
    func resolve(
        _ name: String, column: Int, fail: (MaxError.Code, String, String?, Int) -> MaxError
    ) throws -> (field: Field, path: FieldPath?) {
        let segments = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var current = entity
        var hops: [Hop] = []
        var offset = column
        for (index, segment) in segments.enumerated() {
            let reached = hops.isEmpty ? "" : " (reached through '\(hops.map(\.field.name).joined(separator: "."))')"
            guard let field = current.queryableField(named: segment) else {
                let suggestion = current.queryableFieldNames.first { $0.lowercased() == segment.lowercased() }
                let hint =
                    suggestion.map { "did you mean '\($0)'? (field names are case-sensitive)" }
                    ?? "fields of \(current.name): \(current.queryableFieldNames.joined(separator: ", "))"
                throw fail(.unknownField, "\(current.name)\(reached) has no field '\(segment)'", hint, offset)
            }
            if index == segments.count - 1 {
                guard !hops.isEmpty else { return (field, nil) }
                let path = FieldPath(hops: hops, leaf: field)
                return (path.field, path)
            }
            let target: EntityType
            switch field.type {
            case .ref(let type), .collection(let type): target = type
            default:
                let followable = current.fields.filter {
                    if case .ref = $0.type { return true }
                    if case .collection = $0.type { return true }
                    return false
                }.map(\.name)
                throw fail(
                    .typeMismatch,
                    "'\(segment)' of \(current.name)\(reached) is a \(field.type.displayName) field and cannot be followed",
                    followable.isEmpty
                        ? "\(current.name) has no refs to follow"
                        : "refs and collections of \(current.name) can be followed: \(followable.joined(separator: ", "))",
                    offset)
            }
            guard let schema, let definition = schema.definition(of: target) else {
                throw fail(
                    .unknownField,
                    "'\(segment)' of \(current.name) leads to \(target.name), which this store does not hold",
                    nil, offset)
            }
            hops.append(Hop(field: field, target: definition))
            current = definition
            if offset > 0 { offset += segment.count + 1 }
        }
        throw fail(.unknownField, "'\(name)' names no field", nil, column)
    }
}
