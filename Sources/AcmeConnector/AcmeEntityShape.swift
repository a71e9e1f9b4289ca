import MaxConnector
import MaxCore

/// How one Acme JSON object becomes an entity input: which API key feeds which field, as what.
///
/// Pages are read with ``JSONReader`` straight into inputs (no `Decodable` types in between):
/// a sync reads every object of every page. Keys the shape does not name are skipped, so the API
/// may add some; a key it names that is missing, or a value of the wrong kind, fails the page.
struct AcmeEntityShape: Sendable {
    /// How a value is read and stored.
    enum Kind: Sendable {
        /// A string.
        case string
        /// A Boolean.
        case bool
        /// An integer.
        case int
        /// An ISO-8601 timestamp; text that is not one is stored as null rather than failing the page.
        case date
        /// An id, stored as a ref to an entity of the given type.
        case ref(EntityType)
        /// Any JSON value, kept as it is.
        case json
    }

    /// One API key.
    struct Member: Sendable {
        /// The field it is stored in.
        let field: String
        /// How it is read.
        let kind: Kind
        /// Whether `null` is accepted (stored as null).
        let nullable: Bool
    }

    /// The entity type.
    let type: EntityType
    /// The API keys in the order the API writes them (sorted), with how each is stored.
    let members: [(key: String, member: Member)]

    /// Creates a shape from `(key, field, kind, nullable)` rows (fewer than 64).
    init(_ type: EntityType, _ rows: [(key: String, field: String, kind: Kind, nullable: Bool)]) {
        self.type = type
        members = rows.sorted { $0.key < $1.key }.map {
            ($0.key, Member(field: $0.field, kind: $0.kind, nullable: $0.nullable))
        }
    }

    /// The member for `key`, looked for first after the previous key's: the API writes every
    /// object's keys in the same (sorted) order, so this is one string comparison instead of a hash.
    private func member(_ key: String, after previous: inout Int) -> Member? {
        for offset in 0..<members.count {
            let index = (previous + 1 + offset) % members.count
            if members[index].key == key {
                previous = index
                return members[index].member
            }
        }
        return nil
    }

    /// Reads one object (the reader at its `{`) into an input.
    ///
    /// - Throws: `JSONReader.Failure` when it is not an object of this shape.
    func read(_ reader: inout JSONReader) throws -> EntityInput {
        try read(&reader, id: nil, partial: false)
    }

    /// Reads one object into an input.
    ///
    /// - Parameters:
    ///   - reader: At the object's `{`.
    ///   - knownID: The entity's id when the object need not carry it (a change event's payload).
    ///   - partial: Accept an object with only some of the keys (an update's changed fields).
    /// - Returns: The input, with the fields the object carries.
    /// - Throws: `JSONReader.Failure` when it is not an object of this shape.
    func read(_ reader: inout JSONReader, id knownID: String?, partial: Bool) throws -> EntityInput {
        var id = knownID
        var values: [(name: String, value: FieldValue)] = []
        values.reserveCapacity(members.count)
        var seen: UInt64 = 0  // which members were read, by position (a shape has fewer than 64)
        var previous = -1
        try reader.forEachMember { reader, key in
            if key == "id" {
                id = try reader.string()
                return
            }
            guard let member = member(key, after: &previous) else { return try reader.skip() }
            guard seen & (1 << previous) == 0 else { throw reader.failure("\(type) repeats the key '\(key)'") }
            seen |= 1 << previous
            if try member.nullable && reader.consumeNull() {
                values.append((member.field, .null))
                return
            }
            let value: FieldValue =
                switch member.kind {
                case .string: .string(try reader.string())
                case .bool: .bool(try reader.bool())
                case .int: .int(try reader.int())
                case .date: ISO8601.parse(try reader.string()).map(FieldValue.date) ?? .null
                case .ref(let target): .ref(Ref(target, try reader.string()))
                case .json: .json(try reader.value())
                }
            values.append((member.field, value))
        }
        guard let id else { throw reader.failure("a \(type) without an id") }
        guard partial || values.count == members.count else {
            let missing = members.indices.filter { seen & (1 << $0) == 0 }.map { "'\(members[$0].key)'" }
            throw reader.failure("\(type) \(id) lacks \(missing.joined(separator: ", "))")
        }
        return EntityInput(Ref(type, id), values: values)
    }
}

extension AcmeEntityShape {
    /// `GET /api/workspaces/:id`.
    static let workspace = AcmeEntityShape(
        "AcmeWorkspace",
        [
            ("name", "name", .string, false), ("createdAt", "createdAt", .date, false),
            ("updatedAt", "updatedAt", .date, false),
        ])

    /// `GET /api/users`.
    static let user = AcmeEntityShape(
        "AcmeUser",
        [
            ("workspaceId", "workspace", .ref("AcmeWorkspace"), false), ("email", "email", .string, false),
            ("displayName", "displayName", .string, false), ("role", "role", .string, false),
            ("active", "active", .bool, false), ("createdAt", "createdAt", .date, false),
            ("updatedAt", "updatedAt", .date, false),
        ])

    /// `GET /api/projects`.
    static let project = AcmeEntityShape(
        "AcmeProject",
        [
            ("workspaceId", "workspace", .ref("AcmeWorkspace"), false), ("name", "name", .string, false),
            ("description", "description", .string, true), ("status", "status", .string, false),
            ("ownerId", "owner", .ref("AcmeUser"), false), ("createdAt", "createdAt", .date, false),
            ("updatedAt", "updatedAt", .date, false),
        ])

    /// `GET /api/tasks`.
    static let task = AcmeEntityShape(
        "AcmeTask",
        [
            ("projectId", "project", .ref("AcmeProject"), false), ("title", "title", .string, false),
            ("description", "description", .string, true), ("status", "status", .string, false),
            ("priority", "priority", .string, false), ("assigneeId", "assignee", .ref("AcmeUser"), true),
            ("createdById", "createdBy", .ref("AcmeUser"), false),
            ("lastModifiedById", "lastModifiedBy", .ref("AcmeUser"), false), ("dueDate", "dueDate", .date, true),
            ("tags", "tags", .json, false), ("completedAt", "completedAt", .date, true),
            ("createdAt", "createdAt", .date, false), ("updatedAt", "updatedAt", .date, false),
        ])

    /// `GET /api/files`.
    static let file = AcmeEntityShape(
        "AcmeFile",
        [
            ("projectId", "project", .ref("AcmeProject"), false), ("name", "name", .string, false),
            ("mimeType", "mimeType", .string, false), ("sizeBytes", "sizeBytes", .int, false),
            ("createdById", "createdBy", .ref("AcmeUser"), false),
            ("lastModifiedById", "lastModifiedBy", .ref("AcmeUser"), false), ("createdAt", "createdAt", .date, false),
            ("updatedAt", "updatedAt", .date, false),
        ])
}
