/// One field of an entity type: a name, a type, and whether storage should index it.
///
/// Build fields with the static factories, which read like the schema they declare:
///
/// ```swift
/// let task = EntityDef("AcmeTask", fields: [
///     .string("title"),
///     .string("status", indexed: true),
///     .ref("assignee", to: "AcmeUser"),
///     .date("dueDate"),
/// ])
/// ```
public struct Field: Sendable, Hashable, Codable {
    /// The field's name: a letter, then letters, digits or underscores; not starting with `_`.
    public let name: String
    /// The field's type.
    public let type: FieldType
    /// Whether storage keeps an index on this field (refs are always indexed).
    public let isIndexed: Bool
    /// A short description for `max schema` and agents.
    public let summary: String?
    /// For a collection, the ref field of its members that names their owner (`project` of
    /// `AcmeTask`, for `AcmeProject.tasks`): the members are the live entities whose ref is the
    /// owner, read through that ref's index, and no link is stored for them.
    public let inverse: String?

    /// Creates a field.
    public init(
        _ name: String, _ type: FieldType, indexed: Bool = false, summary: String? = nil, inverse: String? = nil
    ) {
        self.name = name
        self.type = type
        self.isIndexed = indexed
        self.summary = summary
        self.inverse = inverse
    }

    /// A text field.
    public static func string(_ name: String, indexed: Bool = false, summary: String? = nil) -> Field {
        Field(name, .string, indexed: indexed, summary: summary)
    }

    /// An integer field.
    public static func int(_ name: String, indexed: Bool = false, summary: String? = nil) -> Field {
        Field(name, .int, indexed: indexed, summary: summary)
    }

    /// A floating-point field.
    public static func double(_ name: String, indexed: Bool = false, summary: String? = nil) -> Field {
        Field(name, .double, indexed: indexed, summary: summary)
    }

    /// A Boolean field.
    public static func bool(_ name: String, indexed: Bool = false, summary: String? = nil) -> Field {
        Field(name, .bool, indexed: indexed, summary: summary)
    }

    /// A date field.
    public static func date(_ name: String, indexed: Bool = false, summary: String? = nil) -> Field {
        Field(name, .date, indexed: indexed, summary: summary)
    }

    /// A JSON field.
    public static func json(_ name: String, summary: String? = nil) -> Field {
        Field(name, .json, summary: summary)
    }

    /// A reference to one entity of type `target`.
    ///
    /// Always indexed.
    public static func ref(_ name: String, to target: EntityType, summary: String? = nil) -> Field {
        Field(name, .ref(target), indexed: true, summary: summary)
    }

    /// A collection of references to entities of type `target`.
    ///
    /// Give `inverse`, the ref field of `target` that names the owner, when every member has it
    /// (a project's tasks are the tasks whose `project` is the project): the store reads the
    /// collection from it instead of keeping links, which a sync writes for every member.
    public static func collection(
        _ name: String, of target: EntityType, inverse: String? = nil, summary: String? = nil
    ) -> Field {
        Field(name, .collection(target), summary: summary, inverse: inverse)
    }
}
