import Foundation
import MaxConnector
import MaxCore
import MaxTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `max serve` against clients that misbehave: unique paths, idle and slow connections, wrong
/// methods, lowercase schemes, oversized bodies, malformed parameters.
struct ServeHardeningTests {
    /// A plain TCP connection to the server, for what an HTTP client would not send.
    final class RawConnection {
        let descriptor: Int32

        init(port: Int) throws {
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            try #require(connected == 0, "connect: \(errno)")
        }

        deinit { close(descriptor) }

        func send(_ text: String) {
            _ = text.utf8CString.withUnsafeBufferPointer { Glibc.send(descriptor, $0.baseAddress, $0.count - 1, 0) }
        }

        /// Everything the server sends until it closes the connection, or `nil` if it has not
        /// closed it within `limit`.
        func readUntilClosed(within limit: Duration) -> String? {
            let deadline = ContinuousClock.now + limit
            var received: [UInt8] = []
            while ContinuousClock.now < deadline {
                var poll = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                guard Glibc.poll(&poll, 1, 100) > 0 else { continue }
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = recv(descriptor, &buffer, buffer.count, 0)
                if count <= 0 { return String(decoding: received, as: UTF8.self) }
                received += buffer[..<count]
            }
            return nil
        }
    }

    static func port(of base: String) throws -> Int {
        try #require(URLComponents(string: base)?.port)
    }

    static func send(
        _ method: ConnectorHTTPClient.Method, _ url: String, headers: [(String, String)] = [], body: Data? = nil
    ) async throws -> ConnectorHTTPClient.Response {
        var http = ConnectorHTTPClient(timeout: .seconds(20))
        http.retryPolicy = .none
        return try await http.send(ConnectorHTTPClient.Request(method, url, headers: headers, body: body))
    }

    static func header(_ response: ConnectorHTTPClient.Response, _ name: String) -> String? {
        response.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    @Test func refusalsAreExactAndSayNothingOfTheProject() async throws {
        let served = try await ServedProject()
        let base = served.base

        // 401 names the scheme to use; the scheme's case does not matter.
        let missing = try await Self.send(.get, base + "/v1/installations")
        #expect(missing.status == 401)
        #expect(Self.header(missing, "WWW-Authenticate") == #"Bearer realm="max""#)
        let lowercase = try await Self.send(
            .get, base + "/v1/installations", headers: [("Authorization", "bearer \(served.read)")])
        #expect(lowercase.status == 200, "\(String(decoding: lowercase.body, as: UTF8.self))")

        // A webhook path with no installation behind it tells a caller without a token nothing.
        let webhook = try await Self.send(.post, base + "/v1/webhooks/nosuch", body: Data("{}".utf8))
        let webhookText = String(decoding: webhook.body, as: UTF8.self)
        #expect(webhook.status == 404, "\(webhookText)")
        #expect(webhookText.contains("serve.no_webhook"), "\(webhookText)")
        #expect(!webhookText.contains(served.folder.url.path), "\(webhookText)")
        #expect(!webhookText.contains("acme"), "no installation is named: \(webhookText)")

        // A route asked with the wrong method is 405 with the methods it answers.
        let wrong = try await Self.send(
            .get, base + "/v1/installations/acme/sync", headers: [("Authorization", "Bearer \(served.operate)")])
        #expect(wrong.status == 405)
        #expect(Self.header(wrong, "Allow") == "POST")
        let wrongBody = try JSONValue(parsing: String(decoding: wrong.body, as: UTF8.self))
        #expect(wrongBody["error"]?["code"] == "serve.method_not_allowed")

        // An oversized body is 413 with the JSON error every refusal has.
        let huge = try await Self.send(
            .post, base + "/v1/installations/acme/operations/createTask",
            headers: [("Authorization", "Bearer \(served.operate)")], body: Data(repeating: 0x20, count: 2 << 20))
        #expect(huge.status == 413)
        let hugeBody = try JSONValue(parsing: String(decoding: huge.body, as: UTF8.self))
        #expect(hugeBody["error"]?["message"] == "the request body is too large", "\(hugeBody)")

        // A malformed parameter is a 400, not ignored.
        for path in [
            "/v1/installations/acme/search?entityType=AcmeTask&limit=abc", "/v1/installations/acme/runs?limit=x",
        ] {
            let bad = try await Self.send(.get, base + path, headers: [("Authorization", "Bearer \(served.read)")])
            let text = String(decoding: bad.body, as: UTF8.self)
            #expect(bad.status == 400, "\(path): \(text)")
            #expect(text.contains("limit must be a whole number"), "\(text)")
        }
        served.server.send(SIGTERM)
        _ = try await served.server.outcome()
    }

    /// Unique paths, refused or not, are one `unmatched` label: /metrics stays small.
    @Test func unknownPathsDoNotGrowTheMetrics() async throws {
        let served = try await ServedProject()
        for index in 0..<300 {
            _ = try await Self.send(.get, served.base + "/probe-\(index)-\(UUID().uuidString)")
        }
        _ = try await Self.send(
            .get, served.base + "/v1/nothing/here", headers: [("Authorization", "Bearer \(served.read)")])
        let metrics = try await Self.send(
            .get, served.base + "/metrics", headers: [("Authorization", "Bearer \(served.read)")])
        let text = String(decoding: metrics.body, as: UTF8.self)
        #expect(metrics.status == 200)
        #expect(!text.contains("probe-"), "no client path is a label")
        #expect(text.contains(#"route="unmatched""#), "\(text.prefix(2000))")
        #expect(metrics.body.count < 64 << 10, "\(metrics.body.count) bytes")
        served.server.send(SIGTERM)
        _ = try await served.server.outcome()
    }

    /// Starts `max serve` on the project in `folder` with `options`; returns it and its URL.
    static func serve(_ folder: URL, _ options: [String]) async throws -> (MaxProcess, String) {
        let server = try MaxProcess(["-C", folder.path, "serve", "--port", "0"] + options)
        var base = ""
        for _ in 0..<200 where base.isEmpty {
            try await Task.sleep(for: .milliseconds(25))
            base = (try? JSONValue(parsing: server.stdoutSoFar))?["url"]?.stringValue ?? ""
        }
        try #require(!base.isEmpty, "\(server.stderrSoFar)")
        return (server, base)
    }

    /// Idle connections, a header never finished and a body that stalls are closed within the
    /// idle timeout, and a valid request is answered while a thousand connections idle.
    @Test func idleConnectionsAreClosedAndOthersAnswered() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let read = try await createServeToken(folder.url, scope: "read")
        let (server, base) = try await Self.serve(folder.url, ["--idle-timeout", "1"])
        let port = try Self.port(of: base)

        let idle = try RawConnection(port: port)
        #expect(idle.readUntilClosed(within: .seconds(10)) == "", "an idle connection is closed")
        let halfHeader = try RawConnection(port: port)
        halfHeader.send("GET /v1/installations HTTP/1.1\r\nHost: x\r\n")
        #expect(halfHeader.readUntilClosed(within: .seconds(10)) != nil, "an unfinished header is closed")
        let stalledBody = try RawConnection(port: port)
        stalledBody.send("POST /v1/webhooks/acme HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":")
        #expect(stalledBody.readUntilClosed(within: .seconds(10)) != nil, "a stalled body is closed")

        // 1,100 idle connections, held by another process: this one's descriptors stay below
        // FD_SETSIZE, which Foundation's own select() needs.
        let crowd = Process()
        crowd.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        crowd.arguments = [
            "python3", "-c",
            "import socket,sys\ns=[socket.create_connection(('127.0.0.1',\(port))) for _ in range(1100)]\n"
                + "print(len(s),flush=True)\nsys.stdin.read()",
        ]
        let held = Pipe()
        let release = Pipe()
        crowd.standardOutput = held
        crowd.standardInput = release
        try crowd.run()
        let opened = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: String(decoding: held.fileHandleForReading.availableData, as: UTF8.self))
            }
        }
        #expect(opened.trimmingCharacters(in: .whitespacesAndNewlines) == "1100", "\(opened)")
        let answered = try await Self.send(
            .get, base + "/v1/installations", headers: [("Authorization", "Bearer \(read)")])
        #expect(answered.status == 200)
        try release.fileHandleForWriting.close()
        crowd.waitUntilExit()
        server.send(SIGTERM)
        _ = try await server.outcome()
    }

    /// A body that trickles in is refused with 408 once it has taken the body timeout.
    ///
    /// It is never idle long enough to be closed. The pauses between bytes are real (what the server measures),
    /// and far shorter than the idle timeout (60 s), so a slow machine cannot turn them into one.
    @Test func aTricklingBodyIsRefusedWith408() async throws {
        let folder = try TemporaryDirectory(prefix: "trickle")
        _ = try await runMax(["init", folder.url.path])
        let (server, base) = try await Self.serve(folder.url, ["--idle-timeout", "60", "--body-timeout", "1"])
        let trickling = try RawConnection(port: try Self.port(of: base))
        trickling.send("POST /v1/webhooks/acme HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        var answer: String?
        for _ in 0..<400 where answer == nil {
            trickling.send("x")
            try await Task.sleep(for: .milliseconds(100))
            var poll = pollfd(fd: trickling.descriptor, events: Int16(POLLIN), revents: 0)
            if Glibc.poll(&poll, 1, 0) > 0 { answer = trickling.readUntilClosed(within: .seconds(30)) }
        }
        #expect(answer?.hasPrefix("HTTP/1.1 408") == true, "\(answer ?? "still open")")
        #expect(answer?.contains("serve.request_timeout") == true)
        server.send(SIGTERM)
        _ = try await server.outcome()
    }
}
