public import Foundation
import MaxCore

/// Caches derived credentials and refreshes them before they expire, one refresh at a time.
///
/// When several tasks ask for a stale value at once, the first refreshes and the others wait for
/// its result, so a rotating refresh token is never spent twice. A value is refreshed once a
/// quarter of its lifetime (at most 30 seconds) is left, so a request never leaves with a token
/// about to lapse. Time comes from the clock given at creation, so tests control expiry.
public actor DerivedCredentialCache {
    private struct Entry {
        let text: String
        /// When to refresh: a margin before the value expires.
        let refreshAt: Duration?
    }

    private var entries: [String: Entry] = [:]
    private var waiters: [String: [CheckedContinuation<String, any Error>]] = [:]
    private let elapsed: @Sendable () -> Duration
    /// The wall-clock time by the cache's clock.
    ///
    /// The date the cache was created, plus the time its clock has counted since: what decides
    /// whether a stored expiry date has passed (an OAuth access token's), so one injected clock
    /// drives every expiry of a store.
    public nonisolated let now: @Sendable () -> Date

    /// Creates a cache that measures expiry with `clock`.
    public init<C: Clock>(clock: C) where C.Duration == Duration {
        let origin = clock.now
        let elapsed: @Sendable () -> Duration = { origin.duration(to: clock.now) }
        let created = Date()
        self.elapsed = elapsed
        self.now = {
            let (seconds, attoseconds) = elapsed().components
            return created.addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
        }
    }

    /// Creates a cache on the continuous clock.
    public init() {
        self.init(clock: ContinuousClock())
    }

    func value<Value>(of key: DerivedCredential<Value>, from store: any CredentialStore) async throws -> Value {
        if let entry = entries[key.name], entry.refreshAt.map({ elapsed() < $0 }) ?? true {
            return try Value(credentialText: entry.text)
        }
        if waiters[key.name] != nil {
            let text = try await withCheckedThrowingContinuation { continuation in
                waiters[key.name, default: []].append(continuation)
            }
            return try Value(credentialText: text)
        }
        waiters[key.name] = []
        do {
            let refreshed = try await key.refresh(store)
            let text = refreshed.value.credentialText
            entries[key.name] = Entry(text: text, refreshAt: refreshed.expiresIn.map { elapsed() + Self.usable($0) })
            resumeWaiters(for: key.name, with: .success(text))
            return refreshed.value
        } catch let error as MaxError where error.code == .credentialExpired {
            // Refreshing cannot help: only re-authenticating does. Say so as it is.
            resumeWaiters(for: key.name, with: .failure(error))
            throw error
        } catch {
            let failure = MaxError(
                .credentialRefreshFailed, "refreshing the credential '\(key.name)' failed",
                hint:
                    "if this keeps failing, re-enter the credentials: " + MaxError.reenterCredentialsCommands,
                context: ["credential": key.name],
                cause: (error as? MaxError) ?? MaxError(.internalError, String(describing: error)))
            resumeWaiters(for: key.name, with: .failure(failure))
            throw failure
        }
    }

    /// How much of a lifetime a value is used before it is refreshed: all but a quarter of it,
    /// and all but 30 seconds at most.
    static func usable(_ lifetime: Duration) -> Duration {
        lifetime - min(lifetime / 4, .seconds(30))
    }

    func invalidate(_ name: String) {
        entries[name] = nil
    }

    /// Forgets every cached value (the credentials they came from were replaced).
    public func invalidateAll() {
        entries = [:]
    }

    /// Forgets the cached value of `name` if it is still `text` (a value refreshed since stays).
    func invalidate(_ name: String, ifValueIs text: String) {
        if entries[name]?.text == text { entries[name] = nil }
    }

    private func resumeWaiters(for name: String, with result: Result<String, any Error>) {
        let pending = waiters.removeValue(forKey: name) ?? []
        for continuation in pending {
            continuation.resume(with: result)
        }
    }
}
