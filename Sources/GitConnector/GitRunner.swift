import Foundation
import MaxConnector
public import MaxCore
import Synchronization

/// Runs the `git` executable in one repository and returns what it printed.
///
/// Output is read through ``PipeReader`` (no thread blocks on the pipe); a failing command is a
/// `git.failed` error with git's own message.
struct GitRunner: Sendable {
    /// The repository (its work tree or its `.git`).
    let path: String

    /// The output of `git -C <path> <arguments>`.
    ///
    /// - Throws: `git.not_found` when there is no `git`; `git.failed` when it exits non-zero.
    func run(_ arguments: [String]) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", path, "-c", "core.quotepath=off", "--no-pager"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        environment["GIT_TERMINAL_PROMPT"] = "0"
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { finished in
            exited.continuation.yield(finished.terminationStatus)
            exited.continuation.finish()
        }
        do {
            try process.run()
        } catch {
            throw MaxError(
                .gitNotFound, "git could not be run: \(error.localizedDescription)",
                hint: "install git and make sure it is on the PATH")
        }
        let stdout = dup(output.fileHandleForReading.fileDescriptor)
        let stderr = dup(errors.fileHandleForReading.fileDescriptor)
        try? output.fileHandleForReading.close()
        try? errors.fileHandleForReading.close()
        async let printed = Self.readAll(stdout)
        async let complained = Self.readAll(stderr)
        let (out, err) = try await (printed, complained)
        var status: Int32 = -1
        for await code in exited.stream { status = code }
        guard status == 0 else {
            let message = String(decoding: err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw MaxError(
                .gitFailed, "git \(arguments.first ?? "") failed in \(path): \(message.prefix(300))",
                hint: "check that \(path) is a git repository you can read", context: ["path": path])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension GitRunner {
    /// Everything written to `descriptor` until it ends.
    static func readAll(_ descriptor: CInt) async throws -> Data {
        let buffer = Buffer()
        try await PipeReader.read(descriptor) { chunk in buffer.data.withLock { $0.append(chunk) } }
        return buffer.data.withLock { $0 }
    }

    final class Buffer: Sendable {
        let data = Mutex(Data())
    }
}

extension MaxError.Code {
    /// The `git` executable is not there.
    public static let gitNotFound = Self(domain: "git", name: "not_found", category: .permanent)
    /// A `git` command failed.
    public static let gitFailed = Self(domain: "git", name: "failed", category: .permanent)
}
