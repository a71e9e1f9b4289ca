import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import MaxRuntime

struct InvokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoke", abstract: "Run an operation of an installation (see \"max ops\").",
        discussion: """
            The input is checked against the operation's schema first: an invalid one is refused \
            (exit 2) naming each path, and nothing is sent. A task or project the operation returns \
            is written to the local store at once, so "max search" sees it.

            --idempotency-key K makes a mutating call safe to repeat: the same key with the same \
            input returns the first result without calling the source again (even from another \
            process, which waits while the first runs); with another input it is refused as \
            operation.conflict (exit 2). Keys live 24 hours ("idempotency": {"ttlSeconds": N} in \
            the installation's entry of max.json changes it).

            --async (and operations declared async) queue the call as a job and print its id; a \
            runner starts in the background. See "max jobs".

            Examples:
              max invoke acme createTask \\
                --input '{"projectId": "prj_…", "title": "Ship", "createdById": "usr_…"}'
              max invoke acme deleteTask --input @delete.json --idempotency-key cleanup-42
              echo '{"id": "tsk_…"}' | max invoke acme deleteTask --input -
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The installation.") var installation: String
    @Argument(help: "The operation (see \"max ops\").") var operation: String
    @Option(help: "The input: JSON, @FILE, or - for standard input.") var input: String = "{}"
    @Option(help: "A key that makes repeating this call safe (mutating operations).") var idempotencyKey: String?
    @Flag(name: .customLong("async"), help: "Queue the call as a job and print its id.") var runAsync = false
    @Option(name: .shortAndLong, help: "Output format: text or json (the full envelope).") var output: OutputFormat =
        .text

    func validate() throws {
        try output.require(oneOf: [.text, .json], for: "invoke")
    }

    func run() async throws {
        let api = try global.api()
        let request = InvokeRequest(
            installation: installation, operation: operation, input: try Self.readInput(input),
            idempotencyKey: idempotencyKey, async: runAsync)
        // A remote installation's node runs it, validates it, keeps its idempotency key and audits it.
        switch try await api.invoke(request) {
        case .completed(let envelope):
            report(envelope)
        case .enqueued(let job):
            if output == .json { try JSONOutput.pretty(job) } else { Terminal.out(job.id) }
            if let remote = try await api.workspace.remote(installation) {
                Terminal.err(
                    "queued \(operation) of \(installation) as \(job.id) on the Max node at \(remote.nodeURL); the job is there (\"max jobs show \(job.id)\" on that node)"
                )
            } else {
                Terminal.err("queued \(operation) of \(installation) as \(job.id); see \"max jobs show \(job.id)\"")
            }
        }
    }

    /// Prints a completed call: its data on stdout (the whole envelope with `-o json`), how it went
    /// on stderr.
    private func report(_ envelope: JSONValue) {
        if output == .json {
            Terminal.out(envelope.prettyJSONText)
            return
        }
        Terminal.out((envelope["data"] ?? .null).prettyJSONText)
        let metadata = envelope["metadata"]
        let replayed = metadata?["replayed"] == true ? " (replayed from the idempotency key)" : ""
        Terminal.err("\(operation) of \(installation) done in \(metadata?["durationMs"]?.intValue ?? 0) ms\(replayed)")
        for warning in envelope["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            Terminal.err("warning: \(warning)")
        }
        let redactions = envelope["redactionsApplied"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if !redactions.isEmpty { Terminal.err("redacted: " + redactions.joined(separator: ", ")) }
    }

    /// The input from `--input`: JSON text, `@FILE`, or `-` (standard input).
    static func readInput(_ text: String) throws -> JSONValue {
        let source: String
        let body: String
        if text == "-" {
            source = "standard input"
            body = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else if text.hasPrefix("@") {
            let path = String(text.dropFirst())
            source = path
            guard let data = FileManager.default.contents(atPath: path) else {
                throw MaxError(
                    .operationInvalidInput, "cannot read the input file \(path)", hint: "check the path after @",
                    context: ["path": path])
            }
            body = String(decoding: data, as: UTF8.self)
        } else {
            source = "--input"
            body = text
        }
        do {
            return try JSONValue(parsing: body)
        } catch let error as MaxError {
            throw MaxError(
                .operationInvalidInput, "the input from \(source) is not JSON: \(error.message)",
                hint: "pass a JSON object, such as --input '{\"id\": \"tsk_…\"}'", cause: error)
        }
    }
}
