import AsyncHTTPClient
public import Foundation
public import Logging
public import MaxCore
import NIOCore
import NIOHTTP1
import NIOSSL

/// The HTTP client every connector shares, so the runtime's policies (timeouts, retries, rate
/// limits) apply to all connectors at once.
///
/// ``send(_:)`` retries transient failures under ``retryPolicy``: a connection that fails, a timeout,
/// a 5xx (but 501), a 429. A `Retry-After` (seconds or an HTTP date) on a 429 or 503 sets the wait;
/// otherwise the wait is exponential backoff with full jitter. POST and PATCH, which may not be safe
/// to repeat, are retried only after a 429 or 503 (the server did not process them) or a refused
/// connection, unless the request says it is ``Request/repeatable`` (a GraphQL query). Every
/// attempt first passes the installation's ``limiter``, whose rate halves on a 429 and recovers
/// gradually.
///
/// Failures come back as `MaxError`s with stable codes: `http.unreachable` when the host cannot be
/// reached, `http.timeout`, and from ``Response/requireSuccess()`` `http.unauthorized`,
/// `http.not_found`, `http.rate_limited`, `http.server_error`, `http.client_error`. Messages name
/// the method, host and path, never headers (which carry credentials) or the query string.
///
/// ```swift
/// let response = try await ConnectorHTTPClient.shared.send(
///     .init(.get, "\(baseURL)/api/tasks?projectId=\(id)", headers: ["Authorization": "Bearer \(token)"]))
/// let tasks = try response.requireSuccess().decode([TaskDTO].self)
/// ```
public struct ConnectorHTTPClient: Sendable {
    /// The client connectors use by default.
    public static let shared = ConnectorHTTPClient()

    /// How long a request may take before it fails with `http.timeout`.
    public var timeout: Duration
    /// The largest response body accepted.
    public var maximumBodySize: Int
    /// Whether 3xx responses are followed (the default) or returned as they are, as a browser
    /// stand-in for OAuth needs.
    public var followsRedirects: Bool
    /// How transient failures are retried: ``RetryPolicy/interactive`` unless the runtime sets an
    /// installation's policy.
    public var retryPolicy: RetryPolicy = .interactive
    /// The installation's flow control, shared by every request it makes; `nil` for none.
    public var limiter: RequestLimiter?
    /// The installation's circuit breaker, shared by every request it makes; `nil` for none.
    public var breaker: RequestBreaker?
    /// The clock retries wait on.
    public var clock: ElapsedClock = .continuous
    /// Told of retries and rate limiting.
    public var observer: (@Sendable (HTTPEvent) -> Void)?
    /// Counts requests, retries and 429s; `nil` to count nothing.
    public var statistics: RequestStatistics?
    /// Where each attempt is logged (method, host and path without the query string, status, time,
    /// the failure's code and the retry decision); never a header or a body.
    public var logger: Logger?
    /// Reads a source's rate-limit headers: given each response (while its concurrency slot is still
    /// held), returns how long no request may go out (a window with nothing left until its reset),
    /// which pauses the ``limiter``; `nil` to read none.
    public var pauseAfter: (@Sendable (Response) -> Duration?)?
    /// The installation's TLS beyond the defaults: a private certificate authority, a client certificate.
    ///
    /// `nil` trusts the system's authorities alone. Certificates are always validated.
    public var tls: TLSSettings?
    /// The TLS of the installation being connected, for the requests of its onboarding.
    ///
    /// Onboarding steps use ``shared``; the runtime sets this around them. ``tls`` takes precedence.
    @TaskLocal public static var installationTLS: TLSSettings?
    /// Where each attempt goes instead of the network, when set.
    ///
    /// A connector served out of process by ``ConnectorHost`` sends its requests to Max this way
    /// (`http/request`), where the installation's own client applies its policies.
    public var transport: (@Sendable (Request) async throws -> Response)?

    /// Creates a client.
    public init(
        timeout: Duration = .seconds(30), maximumBodySize: Int = 64 * 1024 * 1024, followsRedirects: Bool = true
    ) {
        self.timeout = timeout
        self.maximumBodySize = maximumBodySize
        self.followsRedirects = followsRedirects
    }

    /// The request timeout of an installation's `"timeout"` in `max.json` (seconds, above 0 and at
    /// most 3600): `"timeout": 5` fails a request that has not answered in 5 s with `http.timeout`
    /// (a transient failure, retried under the retry policy).
    ///
    /// - Parameters:
    ///   - json: The value.
    ///   - path: Where it is, for errors (`installations.acme.timeout`).
    /// - Returns: The timeout.
    /// - Throws: `connector.invalid_policy` for anything but a number of seconds in range.
    public static func timeout(from json: JSONValue, at path: String) throws -> Duration {
        try PolicyOverride(key: "timeout", value: json, name: path).seconds(zeroAllowed: false)
    }

    /// The process-wide AsyncHTTPClient instances, one following redirects and one not.
    ///
    /// Like `HTTPClient.shared` they live as long as the process and are never shut down.
    ///
    /// Connection failures are not retried inside AsyncHTTPClient (its default retries until the
    /// request's deadline, so an unreachable host took the whole timeout to report): they fail at
    /// once as `http.unreachable`, a transient error that Max's own retry policy decides about.
    private static let following = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: configuration(redirects: .follow(max: 10, allowCycles: false)))
    private static let nonRedirecting = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration(redirects: .disallow))

    private static func configuration(redirects: HTTPClient.Configuration.RedirectConfiguration)
        -> HTTPClient.Configuration
    {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: redirects, timeout: .init(connect: .seconds(10), read: .seconds(60)),
            decompression: .disabled)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 16
        return configuration
    }

    /// Sends `request`, retrying transient failures, and returns the response, whatever its status.
    ///
    /// A response that is still a 429 or 5xx when the retries are spent is returned as it is (its
    /// ``Response/attempts`` says how many were made); ``Response/requireSuccess()`` turns it into an
    /// error.
    ///
    /// - Throws: `http.unreachable` or `http.timeout` when the last attempt failed so;
    ///   `http.invalid_request` for a malformed URL; `CancellationError`.
    public func send(_ request: Request) async throws -> Response {
        var schedule = RetrySchedule(policy: retryPolicy)
        let started = clock.elapsed()
        let repeatable = request.repeatable ?? ![.post, .patch].contains(request.method)
        while true {
            try Task.checkCancellation()
            if let breaker, let changed = try await breaker.admit() {
                observer?(.breaker(state: changed, host: breaker.host))
            }
            try await limiter?.acquire()
            let failure: RetrySchedule.Failure
            let code: MaxError.Code
            var result: Result<Response, MaxError>
            statistics?.countRequest()
            let attemptStarted = clock.elapsed()
            var attemptLogger = logger
            attemptLogger?[metadataKey: "http.request"] = "\(request.method.rawValue) \(Self.redact(request.url))"
            attemptLogger?[metadataKey: "http.request_id"] = "\(String(UInt32.random(in: .min ... .max), radix: 16))"
            attemptLogger?[metadataKey: "http.attempt"] = "\(schedule.attempts + 1)"
            defer { attemptLogger?.info("request finished") }
            do {
                var response = try await attempt(request)
                attemptLogger?[metadataKey: "http.status"] = "\(response.status)"
                response.attempts = schedule.attempts + 1
                result = .success(response)
                switch response.status {
                case 429:
                    let retryAfter = Self.retryAfter(response.header("Retry-After"))
                    statistics?.countRateLimited()
                    observer?(.rateLimited(request: response.requestDescription, wait: retryAfter, rate: limiter?.rate))
                    (failure, code) = (.transient(retryAfter: retryAfter), .httpRateLimited)
                case 503:
                    (failure, code) = (
                        .transient(retryAfter: Self.retryAfter(response.header("Retry-After"))), .httpServerError
                    )
                case 500..<600 where response.status != 501 && repeatable:
                    (failure, code) = (.transient(retryAfter: nil), .httpServerError)
                default:
                    attemptLogger?[metadataKey: "http.duration_ms"] =
                        "\((clock.elapsed() - attemptStarted).milliseconds)"
                    limiter?.succeeded()
                    if let changed = breaker?.record(failure: nil), let breaker {
                        observer?(.breaker(state: changed, host: breaker.host))
                    }
                    return response
                }
            } catch let error as MaxError {
                if Task.isCancelled { throw CancellationError() }
                attemptLogger?[metadataKey: "error.code"] = "\(error.code)"
                attemptLogger?[metadataKey: "error.category"] = "\(error.category.rawValue)"
                result = .failure(error)
                let refused = error.code == .httpUnreachable && error.context["refused"] == "true"
                let retryable = error.category.isRetryable && (repeatable || refused)
                (failure, code) = (retryable ? .transient(retryAfter: nil) : .permanent, error.code)
            }
            attemptLogger?[metadataKey: "http.duration_ms"] = "\((clock.elapsed() - attemptStarted).milliseconds)"
            if let breaker {
                // Only a source that is unwell trips the breaker: not a 429, not a 4xx answer.
                let unwell: MaxError? =
                    switch result {
                    case .success(let response) where response.status >= 500:
                        MaxError(.httpServerError, "\(response.requestDescription) answered \(response.status)")
                    case .failure(let error) where error.category.isRetryable: error
                    default: nil
                    }
                if let changed = breaker.record(failure: unwell) {
                    observer?(.breaker(state: changed, host: breaker.host))
                }
            }
            let elapsed = clock.elapsed() - started
            switch schedule.next(after: failure, elapsed: elapsed, random: Double.random(in: 0..<1)) {
            case .retry(let wait):
                attemptLogger?[metadataKey: "retry.wait_ms"] = "\(wait.milliseconds)"
                statistics?.countRetry()
                observer?(
                    .retrying(
                        request: "\(request.method.rawValue) \(Self.redact(request.url))", attempt: schedule.attempts,
                        wait: wait, code: code))
                if wait > .zero { try await clock.sleep(wait) }
            case .giveUp:
                switch result {
                case .success(let response): return response
                case .failure(var error):
                    if schedule.attempts > 1 {
                        error.message += " (after \(schedule.attempts) attempts)"
                        error.context["attempts"] = String(schedule.attempts)
                    }
                    throw error
                }
            }
        }
    }

    /// `Retry-After` as a wait: delay-seconds, or an HTTP date from now; `nil` when absent or
    /// unreadable.
    public static func retryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value) { return seconds >= 0 ? .seconds(seconds) : nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(max(0, Int64(date.timeIntervalSince(now) * 1000)))
    }

    /// One attempt, holding one of the limiter's concurrency slots while it is in flight (and while
    /// a pause the source asked for lasts).
    private func attempt(_ request: Request) async throws -> Response {
        await limiter?.enter()
        defer { limiter?.leave() }
        try await limiter?.waitOutPause()
        let response = try await sendOnce(request)
        // Before the slot is given back, so the next request already sees the slower rate and the pause.
        if response.status == 429 { limiter?.throttled(retryAfter: Self.retryAfter(response.header("Retry-After"))) }
        if let wait = pauseAfter?(response), wait > .zero { limiter?.pause(for: wait) }
        return response
    }

    /// One attempt.
    private func sendOnce(_ request: Request) async throws -> Response {
        guard let url = URL(string: request.url), let host = url.host, !host.isEmpty,
            let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https"
        else {
            throw MaxError(
                .httpInvalidRequest, "'\(Self.redact(request.url))' is not an http(s) URL",
                context: ["url": Self.redact(request.url)])
        }
        if let transport { return try await transport(request) }
        var outgoing = HTTPClientRequest(url: request.url)
        if scheme == "https", let tls = tls ?? Self.installationTLS {
            outgoing.tlsConfiguration = try tls.configuration()
        }
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        for (name, value) in request.headers {
            outgoing.headers.add(name: name, value: value)
        }
        if let body = request.body {
            outgoing.body = .bytes(ByteBuffer(bytes: body))
        }
        let description = "\(request.method.rawValue) \(Self.redact(request.url))"
        do {
            let client = followsRedirects ? Self.following : Self.nonRedirecting
            let response = try await client.execute(outgoing, timeout: .nanoseconds(timeout.nanoseconds))
            let body = try await response.body.collect(upTo: maximumBodySize)
            return Response(
                status: Int(response.status.code),
                headers: response.headers.map { ($0.name, $0.value) },
                body: Data(body.readableBytesView),
                requestDescription: description)
        } catch let error as MaxError {
            throw error
        } catch {
            throw Self.convert(error, description: description, host: host)
        }
    }

    /// The URL without its query string or user info, for messages.
    static func redact(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "<invalid URL>" }
        components.query = nil
        components.user = nil
        components.password = nil
        components.fragment = nil
        return components.string ?? "<invalid URL>"
    }

    /// What a TLS failure's text says, in words.
    static func tlsReason(_ text: String) -> String {
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed") {
            return "its certificate is not signed by an authority Max trusts"
        }
        if text.contains("CERTIFICATE_REQUIRED") || text.contains("certificate required") {
            return "it requires a client certificate"
        }
        if text.contains("BAD_CERTIFICATE") || text.contains("UNKNOWN_CA") {
            return "it refused the client certificate"
        }
        return "the connection was refused during the handshake"
    }

    private static func convert(_ error: any Error, description: String, host: String) -> MaxError {
        let text = String(describing: error)
        if let clientError = error as? HTTPClientError,
            clientError == .deadlineExceeded || clientError == .readTimeout || clientError == .connectTimeout
        {
            return MaxError(
                .httpTimeout, "\(description) timed out", hint: "check that \(host) is up and responding",
                context: ["host": host], cause: ForeignError(text))
        }
        if error is NIOSSLError || error is BoringSSLError || text.contains("CERTIFICATE_VERIFY_FAILED")
            || text.contains("handshakeFailed")
        {
            return MaxError(
                .httpTLSFailed, "the TLS handshake with \(host) failed (\(description)): \(Self.tlsReason(text))",
                hint:
                    "if \(host) uses a private certificate authority, give it on the installation (\"tls\": {\"ca\": \"ca.pem\"}, or max connect --tls-ca); if it asks for a client certificate, connect with --tls-client-certificate and --tls-client-key",
                context: ["host": host], cause: ForeignError(text))
        }
        if let clientError = error as? HTTPClientError, clientError == .bodyLengthMismatch {
            return MaxError(
                .httpUnreachable, "\(description) ended early", context: ["host": host], cause: ForeignError(text))
        }
        if error is NIOTooManyBytesError {
            return MaxError(
                .httpClientError, "\(description) returned a response too large to read", context: ["host": host])
        }
        // A refused connection means the request was never sent, so even a POST may be retried.
        let refused = text.contains("connectionRefused") || text.contains("Connection refused")
        return MaxError(
            .httpUnreachable, "cannot reach \(host) (\(description))",
            hint: "check the URL and that the service is running and reachable from this machine",
            context: ["host": host, "refused": String(refused)], cause: ForeignError(text))
    }
}

extension ConnectorHTTPClient {
    /// An HTTP method.
    public enum Method: String, Sendable, Hashable {
        /// GET.
        case get = "GET"
        /// POST.
        case post = "POST"
        /// PUT.
        case put = "PUT"
        /// PATCH.
        case patch = "PATCH"
        /// DELETE.
        case delete = "DELETE"
    }

    /// A request.
    public struct Request: Sendable {
        /// The method.
        public var method: Method
        /// The absolute URL.
        public var url: String
        /// Header names and values.
        ///
        /// Never logged or put in errors.
        public var headers: [(String, String)]
        /// The body, if any.
        public var body: Data?
        /// Whether repeating the request cannot change the source.
        ///
        /// Any transient failure of a repeatable request may be retried; `nil` decides by method
        /// (POST and PATCH are not repeatable). A GraphQL query sent by POST is.
        public var repeatable: Bool?

        /// Creates a request.
        public init(_ method: Method, _ url: String, headers: [(String, String)] = [], body: Data? = nil) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
        }

        /// Creates a request whose body is `value` as JSON.
        public init<Body: Encodable>(
            _ method: Method, _ url: String, headers: [(String, String)] = [], json value: Body
        )
            throws
        {
            self.init(
                method, url, headers: headers + [("Content-Type", "application/json")],
                body: try JSONEncoder().encode(value))
        }
    }

    /// A response.
    public struct Response: Sendable {
        /// The status code.
        public let status: Int
        /// Header names and values.
        public let headers: [(String, String)]
        /// The body.
        public let body: Data
        /// `GET https://host/path`, for messages.
        public let requestDescription: String
        /// How many attempts ``ConnectorHTTPClient/send(_:)`` made to get it.
        public var attempts = 1

        /// Creates a response.
        public init(status: Int, headers: [(String, String)], body: Data, requestDescription: String) {
            self.status = status
            self.headers = headers
            self.body = body
            self.requestDescription = requestDescription
        }

        /// The first value of the header `name` (case-insensitive).
        public func header(_ name: String) -> String? {
            headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
        }

        /// Whether the status is 2xx.
        public var isSuccess: Bool { (200..<300).contains(status) }

        /// This response if its status is 2xx.
        ///
        /// - Throws: `http.unauthorized` (401, 403), `http.not_found` (404), `http.rate_limited` (429,
        ///   with `retryAfter` in the context when the server said), `http.server_error` (5xx), or
        ///   `http.client_error` (other 4xx). The message carries the server's `error` text if its
        ///   body is JSON with one.
        @discardableResult
        public func requireSuccess() throws -> Response {
            guard !isSuccess else { return self }
            let detail = (serverMessage.map { ": \($0)" } ?? "") + (attempts > 1 ? " (after \(attempts) attempts)" : "")
            var context = ["status": String(status)]
            if attempts > 1 { context["attempts"] = String(attempts) }
            switch status {
            case 401, 403:
                throw MaxError(
                    .httpUnauthorized, "\(requestDescription) was refused (\(status))\(detail)", context: context)
            case 404:
                throw MaxError(.httpNotFound, "\(requestDescription) found nothing (404)\(detail)", context: context)
            case 429:
                if let retryAfter = header("Retry-After") { context["retryAfter"] = retryAfter }
                throw MaxError(
                    .httpRateLimited, "\(requestDescription) was rate limited (429)\(detail)",
                    hint:
                        "the service kept refusing after Max slowed down and retried; try again later, or lower the installation's \"rateLimit\" in max.json",
                    context: context)
            case 500...:
                throw MaxError(
                    .httpServerError, "\(requestDescription) failed on the server (\(status))\(detail)",
                    context: context)
            default:
                throw MaxError(
                    .httpClientError, "\(requestDescription) was rejected (\(status))\(detail)", context: context)
            }
        }

        /// The body decoded from JSON.
        ///
        /// - Throws: `http.invalid_response`, naming what did not decode.
        public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
            do {
                return try JSONDecoder().decode(T.self, from: body)
            } catch {
                throw MaxError(
                    .httpInvalidResponse, "\(requestDescription) returned a body that is not the expected JSON",
                    context: ["status": String(status)], cause: ForeignError(String(describing: error)))
            }
        }

        /// The body read with a ``JSONReader``.
        ///
        /// Faster than ``decode(_:)`` for large pages, since `body` can build what the connector
        /// needs straight from the bytes. The whole body must be one JSON value.
        ///
        /// - Throws: `http.invalid_response`, naming what did not read and where; what `body` throws
        ///   otherwise.
        public func read<T>(_ body: (inout JSONReader) throws -> T) throws -> T {
            var reader = JSONReader(self.body)
            do {
                let value = try body(&reader)
                try reader.finish()
                return value
            } catch let failure as JSONReader.Failure {
                throw MaxError(
                    .httpInvalidResponse,
                    "\(requestDescription) returned a body that is not the expected JSON: \(failure.message) at byte \(failure.offset)",
                    context: ["status": String(status), "offset": String(failure.offset)])
            }
        }

        /// The `error` text of a JSON error body, shortened.
        private var serverMessage: String? {
            guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
                let message = object["error"] as? String
            else { return nil }
            return String(message.prefix(200))
        }
    }
}

/// A foreign error kept as a cause by its description, so `MaxError` stays `Sendable`.
struct ForeignError: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    fileprivate var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

extension MaxError.Code {
    /// The host could not be reached (refused, unresolvable, reset).
    public static let httpUnreachable = Self(domain: "http", name: "unreachable", category: .transient)
    /// The request took longer than the client's timeout.
    public static let httpTimeout = Self(domain: "http", name: "timeout", category: .transient)
    /// The request could not be made (a malformed URL).
    public static let httpInvalidRequest = Self(domain: "http", name: "invalid_request", category: .validationError)
    /// The server refused the credentials (401 or 403).
    public static let httpUnauthorized = Self(domain: "http", name: "unauthorized", category: .permanent)
    /// The server found nothing at the URL (404).
    public static let httpNotFound = Self(domain: "http", name: "not_found", category: .notFound)
    /// The server asked for fewer requests (429).
    public static let httpRateLimited = Self(domain: "http", name: "rate_limited", category: .transient)
    /// The server failed (5xx).
    public static let httpServerError = Self(domain: "http", name: "server_error", category: .transient)
    /// The server rejected the request (4xx other than the above).
    public static let httpClientError = Self(domain: "http", name: "client_error", category: .permanent)
    /// The response body is not what the connector expected.
    public static let httpInvalidResponse = Self(domain: "http", name: "invalid_response", category: .permanent)
}
