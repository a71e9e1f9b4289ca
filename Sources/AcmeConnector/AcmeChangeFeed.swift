import MaxConnector
import MaxCore

/// Acme's change log (`GET /api/changes?since=N`) as a change feed.
///
/// The position is the log's last sequence number (`changelogSize` in `/api/stats`: the log is
/// append-only and numbered from 1). A page's creates and updates are read back with one `GET` per
/// changed entity (an update event carries only some fields, and no `updatedAt`), several at a time;
/// an entity changed several times in a page is read once, and one deleted later in the page is
/// just deleted.
enum AcmeChangeFeed {
    static let pageSize = 500

    struct Event: Decodable {
        let sequence: Int
        let entityType: String
        let entityId: String
        let action: String
    }

    struct Page: Decodable {
        let events: [Event]
        let nextCursor: Int?
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
        let page: Page = try await context.client.get(
            "/api/changes", query: [("since", position), ("limit", String(pageSize))])
        // The last action on each entity of the page, in the order they were first seen.
        var order: [Ref] = []
        var deleted: Set<Ref> = []
        for event in page.events {
            guard let known = types[event.entityType] else { continue }
            let ref = Ref(known.type, event.entityId)
            if !order.contains(ref) { order.append(ref) }
            if event.action == "delete" { deleted.insert(ref) } else { deleted.remove(ref) }
        }
        let loaded = try await load(order.filter { !deleted.contains($0) }, context)
        var changes: [Change] = []
        for ref in order {
            if deleted.contains(ref) {
                changes.append(.delete(ref))
            } else if let input = loaded[ref] {
                changes.append(.upsert(input, memberships: [membership(of: input, context)]))
            }  // gone since the event: a later page deletes it
        }
        let next = page.nextCursor ?? page.events.last?.sequence
        return ChangePage(
            changes: changes, position: next.map(String.init) ?? position, hasMore: page.nextCursor != nil)
    }

    /// The collection that holds `input`: its owner is named by one of its ref fields, except a
    /// workspace's, which is the root (whose id is the workspace's).
    static func membership(of input: EntityInput, _ context: AcmeContext) -> Change.Membership {
        guard let known = types.values.first(where: { $0.type == input.ref.type }) else {
            return Change.Membership("AcmeRoot", "workspaces", owners: [])
        }
        guard let ownerField = known.ownerField else {
            return Change.Membership(known.ownerType, known.field, owners: [input.ref.id])
        }
        guard case .ref(let owner)? = input.fields[ownerField] else {
            return Change.Membership(known.ownerType, known.field, owners: [])
        }
        return Change.Membership(known.ownerType, known.field, owners: [owner.id])
    }

    /// Reads the entities back, eight at a time.
    static func load(_ refs: [Ref], _ context: AcmeContext) async throws -> [Ref: EntityInput] {
        let loaders: [EntityType: EntityLoader<AcmeContext>] = [
            "AcmeWorkspace": AcmeLoaders.workspace, "AcmeUser": AcmeLoaders.user, "AcmeProject": AcmeLoaders.project,
            "AcmeTask": AcmeLoaders.task, "AcmeFile": AcmeLoaders.file,
        ]
        var results: [Ref: EntityInput] = [:]
        var start = 0
        while start < refs.count {
            let chunk = refs[start..<min(start + 8, refs.count)]
            try await withThrowingTaskGroup(of: [EntityInput].self) { group in
                for ref in chunk {
                    guard let loader = loaders[ref.type] else { continue }
                    group.addTask { try await loader.load([ref], context) }
                }
                for try await inputs in group {
                    for input in inputs { results[input.ref] = input }
                }
            }
            start += 8
        }
        return results
    }
}
