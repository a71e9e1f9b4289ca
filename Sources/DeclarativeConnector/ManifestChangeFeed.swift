import Foundation
import MaxConnector
import MaxCore

/// How a manifest's incremental syncs read only what changed.
///
/// With a `changeLog`, the log's events after the last position: each changed record read again by
/// its stream's `get`, each deleted one a tombstone. Otherwise the streams, one page of changes
/// each, parents first:
/// - a stream with `incremental` is read for each of its parents with `{{since}}` set to the time
///   the last sync started, less the stream's `lookback` (a newest-first listing is read until its
///   first older record);
/// - a stream without one is read whole and whatever it no longer lists is deleted (`reconcile`),
///   as is an incremental stream that asks for it;
/// - a stream with `deletions: tombstone` deletes the records whose `deletedField` is set.
///
/// The position is JSON: `{"since": "<ISO-8601>"}` (or `{"log": "<position>"}`) between syncs,
/// plus the stream to read next and the new `since` while a sync is under way, so an interrupted one
/// resumes at the stream it was on.
enum ManifestChangeFeed {
    struct Position: Codable, Sendable {
        /// Changes after this time.
        var since: String?
        /// The change log's position.
        var log: String?
        /// The index of the next stream to read, during a sync.
        var stage: Int?
        /// What `since` becomes when the sync completes.
        var next: String?

        init(since: String? = nil, log: String? = nil, stage: Int? = nil, next: String? = nil) {
            self.since = since
            self.log = log
            self.stage = stage
            self.next = next
        }

        init(_ text: String) throws {
            do {
                self = try JSONDecoder().decode(Position.self, from: Data(text.utf8))
            } catch {
                throw MaxError(
                    .invalidConfig,
                    "the stored incremental position '\(text.prefix(80))' is not a manifest connector's",
                    hint: "run a full sync: max sync <installation> --full")
            }
        }

        var text: String { (try? String(decoding: JSONEncoder().encode(self), as: UTF8.self)) ?? "{}" }
    }

    static func feed(_ compiled: CompiledManifest) -> ChangeFeed<ManifestContext> {
        ChangeFeed(
            position: { context in
                if let log = compiled.manifest.changeLog {
                    let request = try context.requester.build(log.head, scope: ["config": context.config])
                    let answer = try context.requester.requireSuccess(try await context.requester.send(request))
                    let head = Template.text(of: answer.body.at(dotted: log.headPath))
                    guard !head.isEmpty else {
                        throw MaxError(
                            .manifestNoRecords,
                            "the change log's head is not at '\(log.headPath)' in the answer of \(answer.response.requestDescription)",
                            context: ["manifest": compiled.source])
                    }
                    return Position(log: head).text
                }
                return Position(since: ISO8601.format(Date())).text
            },
            changes: { after, context in
                let position = try Position(after)
                if compiled.manifest.changeLog != nil { return try await logPage(after: position, context) }
                return try await streamPage(after: position, context)
            })
    }

    /// The changes of one stream, and the position of the next.
    private static func streamPage(after position: Position, _ context: ManifestContext) async throws -> ChangePage {
        let compiled = context.compiled
        let read = compiled.manifest.streams.filter { $0.request != nil }
        let stage = position.stage ?? 0
        let next = position.next ?? ISO8601.format(Date())
        let since = position.since.flatMap(ISO8601.parse)
        guard stage < read.count else {
            return ChangePage(changes: [], position: Position(since: next).text, hasMore: false)
        }
        let stream = read[stage]
        var changes: [Change] = []
        let owner = stream.parent.flatMap { compiled.stream($0) }.map { EntityType($0.entity) } ?? compiled.rootType
        let reconcile = stream.deletions == "reconcile" || (stream.incremental == nil && stream.deletions == nil)
        var ids: [String] = []
        for parent in try await parentIDs(of: stream, context) {
            let page = try await context.all(of: stream, parent: parent, since: reconcile ? nil : since)
            for input in page.emitted { changes.append(.upsert(input, memberships: [])) }
            for input in page.inputs {
                ids.append(input.ref.id)
                changes.append(
                    .upsert(input, memberships: [Change.Membership(owner, stream.collectionField, owners: [parent])]))
            }
            changes += page.deleted.map(Change.delete)
        }
        if reconcile { changes.append(.exactly(EntityType(stream.entity), ids: ids)) }
        let done = stage + 1 >= read.count
        let after = done ? Position(since: next) : Position(since: position.since, stage: stage + 1, next: next)
        return ChangePage(changes: changes, position: after.text, hasMore: !done)
    }

    /// The ids of every record of `stream`'s parent (the root's id for a top-level stream).
    private static func parentIDs(of stream: StreamSpec, _ context: ManifestContext) async throws -> [String] {
        guard let name = stream.parent, let parent = context.compiled.stream(name) else { return [context.rootID] }
        var ids: [String] = []
        for grandparent in try await parentIDs(of: parent, context) {
            ids += try await context.all(of: parent, parent: grandparent).inputs.map(\.ref.id)
        }
        return ids
    }

    /// One page of the change log.
    private static func logPage(after position: Position, _ context: ManifestContext) async throws -> ChangePage {
        let compiled = context.compiled
        guard let log = compiled.manifest.changeLog, let start = position.log else {
            throw MaxError(
                .invalidConfig, "the stored incremental position has no change-log position",
                hint: "run a full sync: max sync <installation> --full")
        }
        let request = try context.requester.build(
            log.request, scope: ["config": context.config, "position": .string(start)])
        let answer = try context.requester.requireSuccess(try await context.requester.send(request))
        guard let events = answer.body.at(dotted: log.records)?.arrayValue else {
            throw context.located(
                MaxError(
                    .manifestNoRecords,
                    "the change log's events are not at '\(log.records)' in the answer of \(answer.response.requestDescription)"
                ),
                stream: "changeLog")
        }
        // What each entity ends as, in the order first seen.
        var order: [(stream: StreamSpec, id: String)] = []
        var deleted: Set<String> = []
        var seen: Set<String> = []
        var last = start
        for event in events {
            last = Template.text(of: event.at(dotted: log.positionPath))
            let kind = Template.text(of: event.at(dotted: log.typePath))
            guard let name = log.types[kind], let stream = compiled.stream(name) else { continue }
            let id = Template.text(of: event.at(dotted: log.idPath))
            guard !id.isEmpty else { continue }
            let key = stream.entity + "\u{0}" + id
            if seen.insert(key).inserted { order.append((stream, id)) }
            if log.deleteActions.contains(Template.text(of: event.at(dotted: log.actionPath))) {
                deleted.insert(key)
            } else {
                deleted.remove(key)
            }
        }
        var changes: [Change] = []
        for (stream, id) in order {
            let ref = Ref(EntityType(stream.entity), id)
            if deleted.contains(stream.entity + "\u{0}" + id) {
                changes.append(.delete(ref))
                continue
            }
            guard let input = try await get(stream, id: id, context) else {
                changes.append(.delete(ref))  // gone since the event
                continue
            }
            changes.append(.upsert(input, memberships: [membership(of: input, stream, context)]))
        }
        let nextText = Template.text(of: answer.body.at(dotted: log.nextPath))
        let hasMore = !nextText.isEmpty
        return ChangePage(changes: changes, position: Position(log: hasMore ? nextText : last).text, hasMore: hasMore)
    }

    /// The collection that holds a changed record: its parent's (by `parentField`), or the root's.
    private static func membership(of input: EntityInput, _ stream: StreamSpec, _ context: ManifestContext)
        -> Change.Membership
    {
        let compiled = context.compiled
        guard let parentName = stream.parent, let parent = compiled.stream(parentName) else {
            return Change.Membership(compiled.rootType, stream.collectionField, owners: [context.rootID])
        }
        let owner: String? =
            if let field = stream.parentField, case .ref(let ref)? = input[field] { ref.id } else { nil }
        return Change.Membership(EntityType(parent.entity), stream.collectionField, owners: owner.map { [$0] } ?? [])
    }

    /// One record read by its stream's `get`; `nil` when the source no longer has it (404), or it is
    /// one the stream's filters leave out.
    private static func get(_ stream: StreamSpec, id: String, _ context: ManifestContext) async throws -> EntityInput? {
        guard let spec = stream.get else { return nil }
        do {
            let request = try context.requester.build(spec, scope: ["config": context.config, "id": .string(id)])
            let answer = try await context.requester.send(request)
            if answer.status == 404 { return nil }
            _ = try context.requester.requireSuccess(answer)
            let record = answer.body.at(dotted: stream.records) ?? answer.body
            guard context.isNamed(record, stream) else { return nil }
            let mapper = context.mappers[stream.name] ?? RecordMapper(stream, compiled: context.compiled)
            return try mapper.input(record, parent: nil, config: context.config)
        } catch let error as MaxError {
            throw context.located(error, stream: stream.name)
        }
    }
}
