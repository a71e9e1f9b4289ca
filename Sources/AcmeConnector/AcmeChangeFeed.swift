import MaxConnector
import MaxCore

/// Acme's change log (`GET /api/changes?since=N`) as a change feed.
///
/// The position is the log's last sequence number (`changelogSize` in `/api/stats`: the log is
/// append-only and numbered from 1). A create carries the whole entity and a task update its
/// changed fields (stored with the event's time as `updatedAt`), so those need no further request;
/// any other update (a file's carries nothing) is read back with a `GET`, eight at a time. Events
/// on one entity within a page are merged in order, and one deleted later in the page is just
/// deleted.
enum AcmeChangeFeed {
    static let pageSize = 1000

    struct Event {
        var sequence = 0
        var entityType = ""
        var entityId = ""
        var action = ""
        var payload: JSONReader?
        var timestamp = ""
    }

    struct Stats: Decodable {
        let changelogSize: Int
    }

    /// Acme's entity types by their name in the log, with the collection that holds each.
    static let types: [String: (type: EntityType, ownerType: EntityType, field: String, ownerField: String?)] = [
        "workspace": ("AcmeWorkspace", "AcmeRoot", "workspaces", nil),
        "user": ("AcmeUser", "AcmeWorkspace", "users", "workspace"),
        "project": ("AcmeProject", "AcmeWorkspace", "projects", "workspace"),
        "task": ("AcmeTask", "AcmeProject", "tasks", "project"),
        "file": ("AcmeFile", "AcmeProject", "files", "project"),
    ]

    static let feed = ChangeFeed<AcmeContext>(
        position: { context in
            let stats: Stats = try await context.client.get("/api/stats")
            return String(stats.changelogSize)
        },
        changes: { after, context in try await page(after: after, context) })

    static func page(after position: String, _ context: AcmeContext) async throws -> ChangePage {
        var events: [Event] = []
        var nextCursor: Int?
        try await context.client.read("/api/changes", query: [("since", position), ("limit", String(pageSize))]) {
            reader in
            try reader.forEachMember { reader, key in
                switch key {
                case "events": try reader.forEachElement { events.append(try event(&$0)) }
                case "nextCursor": nextCursor = try reader.consumeNull() ? nil : reader.int()
                default: try reader.skip()
                }
            }
        }
        // What each entity of the page ends as, in the order they were first seen.
        var order: [Ref] = []
        var deleted: Set<Ref> = []
        var inputs: [Ref: EntityInput] = [:]
        var stale: Set<Ref> = []
        var seen: Set<Ref> = []
        func apply(_ event: inout Event) throws {
            guard let known = types[event.entityType], let shape = shapes[known.type] else { return }
            let ref = Ref(known.type, event.entityId)
            if seen.insert(ref).inserted { order.append(ref) }
            switch event.action {
            case "delete":
                deleted.insert(ref)
                inputs[ref] = nil
                stale.remove(ref)
            case "create" where event.payload != nil:
                deleted.remove(ref)
                inputs[ref] = try event.read(shape, partial: false)
                stale.remove(ref)
            case "update" where event.payload != nil && known.type == "AcmeTask":
                var changed = try event.read(shape, partial: true)
                changed["updatedAt"] = ISO8601.parse(event.timestamp).map(FieldValue.date) ?? .null
                inputs[ref, default: EntityInput(ref)].merge(changed)
            default:
                deleted.remove(ref)
                stale.insert(ref)
            }
        }
        for var event in events {
            do {
                try apply(&event)
            } catch let failure as JSONReader.Failure {
                throw MaxError(
                    .httpInvalidResponse,
                    "GET /api/changes returned event \(event.sequence) with a payload that is not the expected JSON: \(failure.message) at byte \(failure.offset)",
                    context: ["sequence": String(event.sequence)])
            }
        }
        // Read back what the events do not carry; the entity as it is now supersedes them.
        for (ref, input) in try await load(order.filter(stale.contains), context) { inputs[ref] = input }
        var changes: [Change] = []
        for ref in order {
            if deleted.contains(ref) {
                changes.append(.delete(ref))
            } else if let input = inputs[ref] {
                changes.append(.upsert(input, memberships: membership(of: input, context).map { [$0] } ?? []))
            }  // gone since the event: a later page deletes it
        }
        let next = nextCursor ?? events.last?.sequence
        return ChangePage(changes: changes, position: next.map(String.init) ?? position, hasMore: nextCursor != nil)
    }

    /// The entity readers by type.
    private static let shapes: [EntityType: AcmeEntityShape] = [
        "AcmeWorkspace": .workspace, "AcmeUser": .user, "AcmeProject": .project, "AcmeTask": .task,
        "AcmeFile": .file,
    ]

    /// One event of `/api/changes`, its payload kept to read once its type and action are known.
    private static func event(_ reader: inout JSONReader) throws -> Event {
        var event = Event()
        try reader.forEachMember { reader, key in
            switch key {
            case "sequence": event.sequence = try reader.int()
            case "entityType": event.entityType = try reader.string()
            case "entityId": event.entityId = try reader.string()
            case "action": event.action = try reader.string()
            case "payload": event.payload = try reader.consumeNull() ? nil : reader.captureValue()
            case "timestamp": event.timestamp = try reader.string()
            default: try reader.skip()
            }
        }
        guard event.sequence > 0, !event.entityId.isEmpty, !event.action.isEmpty else {
            throw reader.failure("a change event without its sequence, entity or action")
        }
        return event
    }

    /// The collection that holds `input`: its owner is named by one of its ref fields, except a
    /// workspace's, which is the root (whose id is the workspace's); `nil` when `input` (an update's
    /// changed fields) does not carry the owner, which then did not change.
    static func membership(of input: EntityInput, _ context: AcmeContext) -> Change.Membership? {
        guard let known = types.values.first(where: { $0.type == input.ref.type }) else {
            return Change.Membership("AcmeRoot", "workspaces", owners: [])
        }
        guard let ownerField = known.ownerField else {
            return Change.Membership(known.ownerType, known.field, owners: [input.ref.id])
        }
        switch input[ownerField] {
        case .ref(let owner)?: return Change.Membership(known.ownerType, known.field, owners: [owner.id])
        case nil: return nil
        default: return Change.Membership(known.ownerType, known.field, owners: [])
        }
    }

    /// Reads the entities back, eight requests in flight at a time.
    static func load(_ refs: [Ref], _ context: AcmeContext) async throws -> [Ref: EntityInput] {
        let loaders: [EntityType: EntityLoader<AcmeContext>] = [
            "AcmeWorkspace": AcmeLoaders.workspace, "AcmeUser": AcmeLoaders.user, "AcmeProject": AcmeLoaders.project,
            "AcmeTask": AcmeLoaders.task, "AcmeFile": AcmeLoaders.file,
        ]
        return try await withThrowingTaskGroup(of: [EntityInput].self) { group in
            var results: [Ref: EntityInput] = [:]
            var inFlight = 0
            for ref in refs {
                guard let loader = loaders[ref.type] else { continue }
                if inFlight == 8 {
                    for input in try await group.next() ?? [] { results[input.ref] = input }
                    inFlight -= 1
                }
                group.addTask { try await loader.load([ref], context) }
                inFlight += 1
            }
            for try await inputs in group {
                for input in inputs { results[input.ref] = input }
            }
            return results
        }
    }
}

extension AcmeChangeFeed.Event {
    /// The payload read as an entity of `shape`.
    mutating func read(_ shape: AcmeEntityShape, partial: Bool) throws -> EntityInput {
        guard var reader = payload else { throw JSONReader.Failure(message: "the event has no payload", offset: 0) }
        let input = try shape.read(&reader, id: entityId, partial: partial)
        try reader.finish()
        return input
    }
}
