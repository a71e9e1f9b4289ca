import Foundation
public import MaxCore
import NIOCore
import NIOPosix

/// One side of a JSON-RPC 2.0 conversation over a pair of pipes, one message per line: the
/// connector protocol's transport (see `docs/connector-protocol.md`).
///
/// Either side may call the other: ``call(_:_:)`` sends a request and waits for its answer, and
/// requests from the other side go to the handler given to ``run(input:output:handler:)``, each in
/// a child task, so a slow one never holds up the others. A line longer than the limit, or one that
/// is not a JSON-RPC message, ends the conversation with `connector.protocol`; when the other side
/// closes its output, every call still waiting fails with `connector.crashed`.
public actor RPCConnection {
    /// Answers a request from the other side: the method and its params, the result or a thrown
    /// `MaxError` (sent back as the error's code, message and hint).
    public typealias Handler = @Sendable (_ method: String, _ params: JSONValue) async throws -> JSONValue

    /// The longest line accepted, in bytes.
    public let maximumLineLength: Int
    private var outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>?
    /// The calls waiting for answers (shared with their cancellation handlers).
    private nonisolated let calls = CallTable()
    private var nextID = 1
    private var ended: MaxError?
    /// Calls made before ``run(input:output:handler:)`` opened the pipes, waiting for it.
    private var opening: [CheckedContinuation<Void, Never>] = []

    /// A connection that has not started.
    public init(maximumLineLength: Int = 16 << 20) {
        self.maximumLineLength = maximumLineLength
    }

    /// Talks over `input` (read) and `output` (written) until the other side closes `input`, or a
    /// protocol error; the descriptors are closed when it returns.
    ///
    /// - Parameters:
    ///   - input: The descriptor messages arrive on.
    ///   - output: The descriptor messages are written to.
    ///   - handler: Answers the other side's requests.
    /// - Throws: `connector.protocol` when the other side wrote something that is not the protocol.
    public func run(input: CInt, output: CInt, handler: @escaping Handler) async throws {
        let limit = maximumLineLength
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await Self.open(input: input, output: output, maximumLineLength: limit)
        } catch {
            let failure = MaxError(.connectorCrashed, "the connector's pipes could not be opened: \(error)")
            end(failure)
            throw failure
        }
        var failure: MaxError?
        do {
            try await channel.executeThenClose { inbound, outbound in
                self.opened(outbound)
                try await withThrowingDiscardingTaskGroup { group in
                    for try await line in inbound {
                        switch try Self.message(line) {
                        case .request(let id, let method, let params):
                            group.addTask { await self.answer(id: id, method: method, params: params, handler) }
                        case .notification:
                            break  // none is defined yet; ignored as JSON-RPC allows
                        case .response(let id, let result):
                            resolve(id: id, with: result)
                        }
                    }
                }
            }
        } catch let error as MaxError {
            failure = error
        } catch let error as LineFrameDecoder.TooLong {
            failure = WireFormat.protocolError("a line of more than \(error.limit) bytes")
        } catch {
            failure = MaxError(.connectorCrashed, "the connection ended: \(error)")
        }

        end(failure ?? MaxError(.connectorCrashed, "the other side closed the connection"))
        outbound = nil
        if let failure, failure.code == .connectorProtocol { throw failure }
    }

    private static func open(input: CInt, output: CInt, maximumLineLength limit: Int) async throws
        -> NIOAsyncChannel<ByteBuffer, ByteBuffer>
    {
        try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            // The end of the input must not close the output: answers may still be on their way.
            .channelOption(.allowRemoteHalfClosure, value: true)
            .takingOwnershipOfDescriptors(input: input, output: output) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineFrameDecoder(maximumLength: limit)))
                    // Finishing the writer closes our output: the other side sees the end of its input.
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
    }

    /// Calls `method` on the other side and waits for its answer.
    ///
    /// Cancelling the calling task stops the wait at once with `CancellationError`; an answer
    /// that comes later is ignored. (The other side is not told: the subprocess client ends the
    /// process of a cancelled call.)
    ///
    /// - Returns: The result.
    /// - Throws: The other side's error (its code, message and hint); `connector.crashed` when
    ///   the connection ends first; `CancellationError` when the task is cancelled.
    public func call(_ method: String, _ params: JSONValue = [:]) async throws -> JSONValue {
        if outbound == nil, ended == nil {
            await withCheckedContinuation { opening.append($0) }
        }
        if let ended { throw ended }
        guard let outbound else { throw MaxError(.connectorCrashed, "the connection is not open") }
        let id = nextID
        nextID += 1
        let message: JSONValue = ["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params]
        let calls = calls
        calls.expect(id)
        return try await withTaskCancellationHandler {
            do {
                // The actor is free while the pipe takes the line; an answer that arrives meanwhile
                // is kept until the call waits for it.
                try await outbound.write(Self.line(message))
            } catch {
                calls.forget(id)
                throw ended ?? MaxError(.connectorCrashed, "could not write to the connector: \(error)")
            }
            return try await withCheckedThrowingContinuation { continuation in
                calls.wait(id, continuation)
            }
        } onCancel: {
            calls.cancel(id)
        }
    }

    /// Closes the writing side: the other side sees the end of its input.
    public func finish() {
        outbound?.finish()
    }

    private func answer(id: JSONValue, method: String, params: JSONValue, _ handler: Handler) async {
        var reply: [String: JSONValue] = ["jsonrpc": "2.0", "id": id]
        do {
            reply["result"] = try await handler(method, params)
        } catch {
            let maxError = error as? MaxError ?? MaxError(.internalError, "\(error)")
            reply["error"] = Self.errorObject(maxError)
        }
        try? await outbound?.write(Self.line(.object(reply)))
    }

    /// One message as its protocol line: compact JSON and a newline.
    private static func line(_ message: JSONValue) -> ByteBuffer {
        var bytes = message.jsonBytes
        bytes.append(UInt8(ascii: "\n"))
        return ByteBuffer(bytes: bytes)
    }

    private func resolve(id: Int, with result: Result<JSONValue, any Error>) {
        calls.resolve(id, with: result)
    }

    private func opened(_ writer: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        outbound = writer
        let waiting = opening
        opening = []
        for continuation in waiting { continuation.resume() }
    }

    private func end(_ error: MaxError) {
        ended = error
        let unopened = opening
        opening = []
        for continuation in unopened { continuation.resume() }
        calls.end(error)
    }

    // MARK: Messages

    enum Message {
        case request(id: JSONValue, method: String, params: JSONValue)
        case notification(method: String)
        case response(id: Int, Result<JSONValue, any Error>)
    }

    /// A line read as a JSON-RPC message.
    static func message(_ line: ByteBuffer) throws -> Message {
        let text = String(buffer: line)
        guard let json = try? JSONValue(parsing: text), json["jsonrpc"] == "2.0" else {
            throw WireFormat.protocolError("a line that is not a JSON-RPC 2.0 message: \(text.prefix(120))")
        }
        if let method = json["method"]?.stringValue {
            guard let id = json["id"] else { return .notification(method: method) }
            return .request(id: id, method: method, params: json["params"] ?? [:])
        }
        guard let id = json["id"]?.intValue else {
            throw WireFormat.protocolError("an answer without an id Max gave: \(text.prefix(120))")
        }
        if let error = json["error"] { return .response(id: id, .failure(Self.error(from: error))) }
        return .response(id: id, .success(json["result"] ?? .null))
    }

    /// The JSON-RPC error object for `error`: code -32000 for a Max error (its code, category and
    /// hint in `data`), -32601 for an unknown method.
    static func errorObject(_ error: MaxError) -> JSONValue {
        // JSON-RPC's own code and message, and Max's one error form as the data.
        [
            "code": .int(error.code == .rpcMethodNotFound ? -32601 : -32000), "message": .string(error.message),
            "data": error.json,
        ]
    }

    /// The Max error an error object stands for: its `data` in Max's error form (the message may
    /// be left to the object's own), else a `connector.failed` with the message.
    static func error(from object: JSONValue) -> MaxError {
        if case .object(var data) = object["data"] {
            if data["message"] == nil { data["message"] = object["message"] }
            if data["category"] == nil { data["category"] = "permanent" }
            if let error = MaxError(answer: .object(data)) { return error }
        }
        return MaxError(.connectorFailed, object["message"]?.stringValue ?? "the connector failed")
    }
}

extension MaxError.Code {
    /// A connector protocol request named a method the other side does not have.
    public static let rpcMethodNotFound = Self(domain: "connector", name: "unknown_method", category: .permanent)
}

/// Splits bytes into lines (without their `\n`), refusing a line longer than `maximumLength`.
///
/// Each byte is looked at once: the search for the newline resumes where the last one stopped,
/// and gives up as soon as the line under way is over the limit.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    struct TooLong: Error {
        let limit: Int
    }

    let maximumLength: Int
    /// How many bytes of the line under way have been searched already.
    private var searched = 0

    init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        let start = view.startIndex + searched
        guard let newline = view[start...].firstIndex(of: UInt8(ascii: "\n")) else {
            searched = view.count
            if searched > maximumLength { throw TooLong(limit: maximumLength) }
            return .needMoreData
        }
        searched = 0
        let length = newline - view.startIndex
        if length > maximumLength { throw TooLong(limit: maximumLength) }
        guard let line = buffer.readSlice(length: length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 1)
        if line.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(line)) }
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // A last line without its newline still counts.
        if buffer.readableBytes > 0, let line = buffer.readSlice(length: buffer.readableBytes) {
            context.fireChannelRead(wrapInboundOut(line))
        }
        searched = 0
        return .needMoreData
    }
}
