/// The name of an entity type, such as `AcmeTask`.
///
/// Entity type names are identifiers: a letter, then letters, digits or underscores. ``Schema``
/// checks this, because the name becomes a table name in storage.
public struct EntityType: Sendable, Hashable, Codable, Comparable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    /// The name.
    public let name: String

    /// Creates an entity type name.
    public init(_ name: String) {
        self.name = name
    }

    /// Creates an entity type name from a literal.
    public init(stringLiteral value: String) {
        self.name = value
    }

    /// Decodes the bare name.
    public init(from decoder: any Decoder) throws {
        self.name = try decoder.singleValueContainer().decode(String.self)
    }

    /// Encodes the bare name.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }

    /// The name.
    public var description: String { name }

    /// Orders by name.
    public static func < (lhs: EntityType, rhs: EntityType) -> Bool { lhs.name < rhs.name }
}
