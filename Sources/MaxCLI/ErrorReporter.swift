import ArgumentParser
import Foundation
import MaxCore

/// Turns errors into what the user sees and the exit code, in one place.
///
/// Exit codes (CLI.md): 0 success; 1 an operation failed; 2 bad usage or invalid input; 3 partial
/// success; 4 not found; 130 interrupted.
enum ErrorReporter {
    static func exitCode(for error: MaxError) -> Int32 {
        switch error.category {
        case .validationError: 2
        case .notFound: 4
        default: 1
        }
    }

    /// The exit code of a command that reports several failures (one row each in `ls`, `status`):
    /// their shared exit code when they agree, else 1.
    static func exitCode(forAll errors: [MaxError]) -> Int32 {
        let codes = Set(errors.map(exitCode(for:)))
        return codes.count == 1 ? codes.first ?? 1 : 1
    }

    /// Prints `error[code]: message`, the excerpt and the hint on stderr; with JSON output, also
    /// one JSON line `{"error":{…}}`, the error's one wire form (as `max serve` and MCP send it).
    static func report(_ error: MaxError, json: Bool) {
        let color = Terminal.colorOnStderr
        Terminal.err(Terminal.style("error[\(error.code)]", "31;1", on: color) + ": " + error.message)
        if let excerpt = error.excerpt { Terminal.err(excerpt) }
        if let hint = error.hint { Terminal.err(Terminal.style("hint", "36", on: color) + ": " + hint) }
        if json {
            Terminal.err(error.answer.jsonText)
        }
    }
}
