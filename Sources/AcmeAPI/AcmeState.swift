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
    let writeHold: WriteHold
    /// The reads held after `holdReadsAfter` of them.
    let readHold: WriteHold
    private let readCount = Atomic<Int>(0)

    private struct Window {
        var second: Int64
        var count: Int
    }

    private let windows = Mutex<[String: Window]>([:])
    private let routeCounts = Mutex<[String: Int]>([:])
    private let secondCounts = Mutex<[Int64: Int]>([:])
    private let requestCount = Atomic<UInt64>(0)

    init(database: AcmeDatabase, options: AcmeOptions, apiKey: String, webhooks: WebhookDispatcher) {
        self.database = database
        self.options = options
        self.apiKey = apiKey
        self.webhooks = webhooks
        writeHold = WriteHold(holding: options.holdWrites)
        readHold = WriteHold(holding: options.holdReadsAfter != nil)
    }

    /// Returns when a read may go on: at once, unless more than `holdReadsAfter` came.
    func passRead() async {
        guard let limit = options.holdReadsAfter else { return }
        if readCount.add(1, ordering: .relaxed).newValue > limit { await readHold.pass() }
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

    /// Counts an authenticated request by route (`GET /api/tasks/:id`), for `/api/stats`, so tests
    /// can tell how many requests a client made.
    func count(method: String, path: String) {
        var segments: [String] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
            // Ids are a prefix and 32 hex digits: `tsk_…`.
            let parts = segment.split(separator: "_", maxSplits: 1)
            let isID = parts.count == 2 && parts[1].count == 32 && parts[1].allSatisfy(\.isHexDigit)
            segments.append(isID ? ":id" : String(segment))
        }
        let route = segments.joined(separator: "/")
        let second = Int64(Date().timeIntervalSince1970.rounded(.down))
        secondCounts.withLock { $0[second, default: 0] += 1 }
        routeCounts.withLock { $0["\(method) \(route)", default: 0] += 1 }
    }

    /// The requests counted so far, by route.
    var requestsByRoute: [String: Int] { routeCounts.withLock { $0 } }

    /// The requests counted so far, by second (Unix time): what a rate limit is judged by.
    var requestsBySecond: [String: Int] {
        secondCounts.withLock { counts in
            Dictionary(uniqueKeysWithValues: counts.map { (String($0.key), $0.value) })
        }
    }
}
