import AcmeAPI
import Foundation
import MaxConnector
import MaxCore

/// Talks to an in-process Acme server over real HTTP.
struct AcmeHarness: Sendable {
    let ready: AcmeServer.Ready
    let http: ConnectorHTTPClient

    init(_ ready: AcmeServer.Ready, followsRedirects: Bool = true) {
        self.ready = ready
        var http = ConnectorHTTPClient(timeout: .seconds(20), followsRedirects: followsRedirects)
        // These tests are about what the server answers, so every answer is seen, never retried.
        http.retryPolicy = .none
        self.http = http
    }

    struct Reply: Sendable {
        let status: Int
        let json: JSONValue
        let response: ConnectorHTTPClient.Response
        var text: String { String(decoding: response.body, as: UTF8.self) }
    }

    /// The key to send: the tenant's by default, `.none` for no header, or any other text.
    enum Key: Sendable {
        case tenant
        case none
        case custom(String)
    }

    func call(
        _ method: ConnectorHTTPClient.Method, _ path: String, key: Key = .tenant, body: JSONValue? = nil,
        headers: [(String, String)] = []
    ) async throws -> Reply {
        var headers = headers
        switch key {
        case .tenant: headers.append(("Authorization", "Bearer \(ready.apiKey)"))
        case .custom(let text): headers.append(("Authorization", "Bearer \(text)"))
        case .none: break
        }
        var request = ConnectorHTTPClient.Request(method, ready.url + path, headers: headers)
        if let body {
            request.headers.append(("Content-Type", "application/json"))
            request.body = Data(body.jsonText.utf8)
        }
        let response = try await http.send(request)
        let text = String(decoding: response.body, as: UTF8.self)
        let json = text.isEmpty ? JSONValue.null : ((try? JSONValue(parsing: text)) ?? .string(text))
        return Reply(status: response.status, json: json, response: response)
    }

    func get(_ path: String) async throws -> JSONValue {
        let reply = try await call(.get, path)
        guard reply.status == 200 else {
            throw MaxError(.internalError, "GET \(path) answered \(reply.status): \(reply.text)")
        }
        return reply.json
    }
}

extension AcmeOptions {
    /// A small in-memory server on a free port.
    static func test(seed: UInt64 = 42, configure: (inout AcmeOptions) -> Void = { _ in }) -> AcmeOptions {
        var options = AcmeOptions()
        options.port = 0
        options.seed = seed
        configure(&options)
        return options
    }
}

/// Whether `id` is `prefix` and 32 lowercase hex digits.
func isAcmeID(_ id: JSONValue?, _ prefix: String) -> Bool {
    guard let text = id?.stringValue, text.hasPrefix(prefix) else { return false }
    let hex = text.dropFirst(prefix.count)
    return hex.count == 32 && hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }
}

func isTimestamp(_ value: JSONValue?) -> Bool {
    guard let text = value?.stringValue else { return false }
    return ISO8601.parse(text) != nil && text.hasSuffix("Z")
}
