import Foundation
import MaxConnector
public import MaxCore

/// Runs the `git` executable in one repository and returns what it printed.
///
/// It runs through ``ProgramRun`` (no thread blocks on the pipes); a failing command is a
/// `git.failed` error with git's own message.
struct GitRunner: Sendable {
    /// The repository (its work tree or its `.git`).
    let path: String

    /// The output of `git -C <path> <arguments>`.
    ///
    /// - Throws: `git.not_found` when there is no `git`; `git.failed` when it exits non-zero.
    func run(_ arguments: [String]) async throws -> String {
        String(decoding: try await output(arguments), as: UTF8.self)
    }

    /// The bytes `git -C <path> <arguments>` printed, for output read NUL-separated (``GitRecords``).
    ///
    /// - Throws: As ``run(_:)``.
    func output(_ arguments: [String]) async throws -> [UInt8] {
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        environment["GIT_TERMINAL_PROMPT"] = "0"
        let finished: ProgramRun
        do {
            finished = try await ProgramRun.run(
                ["git", "-C", path, "-c", "core.quotepath=off", "--no-pager"] + arguments, environment: environment)
        } catch {
            throw MaxError(
                .gitNotFound, "git could not be run: \(error.localizedDescription)",
                hint: "install git and make sure it is on the PATH")
        }
        guard finished.status == 0 else {
            let message = String(decoding: finished.errors, as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw MaxError(
                .gitFailed, "git \(arguments.first ?? "") failed in \(path): \(message.prefix(300))",
                hint: "check that \(path) is a git repository you can read", context: ["path": path])
        }
        return Array(finished.output)
    }
}

extension MaxError.Code {
    /// The `git` executable is not there.
    public static let gitNotFound = Self(domain: "git", name: "not_found", category: .permanent)
    /// A `git` command failed.
    public static let gitFailed = Self(domain: "git", name: "failed", category: .permanent)
    /// `git` printed something of a shape Max does not read, or fewer commits than it counts: the
    /// sync stops rather than store a part of the history as if it were all of it.
    public static let gitUnexpectedOutput = Self(domain: "git", name: "unexpected_output", category: .permanent)
}
