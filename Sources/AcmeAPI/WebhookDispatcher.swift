import AsyncHTTPClient
import Crypto
import Foundation
import GRDB
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Delivers change events to registered webhooks, signed in the Standard Webhooks form, retrying failed deliveries with
/// exponential backoff.
///
/// Runs as a service beside the HTTP server.
struct WebhookDispatcher: Service {
    private let stream: AsyncStream<ChangeEvent>
    private let continuation: AsyncStream<ChangeEvent>.Continuation
    private let database: AcmeDatabase
    private let logger: Logger
    /// The delays between attempts; one attempt more than delays.
    let backoff: [Duration] = [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4)]

    init(database: AcmeDatabase, logger: Logger) {
        (stream, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        self.database = database
        self.logger = logger
    }

    /// Queues `event` for every active webhook.
    func notify(_ event: ChangeEvent) {
        continuation.yield(event)
    }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            for await event in stream.cancelOnGracefulShutdown() {
                let hooks =
                    (try? await database.writer.read { db in
                        try Webhook.fetchAll(db, sql: "SELECT * FROM webhooks WHERE active = 1 AND deletedAt IS NULL")
                    }) ?? []
                for hook in hooks {
                    group.addTask { await deliver(event, to: hook) }
                }
            }
            group.cancelAll()
        }
    }

    private func deliver(_ event: ChangeEvent, to hook: Webhook) async {
        let body = Reply.text(FeedRoutes.EventDTO(event))
        let messageID = "evt_\(event.sequence)"
        for attempt in 0...backoff.count {
            if Task.isCancelled { return }
            let timestamp = String(Int(Date().timeIntervalSince1970))
            var request = HTTPClientRequest(url: hook.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "webhook-id", value: messageID)
            request.headers.add(name: "webhook-timestamp", value: timestamp)
            request.headers.add(
                name: "webhook-signature",
                value: Self.signature(secret: hook.secret, id: messageID, timestamp: timestamp, body: body))
            request.body = .bytes(ByteBuffer(string: body))
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                if (200..<300).contains(response.status.code) { return }
                logger.debug(
                    "webhook delivery refused",
                    metadata: ["webhook.id": "\(hook.id)", "http.status": "\(response.status.code)"])
            } catch {
                logger.debug("webhook delivery failed", metadata: ["webhook.id": "\(hook.id)", "error": "\(error)"])
            }
            guard attempt < backoff.count else { break }
            try? await Task.sleep(for: backoff[attempt])
        }
        logger.notice("webhook delivery gave up", metadata: ["webhook.id": "\(hook.id)", "event": "\(messageID)"])
    }

    /// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the secret's decoded bytes.
    static func signature(secret: String, id: String, timestamp: String, body: String) -> String {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        let key = SymmetricKey(data: Data(base64Encoded: encoded) ?? Data(encoded.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(timestamp).\(body)".utf8), using: key)
        return "v1," + Data(mac).base64EncodedString()
    }
}
