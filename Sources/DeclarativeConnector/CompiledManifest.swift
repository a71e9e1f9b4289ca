import Foundation
public import MaxCore

/// A manifest that passed every check, with its templates parsed and its Max schema built.
public struct CompiledManifest: Sendable {
    /// The manifest as written.
    public let manifest: Manifest
    /// Where it came from (a path, or `bundled:github`).
    public let source: String
    /// The entity types, refs and collections its streams make.
    public let schema: Schema
    /// The root's entity type.
    public let rootType: EntityType
    /// The streams by name.
    let streams: [String: StreamSpec]
    /// The names of the streams each stream is the parent of (`""` for the root's), in order.
    let children: [String: [String]]
    /// Every parsed template, by its text.
    let templates: [String: Template]
    /// Each stream's field names in the manifest's order, by stream name.
    let fieldOrder: [String: [String]]

    init(_ manifest: Manifest, source: String, fieldOrders: [[String]] = []) throws {
        self.manifest = manifest
        self.source = source
        var problems: [String] = []
        var templates: [String: Template] = [:]
        let rootType = EntityType(manifest.root?.entity ?? Self.typeName(manifest.schemaNamespace) + "Root")
        self.rootType = rootType

        /// Parses a template at `path`, allowing `roots`.
        func check(_ text: String?, _ path: String, roots: Set<String>) {
            guard let text else { return }
            do {
                let template = try Template(text)
                let extra = template.rootsRead.subtracting(roots)
                if !extra.isEmpty {
                    problems.append(
                        "\(path): '\(text)' reads \(extra.sorted().joined(separator: ", ")), which is not known there (it may read \(roots.sorted().joined(separator: ", ")))"
                    )
                }
                templates[text] = template
                if let read = template.pathsRead.first(where: { $0.first == "parent" && $0 != ["parent", "id"] }) {
                    problems.append(
                        "\(path): '\(text)' reads \(read.joined(separator: ".")); of the parent only {{parent.id}} is known (make the parent's id what the child's request needs)"
                    )
                }
            } catch {
                problems.append("\(path): \(error.message)")
            }
        }
        func check(_ value: JSONValue?, _ path: String, roots: Set<String>) {
            switch value {
            case .string(let text)?: check(text, path, roots: roots)
            case .array(let items)?:
                for (index, item) in items.enumerated() { check(item, "\(path)[\(index)]", roots: roots) }
            case .object(let members)?:
                for (key, member) in members { check(member, "\(path).\(key)", roots: roots) }
            default: break
            }
        }
        func check(_ request: RequestSpec?, _ path: String, roots: Set<String>) {
            guard let request else { return }
            check(request.path, "\(path).path", roots: roots)
            for (key, value) in request.query ?? [:] { check(value, "\(path).query.\(key)", roots: roots) }
            for (key, value) in request.headers ?? [:] { check(value, "\(path).headers.\(key)", roots: roots) }
            check(request.body, "\(path).body", roots: roots)
            check(request.graphql?.variables, "\(path).graphql.variables", roots: roots)
            if request.path == nil && request.graphql == nil {
                problems.append("\(path): a request needs a path or a graphql query")
            }
            if request.graphql != nil && request.body != nil {
                problems.append("\(path): a graphql request makes its own body; drop 'body'")
            }
        }

        check(manifest.base, "base", roots: ["config"])
        for (key, value) in manifest.headers ?? [:] { check(value, "headers.\(key)", roots: ["config"]) }
        check(manifest.validation, "validation", roots: ["config"])
        check(manifest.health, "health", roots: ["config"])
        check(manifest.root?.id, "root.id", roots: ["config"])
        for (index, select) in (manifest.select ?? []).enumerated() {
            check(select.request, "select[\(index)].request", roots: ["config"])
            if (select.request == nil) == (select.choices == nil) {
                problems.append("select[\(index)]: give a request (with 'value') or fixed 'choices', one of them")
            } else if select.request != nil && select.value == nil {
                problems.append(
                    "select[\(index)]: a select with a request needs 'value', the path of an option's value")
            }
        }

        let configKeys = Set((manifest.config ?? []).map(\.key) + (manifest.select ?? []).map(\.key))
        let credentialKeys = Set((manifest.credentials ?? []).map(\.key))
        Self.checkUnique(
            (manifest.config ?? []).map(\.key) + (manifest.select ?? []).map(\.key), "config key", &problems)
        Self.checkUnique((manifest.credentials ?? []).map(\.key), "credential", &problems)
        for (index, credential) in (manifest.credentials ?? []).enumerated() {
            if let when = credential.when, !configKeys.contains(when.key) {
                problems.append("credentials[\(index)].when: '\(when.key)' is not a config key")
            }
        }
        if let auth = manifest.auth {
            Self.check(auth, "auth", credentials: credentialKeys, config: configKeys, &problems)
            for (index, alternative) in (auth.alternatives ?? []).enumerated() {
                Self.check(
                    alternative, "auth.alternatives[\(index)]", credentials: credentialKeys, config: configKeys,
                    &problems)
            }
        }

        // Streams: unique names and types, parents declared before their children.
        Self.checkUnique(manifest.streams.map(\.name), "stream", &problems)
        Self.checkUnique(manifest.streams.map(\.entity) + [rootType.name], "entity type", &problems)
        var streams: [String: StreamSpec] = [:]
        var children: [String: [String]] = [:]
        var emitted: Set<String> = []
        for stream in manifest.streams { for emit in stream.emits ?? [] { emitted.insert(emit.stream) } }
        let entityOfStream = Dictionary(
            manifest.streams.map { ($0.name, $0.entity) }, uniquingKeysWith: { first, _ in first })
        let types = Set(manifest.streams.map(\.entity) + [rootType.name])
        for (index, stream) in manifest.streams.enumerated() {
            let path = "streams[\(index)]"
            if let parent = stream.parent {
                if streams[parent] == nil {
                    problems.append(
                        "\(path).parent: '\(parent)' is not a stream declared before '\(stream.name)'")
                } else if streams[parent]?.request == nil {
                    problems.append("\(path).parent: '\(parent)' has no request, so it has no records to read for")
                }
            }
            let roots: Set<String> = ["config", "page", "since", "parent"]
            if let request = stream.request {
                check(request, "\(path).request", roots: roots)
                children[stream.parent ?? "", default: []].append(stream.name)
            } else {
                if stream.parent != nil || stream.pagination != nil || stream.incremental != nil {
                    problems.append("\(path): a stream without a request takes no parent, pagination or incremental")
                }
                if !emitted.contains(stream.name) {
                    problems.append("\(path): it has no request and no stream emits it, so nothing fills it")
                }
            }
            check(stream.get, "\(path).get", roots: ["config", "id"])
            let recordRoots: Set<String> = ["record", "config", "parent"]
            check(stream.id.flatMap { $0.contains("{{") ? $0 : nil }, "\(path).id", roots: recordRoots)
            for (name, field) in stream.fields {
                let fieldPath = "\(path).fields.\(name)"
                check(field.template, "\(fieldPath).template", roots: recordRoots)
                if field.path != nil && field.template != nil {
                    problems.append("\(fieldPath): give a path or a template, not both")
                }
                switch field.type {
                case "ref", "refs":
                    guard let target = field.to else {
                        problems.append("\(fieldPath): a \(field.type) names the entity type it points to in 'to'")
                        break
                    }
                    if !types.contains(target) {
                        problems.append("\(fieldPath).to: '\(target)' is not an entity type of this manifest")
                    }
                default:
                    if field.to != nil || (field.item != nil && field.type != "json") {
                        problems.append("\(fieldPath): 'to' is for ref and refs fields, 'item' for refs and json ones")
                    }
                }
                if name == "id" || name.hasPrefix("_") {
                    problems.append("\(fieldPath): '\(name)' is reserved; the id comes from the stream's 'id'")
                }
            }
            Self.check(stream.pagination, "\(path).pagination", &problems)
            if let incremental = stream.incremental, incremental.order ?? "ascending" == "ascending",
                let request = stream.request, !Self.reads(request, "since", templates: templates)
            {
                problems.append(
                    "\(path).incremental: the request never reads {{since}}, so an incremental sync would read everything; put it in a query parameter or variable, or use order: descending"
                )
            }
            switch stream.deletions {
            case "tombstone" where stream.deletedField == nil:
                problems.append("\(path).deletions: tombstone needs 'deletedField'")
            case let kind where kind != "tombstone" && stream.deletedField != nil:
                problems.append("\(path).deletedField: only used with deletions: tombstone")
            default: break
            }
            for (emitIndex, emit) in (stream.emits ?? []).enumerated() where entityOfStream[emit.stream] == nil {
                problems.append("\(path).emits[\(emitIndex)].stream: '\(emit.stream)' is not a stream")
            }
            for (filterIndex, filter) in (stream.only ?? []).enumerated() where !configKeys.contains(filter.config) {
                problems.append("\(path).only[\(filterIndex)].config: '\(filter.config)' is not a config key")
            }
            if let field = stream.parentField, stream.fields[field]?.type != "ref" {
                problems.append("\(path).parentField: '\(field)' is not a ref field of the stream")
            }
            streams[stream.name] = stream
        }
        // Collections made by children must not clash with fields.
        for (parent, names) in children where !parent.isEmpty {
            for name in names {
                let field = streams[name]?.collectionField ?? name
                if streams[parent]?.fields[field] != nil {
                    problems.append("stream '\(name)' fills \(parent).\(field), which is also a field of '\(parent)'")
                }
            }
        }

        if let log = manifest.changeLog {
            check(log.request, "changeLog.request", roots: ["config", "position"])
            check(log.head, "changeLog.head", roots: ["config"])
            for (kind, name) in log.types {
                guard let stream = streams[name] else {
                    problems.append("changeLog.types.\(kind): '\(name)' is not a stream")
                    continue
                }
                if stream.get == nil {
                    problems.append(
                        "changeLog.types.\(kind): the stream '\(name)' needs a 'get' request to read a changed record")
                }
                if stream.parent != nil && stream.parentField == nil {
                    problems.append(
                        "changeLog.types.\(kind): the stream '\(name)' needs 'parentField' to place a changed record under its parent"
                    )
                }
            }
        }

        Self.checkUnique((manifest.operations ?? []).map(\.id), "operation", &problems)
        for (index, operation) in (manifest.operations ?? []).enumerated() {
            check(operation.request, "operations[\(index)].request", roots: ["config", "input"])
            check(operation.parent, "operations[\(index)].parent", roots: ["config", "input"])
            if let stream = operation.writeThrough, streams[stream] == nil {
                problems.append("operations[\(index)].writeThrough: '\(stream)' is not a stream")
            }
            for (key, schema) in [("input", operation.input), ("output", operation.output ?? [:])] {
                do { _ = try JSONSchema(schema) } catch let error as MaxError {
                    problems.append("operations[\(index)].\(key): \(error.message)")
                } catch {}
            }
        }

        guard problems.isEmpty else { throw ManifestLoader.invalid(source, problems) }
        self.streams = streams
        self.children = children
        self.templates = templates
        var fieldOrder: [String: [String]] = [:]
        for (index, stream) in manifest.streams.enumerated() {
            let written = index < fieldOrders.count ? fieldOrders[index] : []
            // The manifest's order when it was read with it, else by name.
            fieldOrder[stream.name] =
                Set(written) == Set(stream.fields.keys) ? written : stream.fields.keys.sorted()
        }
        self.fieldOrder = fieldOrder
        self.schema = try Self.schema(
            manifest, rootType: rootType, children: children, streams: streams, fieldOrder: fieldOrder, source: source)
    }

    /// The stream named `name`.
    func stream(_ name: String) -> StreamSpec? { streams[name] }

    /// The parsed template for `text` (parsed again if it was not seen, which a checked manifest
    /// never needs).
    func template(_ text: String) -> Template {
        templates[text] ?? ((try? Template(text)) ?? Template.empty)
    }

    /// `acme-declarative` as a type prefix: `AcmeDeclarative`.
    static func typeName(_ name: String) -> String {
        name.split(whereSeparator: { $0 == "-" || $0 == "_" }).map { $0.prefix(1).uppercased() + $0.dropFirst() }
            .joined()
    }

    private static func checkUnique(_ names: [String], _ what: String, _ problems: inout [String]) {
        var seen: Set<String> = []
        for name in names where !seen.insert(name).inserted {
            problems.append("the \(what) '\(name)' is declared twice")
        }
    }

    private static func check(
        _ auth: AuthSpec, _ path: String, credentials: Set<String>, config: Set<String>, _ problems: inout [String]
    ) {
        // An OAuth 2.0 credential is the refresh token the authorization stores, not one people enter.
        for (key, value) in [("credential", auth.credential), ("username", auth.username), ("password", auth.password)]
        where auth.type != "oauth2" {
            if let value, !credentials.contains(value) {
                problems.append("\(path).\(key): '\(value)' is not one of the manifest's credentials")
            }
        }
        if let when = auth.when, !config.contains(when.key) {
            problems.append("\(path).when: '\(when.key)' is not a config key")
        }
        switch auth.type {
        case "bearer" where auth.credential == nil, "header" where auth.credential == nil || auth.name == nil,
            "query" where auth.credential == nil || auth.name == nil:
            problems.append(
                "\(path): \(auth.type) auth needs 'credential'\(auth.type == "bearer" ? "" : " and 'name'")")
        case "basic" where auth.username == nil:
            problems.append("\(path): basic auth needs 'username' (and usually 'password')")
        case "oauth2" where auth.oauth2 == nil || auth.credential == nil:
            problems.append("\(path): oauth2 auth needs 'oauth2' and 'credential' (where the refresh token is kept)")
        default: break
        }
    }

    private static func check(_ pagination: PaginationSpec?, _ path: String, _ problems: inout [String]) {
        guard let pagination else { return }
        switch pagination.type {
        case "nextURL" where pagination.path == nil:
            problems.append("\(path): nextURL pagination needs 'path' (where the next URL is in the body)")
        case "cursor" where pagination.path == nil || pagination.param == nil:
            problems.append("\(path): cursor pagination needs 'path' (the token in the body) and 'param'")
        case "offset" where pagination.param == nil, "page" where pagination.param == nil,
            "keyset" where pagination.param == nil:
            problems.append("\(path): \(pagination.type) pagination needs 'param'")
        default: break
        }
    }

    /// Whether any template of `request` reads the root `root`.
    private static func reads(_ request: RequestSpec, _ root: String, templates: [String: Template]) -> Bool {
        var texts = [request.path].compactMap { $0 } + Array((request.query ?? [:]).values)
        func collect(_ value: JSONValue?) {
            switch value {
            case .string(let text)?: texts.append(text)
            case .array(let items)?: items.forEach(collect)
            case .object(let members)?: members.values.forEach(collect)
            default: break
            }
        }
        collect(request.body)
        collect(request.graphql?.variables)
        return texts.contains { templates[$0]?.rootsRead.contains(root) == true }
    }

    /// The Max schema: an entity type per stream, a collection per child stream, and the root.
    private static func schema(
        _ manifest: Manifest, rootType: EntityType, children: [String: [String]], streams: [String: StreamSpec],
        fieldOrder: [String: [String]], source: String
    ) throws -> Schema {
        func collections(of parent: String) -> [Field] {
            (children[parent] ?? []).compactMap { name in
                streams[name].map { child in
                    // A child whose `parentField` refs the parent's type names its owner itself: the
                    // collection is read through that ref, and no link is kept.
                    let parentEntity = streams[parent]?.entity
                    let inverse = child.parentField.flatMap { field in
                        child.fields[field]?.type == "ref" && child.fields[field]?.to == parentEntity ? field : nil
                    }
                    return .collection(child.collectionField, of: EntityType(child.entity), inverse: inverse)
                }
            }
        }
        var entities: [EntityDef] = []
        for stream in manifest.streams {
            let names = fieldOrder[stream.name] ?? stream.fields.keys.sorted()
            var fields: [Field] = names.compactMap { name in stream.fields[name].map { (name, $0) } }.map {
                name, spec in
                let type: FieldType =
                    switch spec.type {
                    case "int": .int
                    case "double": .double
                    case "bool": .bool
                    case "date": .date
                    case "json": .json
                    case "ref": .ref(EntityType(spec.to ?? ""))
                    case "refs": .collection(EntityType(spec.to ?? ""))
                    default: .string
                    }
                return Field(name, type, indexed: spec.indexed ?? false, summary: spec.summary)
            }
            fields += collections(of: stream.name)
            entities.append(
                EntityDef(
                    EntityType(stream.entity), fields: fields, indexes: stream.indexes ?? [],
                    summary: stream.summary ?? "A record of the \(stream.name) stream."))
        }
        let root = EntityDef(
            rootType, fields: collections(of: ""), summary: "Where a sync of \(manifest.displayName) starts.")
        let schema = Schema(namespace: manifest.schemaNamespace, entities: entities, roots: [root])
        do {
            try schema.validate()
        } catch let error as MaxError {
            throw ManifestLoader.invalid(source, [error.message])
        }
        return schema
    }
}

extension Template {
    /// A template with nothing in it.
    static let empty: Template = (try? Template("")) ?? { preconditionFailure("the empty template parses") }()
}
