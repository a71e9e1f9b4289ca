public import Foundation
import HTTPTypes
import Hummingbird
import Logging
public import MaxCore
import NIOCore
import ServiceLifecycle

/// A request as a simulator sees it.
public struct SimulatedRequest: Sendable {
    /// The method (`GET`, `POST`).
    public let method: String
    /// The path, without the query.
    public let path: String
    /// The query parameters.
    public let query: [String: String]
    /// The headers, names lowercased.
    public let headers: [String: String]
    /// The body as JSON, if it is JSON.
    public let body: JSONValue?
}

/// A simulator's answer.
public struct SimulatedResponse: Sendable {
    /// The status.
    public var status: Int
    /// The headers.
    public var headers: [(String, String)]
    /// The body (JSON text), if any.
    public var body: String?

    /// An answer with a JSON body.
    public init(status: Int = 200, json: JSONValue?, headers: [(String, String)] = []) {
        self.status = status
        self.headers = headers
        self.body = json?.jsonText
    }
}

/// A service simulated in memory: answers one request at a time, at a given time.
public protocol SimulatedService: Sendable {
    /// Answers `request`, received at `now`.
    func respond(to request: SimulatedRequest, at now: Date) -> SimulatedResponse
}

/// Serves a ``SimulatedService`` over HTTP on a free loopback port (Hummingbird).
public enum SimulatorServer {
    /// Runs `service` while `body` runs, with the server's base URL (`http://127.0.0.1:PORT`).
    public static func withRunning<T: Sendable>(
        _ service: some SimulatedService, port: Int = 0, _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        let router = Router(context: BasicRequestContext.self)
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            var request = request
            let bytes = try await request.collectBody(upTo: 16 * 1024 * 1024)
            let data = Data(bytes.readableBytesView)
            let json = data.isEmpty ? nil : (try? JSONValue(parsing: String(decoding: data, as: UTF8.self)))
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            // HTTP/1.1's Host header arrives as the request's authority.
            if let authority = request.head.authority { headers["host"] = authority }
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
            let simulated = SimulatedRequest(
                method: request.method.rawValue, path: request.uri.path, query: query, headers: headers, body: json)
            let answer = service.respond(to: simulated, at: Date())
            var fields = HTTPFields()
            for (name, value) in answer.headers {
                if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
            }
            if answer.body != nil && fields[.contentType] == nil {
                fields[.contentType] = "application/json; charset=utf-8"
            }
            return Response(
                status: HTTPResponse.Status(code: answer.status), headers: fields,
                body: ResponseBody(byteBuffer: ByteBuffer(string: answer.body ?? "")))
        }
        for method in [HTTPRequest.Method.get, .post, .patch, .put, .delete] {
            router.on("**", method: method, use: handler)
        }
        var logger = Logger(label: "simulator")
        logger.logLevel = .critical
        let (readiness, continuation) = AsyncStream<String>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "simulator"),
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
            guard let url = await iterator.next() else {
                try await group.waitForAll()
                throw CancellationError()
            }
            let result: Result<T, any Error>
            do {
                result = .success(try await body(url))
            } catch {
                result = .failure(error)
            }
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
            return try result.get()
        }
    }
}
