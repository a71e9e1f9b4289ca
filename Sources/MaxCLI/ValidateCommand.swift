import ArgumentParser
import MaxCore
import MaxRuntime

/// `max validate`: every problem of `max.json` and its installations, changing nothing.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check max.json and every installation, and list every problem with its path.",
        discussion: """
            Reads max.json and checks each installation without changing anything: its connector \
            is known and accepts its config, its retry, rateLimit, circuitBreaker and sync \
            (schedule) entries are well formed, disabled is true or false, and the credentials it \
            needs are there (stored, or their environment variable set). Prints each problem as \
            <path>: <message> with what to do; exits 2 when there is any, 0 when there is none.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Output format: text or json.") var output: OutputFormat = .text

    func validate() throws {
        try output.require(oneOf: [.text, .json], for: "validate")
    }

    func run() async throws {
        let list = try await global.api().validate(NoParameters())
        let problems = list.problems
        if output == .json {
            Terminal.out(
                JSONValue.array(
                    problems.map { problem in
                        [
                            "path": .string(problem.path), "code": .string(problem.error.code.description),
                            "message": .string(problem.error.message),
                            "hint": problem.error.hint.map(JSONValue.string) ?? .null,
                        ]
                    }
                ).prettyJSONText)
        } else if problems.isEmpty {
            let count = list.installations
            Terminal.out("max.json is valid: \(count) installation\(count == 1 ? "" : "s"), each ready to sync")
        } else {
            Terminal.out("max.json: \(problems.count) problem\(problems.count == 1 ? "" : "s")")
            for problem in problems {
                Terminal.out("\(problem.path): [\(problem.error.code)] \(problem.error.message)")
                if let hint = problem.error.hint { Terminal.out("  hint: \(hint)") }
            }
        }
        if !problems.isEmpty { throw PartialSuccess(code: 2) }
    }
}
