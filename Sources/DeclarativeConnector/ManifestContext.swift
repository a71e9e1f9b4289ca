import Foundation
import MaxConnector
public import MaxCore

/// What a manifest connector's loaders work with: the checked manifest, the installation's config,
/// and a requester signed with its credentials.
public struct ManifestContext: Sendable {
    /// The manifest.
    public let compiled: CompiledManifest
    /// The installation's config.
    public let config: JSONValue
    /// The root's id.
    public let rootID: String
    let requester: ManifestRequester
    let mappers: [String: RecordMapper]

    init(compiled: CompiledManifest, config: JSONValue, credentials: any CredentialStore, http: ConnectorHTTPClient) {
        self.compiled = compiled
        self.config = config
        self.requester = ManifestRequester(compiled: compiled, config: config, credentials: credentials, http: http)
        let id = compiled.manifest.root?.id.map { compiled.template($0).render(["config": config]) } ?? "root"
        self.rootID = id.isEmpty ? "root" : id
        var mappers: [String: RecordMapper] = [:]
        for stream in compiled.manifest.streams { mappers[stream.name] = RecordMapper(stream, compiled: compiled) }
        self.mappers = mappers
    }

    /// One page of a stream.
    struct StreamPage: Sendable {
        /// The stream's records as inputs.
        var inputs: [EntityInput] = []
        /// Entities other streams' fields read from inside the records (an issue's author).
        var emitted: [EntityInput] = []
        /// Records the source marks deleted (`deletions: tombstone`).
        var deleted: [Ref] = []
        /// Where the next page starts; `nil` on the last.
        var next: PagePosition?
    }

    /// Reads one page of `stream` for the parent with id `parent`.
    ///
    /// - Parameters:
    ///   - stream: The stream.
    ///   - parent: The parent's id (the root's for a top-level stream).
    ///   - position: Where the page starts; the first page's position when `nil`.
    ///   - pageSize: Records asked for (`{{page.size}}`).
    ///   - since: The incremental position: sent as `{{since}}`, or for a newest-first listing, where
    ///     reading stops.
    /// - Returns: The page's entities and where the next page starts.
    /// - Throws: a `MaxError` naming the stream and the manifest: `manifest.no_records` when the
    ///   records are not where the manifest says, `manifest.pagination_loop`, `http.*`.
    func page(of stream: StreamSpec, parent: String, at position: PagePosition?, pageSize: Int, since: Date? = nil)
        async throws -> StreamPage
    {
        do {
            return try await readPage(of: stream, parent: parent, at: position, pageSize: pageSize, since: since)
        } catch let error as MaxError {
            throw located(error, stream: stream.name)
        }
    }

    /// `error` with the stream and the manifest named.
    func located(_ error: MaxError, stream: String) -> MaxError {
        guard error.context["manifest"] == nil else { return error }
        var error = error
        error.message =
            "stream '\(stream)' of the \(compiled.manifest.name) manifest (\(compiled.source)): " + error.message
        error.context["stream"] = stream
        error.context["manifest"] = compiled.source
        return error
    }

    private func readPage(
        of stream: StreamSpec, parent: String, at position: PagePosition?, pageSize: Int, since: Date?
    ) async throws -> StreamPage {
        guard let request = stream.request else { return StreamPage() }
        let paginator = Paginator(stream.pagination, pageSize: pageSize)
        let position = position ?? paginator.first
        let lookback = TimeInterval(stream.incremental?.lookback ?? 0)
        let sinceText = since.map { ISO8601.format($0.addingTimeInterval(-lookback)) }
        let scope: JSONValue = [
            "config": config, "parent": ["id": .string(parent)], "page": paginator.scope(position),
            "since": sinceText.map(JSONValue.string) ?? .null,
        ]
        let extras = paginator.extras(position)
        let built = try requester.build(
            request, scope: scope, url: extras.url, query: extras.query, variables: extras.variables)
        let answer = try requester.requireSuccess(try await requester.send(built))
        guard let found = answer.body.at(dotted: stream.records), !found.isNull else {
            throw MaxError(
                .manifestNoRecords,
                "the records path '\(stream.records ?? "")' matches nothing in the answer of \(answer.response.requestDescription) (its keys: \(RecordMapper.keys(answer.body)))",
                hint: "fix the stream's 'records' path in the manifest", context: ["status": String(answer.status)])
        }
        var records = found.arrayValue ?? [found]
        let count = records.count
        var page = StreamPage()
        var reachedOlder = false
        if let since, stream.incremental?.order == "descending", let field = stream.incremental?.cursorField {
            let cutoff = since.addingTimeInterval(-lookback)
            if let index = records.firstIndex(where: { record in
                guard let text = record.at(dotted: field)?.stringValue, let date = ISO8601.parse(text) else {
                    return false
                }
                return date < cutoff
            }) {
                records = Array(records[..<index])
                reachedOlder = true
            }
        }
        let mapper = mappers[stream.name] ?? RecordMapper(stream, compiled: compiled)
        var emittedSeen: Set<Ref> = []
        for record in records where keep(record, stream) {
            if stream.deletions == "tombstone", let field = stream.deletedField,
                let value = record.at(dotted: field), !value.isNull
            {
                page.deleted.append(Ref(mapper.type, try mapper.id(of: record, parent: parent, config: config)))
                continue
            }
            page.inputs.append(try mapper.input(record, parent: parent, config: config))
            for emit in stream.emits ?? [] {
                guard let value = record.at(dotted: emit.path), !value.isNull,
                    let emitter = mappers[emit.stream]
                else { continue }
                for object in value.arrayValue ?? [value] where object.objectValue != nil {
                    let input = try emitter.input(object, parent: nil, config: config)
                    if emittedSeen.insert(input.ref).inserted { page.emitted.append(input) }
                }
            }
        }
        if !reachedOlder {
            do {
                page.next = try paginator.next(
                    after: position, body: answer.body, link: answer.response.header("Link"), count: count,
                    last: found.arrayValue?.last)
            } catch {
                throw MaxError(
                    .manifestPaginationLoop,
                    "its pagination does not end after \(answer.response.requestDescription): \(error.message)",
                    hint: "check the stream's pagination in the manifest (type, path, param)",
                    context: ["pages": String(position.pages + 1)])
            }
        }
        return page
    }

    /// Whether a record passes the stream's `skip` and `only`.
    private func keep(_ record: JSONValue, _ stream: StreamSpec) -> Bool {
        for condition in stream.skip ?? [] {
            let value = record.at(dotted: condition.path)
            let present = value.map { !$0.isNull } ?? false
            if let equals = condition.equals {
                if present && Template.text(of: value) == equals { return false }
            } else if present == (condition.present ?? true) {
                return false
            }
        }
        return isNamed(record, stream)
    }

    /// Whether a record passes the stream's `only`: its value is in each config list that is set.
    func isNamed(_ record: JSONValue, _ stream: StreamSpec) -> Bool {
        for filter in stream.only ?? [] {
            let wanted = Self.list(config[filter.config])
            if !wanted.isEmpty && !wanted.contains(Template.text(of: record.at(dotted: filter.path))) { return false }
        }
        return true
    }

    /// A config value as a list: an array's texts, or comma-separated text.
    static func list(_ value: JSONValue?) -> [String] {
        switch value {
        case .array(let items)?: items.map { Template.text(of: $0) }.filter { !$0.isEmpty }
        case .string(let text)?:
            text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        default: []
        }
    }

    /// Every record of `stream` for the parent `parent`, page after page (for incremental syncs).
    func all(
        of stream: StreamSpec, parent: String, since: Date? = nil
    ) async throws -> StreamPage {
        var result = StreamPage()
        var position: PagePosition?
        repeat {
            let page = try await page(
                of: stream, parent: parent, at: position, pageSize: stream.pageSize ?? 100, since: since)
            result.inputs += page.inputs
            result.emitted += page.emitted
            result.deleted += page.deleted
            position = page.next
        } while position != nil
        return result
    }
}
