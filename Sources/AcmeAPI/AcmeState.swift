import Foundation
import Synchronization

/// What every request handler shares: the database, the options, the tenant's key, and the
/// counters behind rate limits, fault injection and OAuth.
final class AcmeState: Sendable {
    let database: AcmeDatabase
    let options: AcmeOptions
    let apiKey: String
    let webhooks: WebhookDispatcher
    let oauth = OAuthStore()

    private struct Window {
        var second: Int64
        var count: Int
    }

    private let windows = Mutex<[String: Window]>([:])
    private let requestCount = Atomic<UInt64>(0)

    init(database: AcmeDatabase, options: AcmeOptions, apiKey: String, webhooks: WebhookDispatcher) {
        self.database = database
        self.options = options
        self.apiKey = apiKey
        self.webhooks = webhooks
    }

    /// Counts a request from `key` in the current one-second window; returns the seconds to wait when
    /// the key is over the limit.
    func rateLimitDelay(for key: String, now: Date = Date()) -> Int? {
        guard let limit = options.rateLimit else { return nil }
        let second = Int64(now.timeIntervalSince1970.rounded(.down))
        return windows.withLock { windows -> Int? in
            var window = windows[key] ?? Window(second: second, count: 0)
            if window.second != second { window = Window(second: second, count: 0) }
            window.count += 1
            windows[key] = window
            return window.count > limit ? 1 : nil
        }
    }

    /// Whether this request should fail on purpose, and with which status; the choice depends only on
    /// the seed and how many requests came before.
    func injectedFailure() -> Int? {
        guard options.failRate > 0 else { return nil }
        return options.injectedFailure(forRequest: requestCount.add(1, ordering: .relaxed).newValue)
    }
}
