import MaxConnector
import MaxCore

/// A manifest's operations: each a templated request over its validated input, whose answer (or
/// the part at `result`) is the output, written through to the local store when it names a stream.
enum ManifestOperations {
    /// Every operation, in the manifest's order; one whose schemas do not parse was refused when
    /// the manifest was checked.
    static func all(_ compiled: CompiledManifest) -> [OperationDef<ManifestContext>] {
        (compiled.manifest.operations ?? []).compactMap { spec in
            guard
                let info = try? OperationInfo(
                    spec.id, displayName: spec.displayName, description: spec.description, input: spec.input,
                    output: spec.output ?? [:], mutating: spec.mutating,
                    writeThrough: spec.writeThrough.flatMap { compiled.stream($0) }.map { EntityType($0.entity) })
            else { return nil }
            return OperationDef(info) { call, context in try await run(spec, call, context) }
        }
    }

    private static func run(_ spec: OperationSpec, _ call: OperationCall, _ context: ManifestContext) async throws
        -> OperationOutput
    {
        var headers: [(String, String)] = []
        if let header = spec.idempotencyHeader, let key = call.idempotencyKey { headers.append((header, key)) }
        let request = try context.requester.build(
            spec.request, scope: ["config": context.config, "input": call.input], headers: headers)
        let answer = try context.requester.requireSuccess(try await context.requester.send(request))
        let data = answer.body.at(dotted: spec.result) ?? .null
        var writes: [EntityInput] = []
        if let name = spec.writeThrough, let stream = context.compiled.stream(name), data.objectValue != nil {
            let mapper = context.mappers[name] ?? RecordMapper(stream, compiled: context.compiled)
            let parent = spec.parent.map {
                context.compiled.template($0).render(["config": context.config, "input": call.input])
            }
            writes.append(try mapper.input(data, parent: parent, config: context.config))
        }
        return OperationOutput(data: data, providerStatus: answer.status, writes: writes)
    }
}
