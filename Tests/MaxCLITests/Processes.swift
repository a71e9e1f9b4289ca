import Foundation
import MaxCore

/// Runs the built `max` and `acme-server` binaries as real processes.
enum Binaries {
    /// The folder the test bundle was built into, which holds the executables too.
    static let folder: URL = {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On macOS the runner lives inside the .xctest bundle.
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("max").path), url.path != "/" {
            url.deleteLastPathComponent()
        }
        return url
    }()

    static var max: URL { folder.appendingPathComponent("max") }
    static var acmeServer: URL { folder.appendingPathComponent("acme-server") }
}

/// What a finished process did.
struct Outcome: Sendable {
    let status: Int32
    let stdout: String
    let stderr: String

    var output: String { stdout + stderr }
}

/// Runs `max` with `arguments`, standard input from `input` (not a terminal), and returns what it did.
func runMax(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:], input: String? = nil)
    throws -> Outcome
{
    let process = Process()
    process.executableURL = Binaries.max
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    env.merge(environment) { _, new in new }
    process.environment = env
    let stdout = Pipe()
    let stderr = Pipe()
    let stdin = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    let err = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Outcome(
        status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
        stderr: String(decoding: err, as: UTF8.self))
}

/// An `acme-server` process, stopped when the value goes away.
final class AcmeProcess: @unchecked Sendable {
    // Unchecked: the process handle is only touched by init and deinit.
    let url: String
    let apiKey: String
    private let process: Process

    init(arguments: [String] = []) throws {
        process = Process()
        process.executableURL = Binaries.acmeServer
        process.arguments = ["--port", "0"] + arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while let byte = try stdout.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        let ready = try JSONValue(parsing: String(decoding: line, as: UTF8.self))
        url = ready["url"]?.stringValue ?? ""
        apiKey = ready["apiKey"]?.stringValue ?? ""
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }
}
