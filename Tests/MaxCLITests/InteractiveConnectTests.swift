import Foundation
import MaxCore
import MaxTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `max connect` on a pseudo-terminal, answered the way a person would type.
final class TerminalSession {
    private let process = Process()
    private let master: Int32
    private(set) var transcript = ""

    init(_ arguments: [String]) throws {
        var master: Int32 = 0
        var slave: Int32 = 0
        guard openpty(&master, &slave, nil, nil, nil) == 0 else { throw CocoaError(.fileReadUnknown) }
        self.master = master
        // Keep both ends out of processes other tests start meanwhile.
        _ = fcntl(master, F_SETFD, FD_CLOEXEC)
        _ = fcntl(slave, F_SETFD, FD_CLOEXEC)
        process.executableURL = Binaries.max
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        process.environment = environment
        let handle = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        process.standardInput = handle
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        close(slave)  // the child has its own; the master sees the end when the child exits
    }

    /// Reads until the transcript contains `text` `times` times (or 30 seconds pass); returns whether it did.
    @discardableResult
    func expect(_ text: String, times: Int = 1) -> Bool {
        let deadline = Date().addingTimeInterval(30)
        func seen() -> Bool { transcript.components(separatedBy: text).count > times }
        while !seen(), Date() < deadline {
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 100) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = read(master, &buffer, buffer.count)
            if count <= 0 { break }
            transcript += String(decoding: buffer[0..<count], as: UTF8.self)
        }
        return seen()
    }

    func type(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBufferPointer { write(master, $0.baseAddress, $0.count) }
    }

    /// Sends SIGINT, as Ctrl-C on the terminal does.
    func interrupt() { process.interrupt() }

    /// Whether the terminal echoes what is typed (the settings are the terminal's, shared by both ends).
    var echoes: Bool {
        var mode = termios()
        return tcgetattr(master, &mode) == 0 && mode.c_lflag & tcflag_t(ECHO) != 0
    }

    /// Waits for the process and drains what it printed last.
    func finish() -> Int32 {
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()  // it is waiting for input nobody will type: fail, do not hang
            return -1
        }
        while true {
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 200) > 0 else { break }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = read(master, &buffer, buffer.count)
            if count <= 0 { break }
            transcript += String(decoding: buffer[0..<count], as: UTF8.self)
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { process.terminate() }
        close(master)
    }
}

@Suite(.serialized)
struct InteractiveConnectTests {
    @Test func promptsHideTheSecretAndTheSelectWorks() async throws {
        let acme = try AcmeProcess(arguments: ["--workspaces", "2"])
        let folder = try TemporaryDirectory(prefix: "pty")
        _ = try await runMax(["init", folder.url.path])
        let session = try TerminalSession(["-C", folder.url.path, "connect", "acme"])
        #expect(session.expect("Tenant URL (e.g. https://acme.example.com): "))
        session.type("not a url")
        #expect(session.expect("Try again."))
        session.type(acme.url)
        #expect(session.expect("2) OAuth (authorize in the browser)"))
        #expect(session.expect("Choose 1-2 [1]: "))
        session.type("")  // the default: an API token
        #expect(session.expect("API token (input hidden): "))
        session.type(acme.apiKey)
        #expect(session.expect("Checking access: ok"))
        #expect(session.expect("Choose 1-2 [1]: ", times: 2))
        #expect(session.transcript.contains("2) Workspace 2"))
        session.type("2")
        #expect(session.expect("Connected acme as acme ("))
        #expect(session.finish() == 0)
        #expect(!session.transcript.contains(acme.apiKey), "the secret was not echoed")
        #expect(session.transcript.contains(acme.url), "plain answers are echoed")
        let file = try JSONValue(
            parsing: String(contentsOf: folder.url.appendingPathComponent("max.json"), encoding: .utf8))
        let workspaceID = file["installations"]?["acme"]?["config"]?["workspaceId"]?.stringValue
        #expect(workspaceID?.hasPrefix("ws_") == true)
    }

    /// A secret typed at a choice by mistake shows once, as typed (the terminal echoes it), and is
    /// never repeated in a message.
    @Test func anAnswerThatIsNotAnOptionIsNotRepeated() async throws {
        let acme = try AcmeProcess()
        let folder = try TemporaryDirectory(prefix: "pty-choice")
        _ = try await runMax(["init", folder.url.path])
        let session = try TerminalSession(["-C", folder.url.path, "connect", "acme"])
        #expect(session.expect("Tenant URL"))
        session.type(acme.url)
        #expect(session.expect("Choose 1-2 [1]: "))
        let canary = "acme_canary" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        session.type(canary)
        #expect(session.expect("That is not one of the options: type a number from 1 to 2"))
        #expect(session.expect("Choose 1-2 [1]: ", times: 2))
        session.interrupt()
        _ = session.finish()
        #expect(session.transcript.components(separatedBy: canary).count == 2, "once, as typed: \(session.transcript)")
    }

    @Test func aWrongTokenIsRejectedAndNothingIsWritten() async throws {
        let acme = try AcmeProcess()
        let folder = try TemporaryDirectory(prefix: "pty-wrong")
        _ = try await runMax(["init", folder.url.path])
        let before = try Data(contentsOf: folder.url.appendingPathComponent("max.json"))
        let session = try TerminalSession(["-C", folder.url.path, "connect", "acme"])
        #expect(session.expect("Tenant URL"))
        session.type(acme.url)
        #expect(session.expect("Choose 1-2 [1]: "))
        session.type("1")
        #expect(session.expect("API token (input hidden): "))
        session.type("acme_wrongwrongwrongwrongwrongwrong00")
        #expect(session.expect("the API token was rejected"))
        #expect(session.finish() == 2)
        #expect(!session.transcript.contains("acme_wrongwrong"))
        #expect(try Data(contentsOf: folder.url.appendingPathComponent("max.json")) == before)
        #expect(
            !FileManager.default.fileExists(atPath: folder.url.appendingPathComponent(".max/installations/acme").path))
    }

    @Test func ctrlCAtTheSecretPromptSavesNothingAndRestoresTheTerminal() async throws {
        let acme = try AcmeProcess()
        let folder = try TemporaryDirectory(prefix: "pty-interrupt")
        _ = try await runMax(["init", folder.url.path])
        let before = try Data(contentsOf: folder.url.appendingPathComponent("max.json"))
        let session = try TerminalSession(["-C", folder.url.path, "connect", "acme"])
        #expect(session.expect("Tenant URL"))
        session.type(acme.url)
        #expect(session.expect("Choose 1-2 [1]: "))
        session.type("1")
        #expect(session.expect("API token (input hidden): "))
        #expect(!session.echoes, "the secret prompt turned echo off")
        session.interrupt()
        #expect(session.expect("Connect interrupted: nothing was saved"))
        #expect(session.finish() == 130)
        #expect(session.echoes, "echo is back on")
        #expect(try Data(contentsOf: folder.url.appendingPathComponent("max.json")) == before)
        #expect(
            !FileManager.default.fileExists(atPath: folder.url.appendingPathComponent(".max/installations/acme").path))
    }
}
