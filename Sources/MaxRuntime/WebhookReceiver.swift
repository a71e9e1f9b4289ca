public import Foundation
public import MaxCore
import MaxCredentials
import MaxStorage
import MaxStore

/// Checks webhook deliveries for an installation (SPEC-hardening §2.3): the Standard Webhooks
/// signature under one of the secrets its source gave at registration (`webhook_secret_<id>`
/// credentials), a timestamp within five minutes, and a `webhook-id` not seen before.
public struct WebhookReceiver: Sendable {
    /// The project.
    public let workspace: MaxWorkspace
    /// How far a delivery's timestamp may be from now.
    public var window: TimeInterval = 300

    /// A receiver for `workspace`.
    public init(workspace: MaxWorkspace) {
        self.workspace = workspace
    }

    /// Accepts or refuses one delivery; an accepted one is recorded so a replay is refused.
    ///
    /// - Throws: `installation.not_found`; `webhook.no_secret` when no webhook is registered;
    ///   `webhook.invalid_signature`; `webhook.stale` for a timestamp outside the window;
    ///   `webhook.replayed` for an id seen before.
    public func accept(
        installation name: String, id: String?, timestamp: String?, signature: String?, body: Data, now: Date = Date()
    ) async throws {
        let record = try workspace.record(name)
        guard let id, !id.isEmpty, let timestamp, let signature else {
            throw MaxError(
                .webhookInvalidSignature, "the delivery lacks webhook-id, webhook-timestamp or webhook-signature",
                context: ["installation": name])
        }
        let store = try workspace.credentials(for: name, installation: record.id)
        var secrets: [String] = []
        for key in try await store.names() where key.hasPrefix("webhook_secret_") {
            if let secret = try await store.secret(named: key) { secrets.append(secret.revealed) }
        }
        guard !secrets.isEmpty else {
            throw MaxError(
                .webhookNoSecret, "\(name) has no registered webhook to check deliveries against",
                hint: "register one with \"max webhooks register \(name) --url <this server>/v1/webhooks/\(name)\"",
                context: ["installation": name])
        }
        guard
            secrets.contains(where: {
                WebhookSignature.verify(secret: $0, id: id, timestamp: timestamp, body: body, header: signature)
            })
        else {
            throw MaxError(
                .webhookInvalidSignature, "the delivery \(id) is not signed by \(name)'s webhook secret",
                context: ["installation": name])
        }
        guard let seconds = TimeInterval(timestamp), abs(now.timeIntervalSince1970 - seconds) <= window else {
            throw MaxError(
                .webhookStale, "the delivery \(id) is timestamped outside the \(Int(window / 60))-minute window",
                context: ["installation": name])
        }
        guard
            try await workspace.operationRecords().recordDelivery(installation: name, id: id)
        else {
            throw MaxError(.webhookReplayed, "the delivery \(id) was received before", context: ["installation": name])
        }
    }
}

extension MaxError.Code {
    /// A webhook delivery is not signed by the installation's secret (or lacks its headers).
    public static let webhookInvalidSignature = Self(
        domain: "webhook", name: "invalid_signature", category: .policyDenied)
    /// A webhook delivery's timestamp is outside the replay window.
    public static let webhookStale = Self(domain: "webhook", name: "stale", category: .validationError)
    /// A webhook delivery's id was seen before.
    public static let webhookReplayed = Self(domain: "webhook", name: "replayed", category: .conflict)
    /// An installation has no webhook secret to check deliveries against.
    public static let webhookNoSecret = Self(domain: "webhook", name: "no_secret", category: .validationError)
}
