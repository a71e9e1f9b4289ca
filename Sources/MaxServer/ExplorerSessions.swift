import Foundation
import MaxRuntime
import Synchronization

/// The explorer's signed-in sessions, in this process's memory: a serve token exchanged for a
/// random session id (sent back as an HttpOnly, SameSite=Strict cookie) and a CSRF token every
/// form carries.
///
/// A session lasts ``lifetime`` from sign-in, and no longer than its token: each request checks the
/// token again, so revoking it ends its sessions. Restarting `max serve` ends them all.
final class ExplorerSessions: Sendable {
    /// One session.
    struct Session: Sendable {
        /// The token it was opened with (kept in memory only, to check it is still valid).
        let token: String
        /// The CSRF token its forms carry.
        let csrf: String
        /// When it ends.
        let expires: ContinuousClock.Instant
    }

    /// How long a session lasts.
    let lifetime: Duration
    /// The most sessions kept; signing in beyond it ends the oldest.
    let capacity: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    private let sessions = Mutex<[String: Session]>([:])

    /// A store of sessions; `now` is injected for tests.
    init(
        lifetime: Duration = .seconds(8 * 3600), capacity: Int = 1000,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.lifetime = lifetime
        self.capacity = capacity
        self.now = now
    }

    /// Opens a session for `token`; returns its id and CSRF token.
    func open(token: String) -> (id: String, csrf: String) {
        let id = Self.random()
        let csrf = Self.random()
        let now = now()
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.expires > now }
            if sessions.count >= capacity, let oldest = sessions.min(by: { $0.value.expires < $1.value.expires }) {
                sessions[oldest.key] = nil
            }
            sessions[id] = Session(token: token, csrf: csrf, expires: now + lifetime)
        }
        return (id, csrf)
    }

    /// The live session `id`, if there is one.
    func session(_ id: String?) -> Session? {
        guard let id else { return nil }
        let now = now()
        return sessions.withLock { sessions in
            guard let session = sessions[id] else { return nil }
            guard session.expires > now else {
                sessions[id] = nil
                return nil
            }
            return session
        }
    }

    /// Ends session `id`.
    func close(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }

    /// 32 random bytes as unpadded base64url: a session id or CSRF token no one can guess
    /// (`SystemRandomNumberGenerator` reads the system's cryptographic source).
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Whether two secrets are equal, in time that does not depend on where they differ.
    static func same(_ given: String, _ expected: String) -> Bool {
        let a = Array(given.utf8)
        let b = Array(expected.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
