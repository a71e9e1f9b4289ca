import Dispatch
import Foundation
import Logging
import MCP
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// MCP over standard input and output, one JSON-RPC message per line, read in linear time.
///
/// The SDK's `StdioTransport` searches its whole buffer for a newline after every 4 KiB read, so
/// a message of n bytes costs O(n²) (a 4 MiB message took 32 s, during which nothing was
/// answered). This one searches only the bytes it has not searched yet, reads 64 KiB at a time,
/// and refuses a message over ``maximumMessageBytes``: it is skipped to its end and answered with
/// a JSON-RPC error (`-32600`, id `null`), and the next message is read as usual.
///
/// Reads and writes block on a queue of their own, never on the cooperative pool; the messages
/// come out of ``receive()`` as the server asks for them.
actor LineTransport: Transport {
    /// The largest message accepted: 16 MiB.
    static let defaultMaximumMessageBytes = 16 << 20

    /// The transport's logger (to standard error; standard output carries only messages).
    nonisolated let logger: Logger
    private let reader: LineReader
    private let output: CInt

    /// A transport over `input` and `output` (standard input and output by default).
    init(
        input: CInt = STDIN_FILENO, output: CInt = STDOUT_FILENO,
        maximumMessageBytes: Int = LineTransport.defaultMaximumMessageBytes, logger: Logger? = nil
    ) {
        self.output = output
        self.logger = logger ?? Logger(label: "max.mcp.stdio", factory: { _ in SwiftLogNoOpLogHandler() })
        reader = LineReader(descriptor: input, maximumLineBytes: maximumMessageBytes)
    }

    /// Nothing to open: the descriptors are open already.
    func connect() async throws {}

    /// Stops handing out messages.
    func disconnect() async {
        reader.close()
    }

    /// Writes `message` and a newline.
    ///
    /// - Throws: `MCPError.transportError` when standard output is closed.
    func send(_ message: Data) async throws {
        var line = message
        line.append(UInt8(ascii: "\n"))
        try await IO.write(line, to: output)
    }

    /// The messages, in order, until the input ends; an over-long one is answered with an error
    /// and skipped.
    nonisolated func receive() -> AsyncThrowingStream<Data, any Error> {
        let reader = reader
        let output = output
        return AsyncThrowingStream {
            while true {
                switch try await reader.next() {
                case .line(let data): return data
                case .end: return nil
                case .tooLong(let limit):
                    let refusal =
                        #"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"#
                        + #""a message over \#(limit) bytes was refused; send smaller ones"}}"# + "\n"
                    try await IO.write(Data(refusal.utf8), to: output)
                }
            }
        }
    }
}

/// Splits a descriptor's bytes into lines, looking at each byte once.
final class LineReader: Sendable {
    enum Item {
        case line(Data)
        case tooLong(Int)
        case end
    }

    private struct State {
        var buffer: [UInt8] = []
        /// Where the search for the next newline resumes: the bytes before it hold none.
        var searched = 0
        /// Skipping the rest of an over-long line.
        var discarding = false
        var ended = false
    }

    private let descriptor: CInt
    private let maximumLineBytes: Int
    private let state = Mutex(State())

    init(descriptor: CInt, maximumLineBytes: Int) {
        self.descriptor = descriptor
        self.maximumLineBytes = maximumLineBytes
    }

    func close() {
        state.withLock { $0.ended = true }
    }

    /// The next line (without its newline, never empty), an over-long one's refusal, or the end.
    func next() async throws -> Item {
        while true {
            if let item = state.withLock({ Self.take(&$0, limit: maximumLineBytes) }) { return item }
            let chunk = try await IO.read(from: descriptor)
            let done = state.withLock { state -> Bool in
                if chunk.isEmpty { state.ended = true } else { state.buffer += chunk }
                return state.ended && state.buffer.isEmpty
            }
            if done { return .end }
        }
    }

    /// A complete line from the buffer, a refusal, or `nil` when more bytes are needed.
    private static func take(_ state: inout State, limit: Int) -> Item? {
        while true {
            let newline = state.buffer[state.searched...].firstIndex(of: UInt8(ascii: "\n"))
            guard let newline else {
                state.searched = state.buffer.count
                if state.discarding || state.buffer.count > limit {
                    // Keep nothing of an over-long line; say so once, at its start.
                    let first = !state.discarding
                    state.discarding = true
                    state.buffer.removeAll(keepingCapacity: true)
                    state.searched = 0
                    if first { return .tooLong(limit) }
                }
                if state.ended {
                    // A last line without its newline still counts.
                    guard !state.buffer.isEmpty, !state.discarding else { return .end }
                    let line = Data(state.buffer)
                    state.buffer.removeAll()
                    state.searched = 0
                    return .line(line)
                }
                return nil
            }
            let line = state.buffer[..<newline]
            let overLong = state.discarding || line.count > limit
            let wasDiscarding = state.discarding
            state.buffer.removeSubrange(...newline)
            state.searched = 0
            state.discarding = false
            if overLong {
                if !wasDiscarding { return .tooLong(limit) }
                continue
            }
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
            return .line(Data(line))
        }
    }
}

/// Blocking reads and writes, each on a serial queue of its own (a line is written whole before
/// the next one starts).
enum IO {
    private static let reads = DispatchQueue(label: "max.mcp.stdin")
    private static let writes = DispatchQueue(label: "max.mcp.stdout")

    /// Up to 64 KiB from `descriptor`; empty at its end.
    static func read(from descriptor: CInt) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            reads.async {
                var buffer = [UInt8](repeating: 0, count: 64 << 10)
                while true {
                    let count = buffer.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
                    if count >= 0 {
                        continuation.resume(returning: Array(buffer[..<count]))
                        return
                    }
                    guard wait(for: descriptor, events: POLLIN) else {
                        continuation.resume(throwing: failure())
                        return
                    }
                }
            }
        }
    }

    /// All of `data` to `descriptor`.
    static func write(_ data: Data, to descriptor: CInt) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            writes.async {
                let written: Bool = data.withUnsafeBytes { bytes in
                    guard let base = bytes.baseAddress else { return true }
                    var offset = 0
                    while offset < bytes.count {
                        let count = systemWrite(descriptor, base + offset, bytes.count - offset)
                        if count > 0 {
                            offset += count
                        } else if count < 0, wait(for: descriptor, events: POLLOUT) {
                            continue
                        } else {
                            return false
                        }
                    }
                    return true
                }
                if written { continuation.resume() } else { continuation.resume(throwing: failure()) }
            }
        }
    }

    /// After a failed read or write: whether to try again (interrupted, or a descriptor someone
    /// made non-blocking, now ready).
    private static func wait(for descriptor: CInt, events: Int32) -> Bool {
        switch errno {
        case EINTR: return true
        case EAGAIN:
            var poll = pollfd(fd: descriptor, events: Int16(events), revents: 0)
            _ = systemPoll(&poll, 1, -1)
            return true
        default: return false
        }
    }

    private static func failure() -> any Error {
        MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
    }
}

#if canImport(Glibc)
    private func systemRead(_ descriptor: CInt, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        Glibc.read(descriptor, buffer, count)
    }
    private func systemWrite(_ descriptor: CInt, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
        Glibc.write(descriptor, buffer, count)
    }
    private func systemPoll(_ poll: UnsafeMutablePointer<pollfd>, _ count: nfds_t, _ timeout: Int32) -> Int32 {
        Glibc.poll(poll, count, timeout)
    }
#elseif canImport(Darwin)
    private func systemRead(_ descriptor: CInt, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        Darwin.read(descriptor, buffer, count)
    }
    private func systemWrite(_ descriptor: CInt, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
        Darwin.write(descriptor, buffer, count)
    }
    private func systemPoll(_ poll: UnsafeMutablePointer<pollfd>, _ count: nfds_t, _ timeout: Int32) -> Int32 {
        Darwin.poll(poll, count, timeout)
    }
#endif
