public import MaxCore
import MaxQuery

/// One page of a search: the same object from `max search -o json`, `GET …/search`, `max_search`
/// and a remote node.
///
/// On the wire: `type`, `fields` (the fields each record carries, in order), `data` (the records,
/// null fields left out), `hasMore`, and `cursor` (for the next page; `null` on the last).
public struct SearchPage: Codable, Sendable, Hashable {
    /// The entity type.
    public var entityType: String
    /// The fields each record carries, in order.
    public var fields: [String]
    /// The records.
    public var records: [EntityRecord]
    /// Whether more follow.
    public var hasMore: Bool
    /// The cursor for the next page, if more follow.
    public var cursor: String?

    /// The largest page a search returns.
    public static let maximumLimit = Query.maximumLimit

    /// A page.
    public init(entityType: String, fields: [String], records: [EntityRecord], hasMore: Bool, cursor: String?) {
        self.entityType = entityType
        self.fields = fields
        self.records = records
        self.hasMore = hasMore
        self.cursor = cursor
    }

    private enum CodingKeys: String, CodingKey {
        case type, fields, data, hasMore, cursor
    }

    /// Reads a page; `type`, `fields`, `data` (objects) and `hasMore` are required.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        entityType = try container.decode(String.self, forKey: .type)
        fields = try container.decode([String].self, forKey: .fields)
        hasMore = try container.decode(Bool.self, forKey: .hasMore)
        cursor = try container.decodeIfPresent(String.self, forKey: .cursor)
        let data = try container.decode([[String: JSONValue]].self, forKey: .data)
        let type = EntityType(entityType)
        let fields = fields
        records = data.map { item in
            EntityRecord(
                ref: Ref(type, item["_id"]?.stringValue ?? ""),
                values: fields.map { name in (name, FieldValue(json: item[name] ?? .null)) })
        }
    }

    /// Writes the page, each record as an object of its non-null fields.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(entityType, forKey: .type)
        try container.encode(fields, forKey: .fields)
        try container.encode(records.map(\.jsonObject), forKey: .data)
        try container.encode(hasMore, forKey: .hasMore)
        try container.encode(cursor.map(JSONValue.string) ?? .null, forKey: .cursor)
    }
}

extension FieldValue {
    /// A value as a node sent it: strings, numbers and booleans as themselves, arrays and objects
    /// as JSON (dates and refs arrive as strings and print the same).
    init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .string(let value): self = .string(value)
        case .int(let value): self = .int(value)
        case .double(let value): self = .double(value)
        case .bool(let value): self = .bool(value)
        case .array, .object: self = .json(json)
        }
    }
}
