import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MaxConnector
import MaxCore
import NIOCore
import ServiceLifecycle
import Synchronization

/// A reverse proxy between a connector and its source, run by `max connector certify`.
///
/// Every request to the proxy's origin goes to the source's, and the source's own origin in answers
/// (pagination links, `Location`) is rewritten to the proxy's, so a connector that follows links
/// stays behind it. A ``FaultPlan`` decides which requests fail and how; every exchange is
/// recorded.
///
/// ```swift
/// let proxy = FaultProxy(upstream: "http://127.0.0.1:8080")
/// try await proxy.run { origin in
///     _ = proxy.begin(FaultPlan(.rateLimitStorm))
///     // sync through `origin`…
///     let findings = proxy.end()
/// }
/// ```
public final class FaultProxy: Sendable {
    /// One request and what became of it.
    public struct Exchange: Sendable, Hashable {
        /// The request as reports show it: method, path and query, sensitive values hidden.
        public var request: String
        /// The status the connector received (0 until the exchange ends).
        public var status: Int
        /// The fault injected, if any (`429`, `503`, `stall`, `truncate`, `mutate`).
        public var fault: String?
        /// When it arrived, since the proxy started.
        public var arrived: Duration
        /// How long the answer took.
        public var duration: Duration
    }

    /// What the proxy saw during one phase.
    public struct Findings: Sendable {
        /// The plan, with what it injected and the early retries it saw.
        public var plan: FaultPlan
        /// Every exchange, in arrival order.
        public var exchanges: [Exchange]
        /// The most requests in flight at once.
        public var peakConcurrency: Int
        /// What the fuzzer changed, one line per change.
        public var mutations: [String]
    }

    private struct State {
        var plan = FaultPlan(.none)
        var exchanges: [Exchange] = []
        var mutations: [String] = []
        var inFlight = 0
        var peak = 0
        var stalled: [CheckedContinuation<Void, Never>] = []
    }

    /// The source's origin (`http://127.0.0.1:8080`), without a trailing slash.
    public let upstream: String
    private let state = Mutex(State())
    private let started = ContinuousClock.now
    private let client: ConnectorHTTPClient

    /// A proxy for the source at `upstream` (scheme, host and port; a path is ignored).
    public init(upstream: String) {
        self.upstream = Self.origin(of: upstream) ?? upstream
        var client = ConnectorHTTPClient(timeout: .seconds(120), followsRedirects: false)
        client.retryPolicy = .none
        self.client = client
    }

    /// The origin (scheme, host and port) of `url`, or `nil` if it has none.
    public static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host
        else { return nil }
        return "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")"
    }

    /// Starts a phase under `plan`; requests held by the phase before are released.
    public func begin(_ plan: FaultPlan) {
        let released = state.withLock { state in
            state.plan = plan
            state.exchanges = []
            state.mutations = []
            state.peak = state.inFlight
            defer { state.stalled = [] }
            return state.stalled
        }
        for continuation in released { continuation.resume() }
    }

    /// Ends the phase: releases what it holds and returns what it saw.
    ///
    /// Faults stop until the next ``begin(_:)``.
    @discardableResult
    public func end() -> Findings {
        let (findings, released) = state.withLock { state in
            let findings = Findings(
                plan: state.plan, exchanges: state.exchanges, peakConcurrency: state.peak, mutations: state.mutations)
            state.plan = FaultPlan(.none)
            defer { state.stalled = [] }
            return (findings, state.stalled)
        }
        for continuation in released { continuation.resume() }
        return findings
    }

    /// Runs the proxy on a free loopback port while `body` runs, with its origin
    /// (`http://127.0.0.1:PORT`).
    public func run<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router(context: BasicRequestContext.self)
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            try await self.handle(request)
        }
        for method in [HTTPRequest.Method.get, .post, .patch, .put, .delete] {
            router.on("**", method: method, use: handler)
            router.on("/", method: method, use: handler)
        }
        var logger = Logger(label: "max.certify.proxy")
        logger.logLevel = .critical
        let (readiness, continuation) = AsyncStream<String>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "max-certify"),
            onServerRunning: { channel in
                continuation.yield("http://127.0.0.1:\(channel.localAddress?.port ?? 0)")
            }, logger: logger)
        let services = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await services.run()
            }
            var iterator = readiness.makeAsyncIterator()
            guard let origin = await iterator.next() else {
                try await group.waitForAll()
                throw CancellationError()
            }
            let result: Result<T, any Error>
            do {
                result = .success(try await body(origin))
            } catch {
                result = .failure(error)
            }
            end()
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
            return try result.get()
        }
    }

    private func handle(_ incoming: Request) async throws -> Response {
        var incoming = incoming
        let arrived = ContinuousClock.now - started
        let body = Data(try await incoming.collectBody(upTo: 64 << 20).readableBytesView)
        let target = incoming.uri.string
        let shown = "\(incoming.method.rawValue) \(Self.shown(target))"
        let key = "\(incoming.method.rawValue) \(target) \(body.count):\(body.hashValue)"
        let own = Self.origin(of: "http://\(incoming.head.authority ?? "127.0.0.1")") ?? ""
        let decision = state.withLock { state in
            state.inFlight += 1
            state.peak = max(state.peak, state.inFlight)
            return state.plan.decide(key, shown: shown, at: arrived)
        }
        var exchange = Exchange(request: shown, status: 0, fault: nil, arrived: arrived, duration: .zero)
        defer {
            exchange.duration = ContinuousClock.now - started - arrived
            let recorded = exchange
            state.withLock { state in
                state.inFlight -= 1
                state.exchanges.append(recorded)
            }
        }
        switch decision {
        case .answer(let status, let retryAfter):
            exchange.status = status
            exchange.fault = "\(status)"
            var fields = HTTPFields()
            fields[.contentType] = "application/json"
            if let retryAfter { fields[.retryAfter] = "\(retryAfter)" }
            let text = #"{"error":"injected by max connector certify (\#(status))"}"#
            return Response(
                status: .init(code: status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        case .stall:
            exchange.fault = "stall"
            await withCheckedContinuation { continuation in
                let held = state.withLock { state in
                    guard state.plan.scenario == .timeouts else { return false }
                    state.stalled.append(continuation)
                    return true
                }
                if !held { continuation.resume() }
            }
            exchange.status = 504
            return Response(status: .gatewayTimeout)
        case .forward:
            break
        }
        guard let method = ConnectorHTTPClient.Method(rawValue: incoming.method.rawValue) else {
            exchange.status = 405
            return Response(status: .methodNotAllowed)
        }
        var headers: [(String, String)] = []
        for field in incoming.headers where !Self.hopByHop.contains(field.name.canonicalName.lowercased()) {
            headers.append((field.name.canonicalName, field.value))
        }
        let answer: ConnectorHTTPClient.Response
        do {
            answer = try await client.send(
                .init(method, upstream + target, headers: headers, body: body.isEmpty ? nil : body))
        } catch {
            exchange.status = 502
            return Response(
                status: .badGateway,
                body: ResponseBody(byteBuffer: ByteBuffer(string: "the certification proxy cannot reach \(upstream)")))
        }
        var fields = HTTPFields()
        var isJSON = false
        for (name, value) in answer.headers where !Self.hopByHop.contains(name.lowercased()) {
            guard let name = HTTPField.Name(name) else { continue }
            if name == .contentType, value.lowercased().contains("json") { isJSON = true }
            fields.append(HTTPField(name: name, value: value.replacingOccurrences(of: upstream, with: own)))
        }
        var data = answer.body
        if let text = String(data: data, encoding: .utf8), text.contains(upstream) || text.contains(escaped(upstream)) {
            data = Data(
                text.replacingOccurrences(of: upstream, with: own)
                    .replacingOccurrences(of: escaped(upstream), with: escaped(own)).utf8)
        }
        let alteration = state.withLock { $0.plan.alter(key, status: answer.status, isJSON: isJSON) }
        switch alteration {
        case .keep: break
        case .truncate:
            exchange.fault = "truncate"
            data = data.count > 1 ? data.prefix(data.count / 2) : Data("{".utf8)
        case .mutate(let seed):
            if let document = try? JSONValue(parsing: String(decoding: data, as: UTF8.self)) {
                let (mutated, changes) = ResponseFuzzer.mutate(document, seed: seed)
                exchange.fault = "mutate"
                data = Data(mutated.jsonText.utf8)
                state.withLock { $0.mutations += changes.map { "\(shown): \($0)" } }
            }
        }
        exchange.status = answer.status
        return Response(
            status: .init(code: answer.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    private func escaped(_ origin: String) -> String { origin.replacingOccurrences(of: "/", with: "\\/") }

    /// Headers that belong to one connection, or that the proxy recomputes.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "transfer-encoding", "content-length", "host", "accept-encoding",
        "content-encoding", "upgrade", "proxy-connection", "te", "trailer",
    ]

    /// `target` (a path with its query) with the values of query keys that may hold secrets hidden.
    static func shown(_ target: String) -> String {
        guard let mark = target.firstIndex(of: "?") else { return target }
        let path = target[..<mark]
        let pairs = target[target.index(after: mark)...].split(separator: "&").map { pair -> String in
            let parts = pair.split(separator: "=", maxSplits: 1)
            let name = parts.first.map(String.init) ?? ""
            let sensitive = ["token", "key", "secret", "password", "auth", "sig", "code"].contains {
                name.lowercased().contains($0)
            }
            return sensitive ? "\(name)=…" : String(pair)
        }
        return "\(path)?\(pairs.joined(separator: "&"))"
    }
}
