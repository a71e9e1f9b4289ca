import Foundation
import MaxConnector
import MaxCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// Listens on a loopback port for the redirect that ends an OAuth 2.0 authorization (RFC 8252 §7.3).
///
/// It binds `127.0.0.1` on a port the system picks, answers only its callback path, and hands over
/// the query of each redirect whose `state` is the one expected (or that carries an `error`); a
/// redirect with another `state` is answered 400 and ignored, since it did not come from this
/// authorization. The browser gets a short page saying what happened.
///
/// ```swift
/// let receiver = try await LoopbackRedirectReceiver.start(state: state)
/// print("authorize: \(url)?redirect_uri=\(receiver.redirectURI)&…")
/// let query = try await receiver.callback(timeout: .seconds(300))
/// await receiver.close()
/// ```
final class LoopbackRedirectReceiver: Sendable {
    /// The URI to register as `redirect_uri`: `http://127.0.0.1:<port>/callback`.
    let redirectURI: String
    private let channel: any Channel
    private let callbacks: AsyncStream<[String: String]>

    private init(redirectURI: String, channel: any Channel, callbacks: AsyncStream<[String: String]>) {
        self.redirectURI = redirectURI
        self.channel = channel
        self.callbacks = callbacks
    }

    /// Starts listening.
    ///
    /// - Parameter state: The `state` this authorization sent; redirects with another are refused.
    /// - Returns: The receiver, listening on `127.0.0.1` on a port the system chose.
    /// - Throws: `onboarding.oauth_failed` when no loopback port can be bound.
    static func start(state: String) async throws -> LoopbackRedirectReceiver {
        let (callbacks, continuation) = AsyncStream.makeStream(of: [String: String].self)
        let path = "/callback"
        do {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(
                            RedirectHandler(path: path, state: state, deliver: { continuation.yield($0) }))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            guard let port = channel.localAddress?.port else {
                try? await channel.close()
                throw MaxError(.oauthFailed, "the loopback listener for the OAuth redirect has no port")
            }
            channel.closeFuture.whenComplete { _ in continuation.finish() }
            return LoopbackRedirectReceiver(
                redirectURI: "http://127.0.0.1:\(port)\(path)", channel: channel, callbacks: callbacks)
        } catch let error as MaxError {
            throw error
        } catch {
            throw MaxError(
                .oauthFailed, "cannot listen on a loopback port for the OAuth redirect: \(error)",
                hint: "check that 127.0.0.1 is available to this process")
        }
    }

    /// The query of the first redirect that carries this authorization's `state` (or an `error`).
    ///
    /// - Throws: `onboarding.oauth_failed` when none arrives within `timeout` or the listener
    ///   closed; `CancellationError` when the task is cancelled (Ctrl-C).
    func callback(timeout: Duration) async throws -> [String: String] {
        let callbacks = self.callbacks
        return try await withThrowingTaskGroup(of: [String: String]?.self) { group in
            group.addTask {
                for await query in callbacks { return query }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            let first = try await group.next() ?? nil
            try Task.checkCancellation()
            guard let query = first else {
                throw MaxError(
                    .oauthFailed,
                    "no authorization arrived within \(timeout.components.seconds) seconds",
                    hint: "run the command again and open the authorize: URL it prints in a browser")
            }
            return query
        }
    }

    /// Stops listening.
    func close() async {
        try? await channel.close()
    }
}

/// Answers requests to the callback path and hands over their queries.
private final class RedirectHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let path: String
    private let state: String
    private let deliver: @Sendable ([String: String]) -> Void

    init(path: String, state: String, deliver: @escaping @Sendable ([String: String]) -> Void) {
        self.path = path
        self.state = state
        self.deliver = deliver
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let components = URLComponents(string: head.uri)
        let query = Dictionary(
            (components?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
        let status: HTTPResponseStatus
        let text: String
        if components?.path != path || head.method != .GET {
            (status, text) = (.notFound, "Not found.")
        } else if query["state"] != state {
            (status, text) = (.badRequest, "This redirect does not belong to the authorization Max is waiting for.")
        } else if let error = query["error"] {
            deliver(query)
            (status, text) = (
                .ok, "The authorization was not granted (\(Self.printable(error))). You can close this tab."
            )
        } else {
            deliver(query)
            (status, text) = (.ok, "Max received the authorization. You can close this tab.")
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(text.utf8.count))
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Cache-Control", value: "no-store")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    /// An OAuth error code as it may be shown: letters, digits and `_` only.
    private static func printable(_ code: String) -> String {
        String(code.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "_" }.prefix(64))
    }
}
