public import Foundation
import Synchronization

/// Runs a program to its end without blocking a thread on its pipes (they are read through
/// ``PipeReader``), for connectors and tools that drive a command-line program (`git`,
/// `swift build`).
///
/// The program ends with Max (``ChildLauncher``).
public struct ProgramRun: Sendable {
    /// How it ended.
    public let status: Int32
    /// What it wrote on standard output (and standard error, when merged).
    public let output: Data
    /// What it wrote on standard error, when not merged.
    public let errors: Data

    /// Runs `arguments` (the program is found on the `PATH`).
    ///
    /// - Parameters:
    ///   - arguments: The program and its arguments.
    ///   - environment: Its environment; this process's by default.
    ///   - mergingErrors: Send standard error to ``output`` too, in order.
    ///   - echo: Told of every chunk of output as it comes (a build's progress).
    /// - Returns: How it ended and what it wrote.
    /// - Throws: When it cannot be started; a non-zero status is not an error here.
    public static func run(
        _ arguments: [String], environment: [String: String]? = nil, mergingErrors: Bool = false,
        echo: (@Sendable (Data) -> Void)? = nil
    ) async throws -> ProgramRun {
        let process = Process()
        ChildLauncher.configure(process, executable: "/usr/bin/env", arguments: arguments)
        if let environment { process.environment = environment }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = mergingErrors ? output : errors
        process.standardInput = FileHandle.nullDevice
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { finished in
            exited.continuation.yield(finished.terminationStatus)
            exited.continuation.finish()
        }
        try await ChildLauncher.run(process)
        // Our own copies of the reading ends: NIO owns and closes them.
        let outputDescriptor = dup(output.fileHandleForReading.fileDescriptor)
        let errorsDescriptor = mergingErrors ? nil : dup(errors.fileHandleForReading.fileDescriptor)
        try? output.fileHandleForReading.close()
        try? errors.fileHandleForReading.close()
        async let printed = collect(outputDescriptor, echo: echo)
        async let complained = collect(errorsDescriptor, echo: nil)
        let (out, err) = try await (printed, complained)
        var status: Int32 = -1
        for await code in exited.stream { status = code }
        return ProgramRun(status: status, output: out, errors: err)
    }

    /// Everything written to `descriptor` until it ends (nothing for no descriptor).
    static func collect(_ descriptor: CInt?, echo: (@Sendable (Data) -> Void)?) async throws -> Data {
        guard let descriptor else { return Data() }
        let buffer = Buffer()
        try await PipeReader.read(descriptor) { chunk in
            buffer.data.withLock { $0.append(chunk) }
            echo?(chunk)
        }
        return buffer.data.withLock { $0 }
    }

    final class Buffer: Sendable {
        let data = Mutex(Data())
    }
}
