import Foundation
import MaxCore

/// How a stream's records become entity inputs: the id, then each field read by its path or
/// template and converted to its type.
///
/// A value of the wrong kind is converted where that is lossless (a number to text, `"42"` to an
/// integer, an epoch number to a date) and stored as null otherwise, as is a missing value: a
/// source that adds or drops a key does not fail the sync. A record without an id does.
struct RecordMapper: Sendable {
    let stream: StreamSpec
    let type: EntityType
    let compiled: CompiledManifest
    /// The fields in the manifest's order, so every input lists them in one order.
    private let fields: [(name: String, spec: FieldSpec, path: [String])]
    private let idPath: [String]?

    init(_ stream: StreamSpec, compiled: CompiledManifest) {
        self.stream = stream
        self.type = EntityType(stream.entity)
        self.compiled = compiled
        let names = compiled.fieldOrder[stream.name] ?? stream.fields.keys.sorted()
        fields = names.compactMap { name in stream.fields[name].map { (name, $0) } }.map { name, spec in
            (name, spec, (spec.path ?? name).split(separator: ".").map(String.init))
        }
        let id = stream.id ?? "id"
        idPath = id.contains("{{") ? nil : id.split(separator: ".").map(String.init)
    }

    /// The record's id.
    ///
    /// - Throws: `manifest.no_records` when it has none.
    func id(of record: JSONValue, parent: String?, config: JSONValue) throws -> String {
        let id: String
        if let idPath {
            id = Template.text(of: record.at(idPath))
        } else {
            id = compiled.template(stream.id ?? "").render(scope(record, parent: parent, config: config))
        }
        guard !id.isEmpty else {
            throw MaxError(
                .manifestNoRecords,
                "a record of the stream '\(stream.name)' has no id at '\(stream.id ?? "id")' (its keys: \(Self.keys(record)))",
                hint: "set the stream's 'id' to the path of the record's id", context: ["stream": stream.name])
        }
        return id
    }

    /// The record as an input.
    ///
    /// - Throws: `manifest.no_records` for a record without an id.
    func input(_ record: JSONValue, parent: String?, config: JSONValue) throws -> EntityInput {
        let ref = Ref(type, try id(of: record, parent: parent, config: config))
        var values: [(name: String, value: FieldValue)] = []
        values.reserveCapacity(fields.count)
        var templateScope: JSONValue?
        for (name, spec, path) in fields {
            let raw: JSONValue?
            if let template = spec.template {
                if templateScope == nil { templateScope = scope(record, parent: parent, config: config) }
                raw = compiled.template(template).value(templateScope ?? .null)
            } else {
                raw = record.at(path)
            }
            values.append((name, Self.convert(raw, spec)))
        }
        return EntityInput(ref, values: values)
    }

    private func scope(_ record: JSONValue, parent: String?, config: JSONValue) -> JSONValue {
        ["record": record, "config": config, "parent": ["id": parent.map(JSONValue.string) ?? .null]]
    }

    /// A JSON value as a field of `spec`'s type.
    static func convert(_ raw: JSONValue?, _ spec: FieldSpec) -> FieldValue {
        guard let raw, !raw.isNull else {
            return spec.type == "refs" ? .refs([]) : .null
        }
        switch spec.type {
        case "string":
            if case .object = raw { return .string(raw.jsonText) }
            if case .array = raw { return .string(raw.jsonText) }
            return .string(Template.text(of: raw))
        case "int":
            if let number = raw.intValue { return .int(number) }
            return raw.stringValue.flatMap { Int($0) }.map(FieldValue.int) ?? .null
        case "double":
            if let number = raw.doubleValue { return .double(number) }
            return raw.stringValue.flatMap { Double($0) }.map(FieldValue.double) ?? .null
        case "bool":
            if let flag = raw.boolValue { return .bool(flag) }
            return raw.stringValue.flatMap { Bool($0.lowercased()) }.map(FieldValue.bool) ?? .null
        case "date":
            if let text = raw.stringValue { return ISO8601.parse(text).map(FieldValue.date) ?? .null }
            if let seconds = raw.doubleValue { return .date(Date(timeIntervalSince1970: seconds)) }
            return .null
        case "json":
            // With `item`, an array becomes the array of each element's value there (label names).
            if let item = spec.item, let elements = raw.arrayValue {
                return .json(.array(elements.map { $0.at(dotted: item) ?? .null }))
            }
            return .json(raw)
        case "ref":
            let id = Template.text(of: raw)
            return id.isEmpty ? .null : .ref(Ref(EntityType(spec.to ?? ""), id))
        case "refs":
            let target = EntityType(spec.to ?? "")
            let itemPath = spec.item.map { $0.split(separator: ".").map(String.init) }
            var seen: Set<String> = []
            let ids = (raw.arrayValue ?? [raw]).compactMap { element -> String? in
                let id = Template.text(of: itemPath.map { element.at($0) } ?? element)
                return id.isEmpty || !seen.insert(id).inserted ? nil : id
            }
            return .refs(ids.map { Ref(target, $0) })
        default:
            return .null
        }
    }

    /// A record's top-level keys, for messages.
    static func keys(_ record: JSONValue) -> String {
        guard let members = record.objectValue else { return "it is not an object" }
        let keys = members.keys.sorted()
        return keys.prefix(12).joined(separator: ", ") + (keys.count > 12 ? ", …" : "")
    }
}
