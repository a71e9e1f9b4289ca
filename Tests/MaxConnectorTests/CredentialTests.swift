import MaxConnector
import MaxCore
import MaxTestSupport
import Synchronization
import Testing

struct CredentialTests {
    static let token = Credential.key("api_token")

    @Test func typedKeysReadWriteAndDelete() async throws {
        let store = InMemoryCredentialStore()
        #expect(try await !store.has(Self.token))
        try await store.set(Self.token, "secret-1")
        #expect(try await store.has(Self.token))
        #expect(try await store.get(Self.token) == "secret-1")
        #expect(try await store.keys() == ["api_token"])
        try await store.delete(Self.token)
        let error = try await #require(throws: MaxError.self) { try await store.get(Self.token) }
        #expect(error.code == .credentialMissing)
        #expect(error.hint == "re-enter it: \"max connect <installation> --reauth\"")
    }

    @Test func derivedCredentialsAreCachedUntilTheyExpire() async throws {
        let clock = ManualClock()
        let refreshes = Mutex(0)
        let store = InMemoryCredentialStore(["refresh_token": "r1"], clock: clock)
        let access = Credential.derived("access_token", expiresIn: .seconds(3500)) { store in
            let count = refreshes.withLock { count -> Int in
                count += 1
                return count
            }
            return "access-\(try await store.get(Credential.key("refresh_token")))-\(count)"
        }
        #expect(try await store.get(access) == "access-r1-1")
        clock.advance(by: .seconds(3469))  // refreshed 30 s before it expires
        #expect(try await store.get(access) == "access-r1-1")
        clock.advance(by: .seconds(1))
        #expect(try await store.get(access) == "access-r1-2")
        await store.invalidate(access)
        #expect(try await store.get(access) == "access-r1-3")
        #expect(refreshes.withLock { $0 } == 3)
    }

    @Test func concurrentCallersShareOneRefresh() async throws {
        let clock = ManualClock()
        let refreshes = Mutex(0)
        let store = InMemoryCredentialStore([:], clock: clock)
        let access = Credential.derived("access_token", expiresIn: .seconds(60)) { _ in
            refreshes.withLock { $0 += 1 }
            try await clock.sleep(for: .seconds(1))  // the token endpoint takes a while
            return "fresh"
        }
        let values = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try await store.get(access) } }
            // Wait until the one refresh is in flight, then let it finish.
            while clock.sleeperCount == 0 { await Task.yield() }
            clock.advance(by: .seconds(1))
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(values == Array(repeating: "fresh", count: 8))
        #expect(refreshes.withLock { $0 } == 1)
    }

    @Test func aFailedRefreshIsReportedToEveryWaiterAndRetriedNextTime() async throws {
        let attempts = Mutex(0)
        let store = InMemoryCredentialStore()
        let access = Credential.derived("access_token") { _ in
            let attempt = attempts.withLock { count -> Int in
                count += 1
                return count
            }
            if attempt == 1 { throw MaxError(.credentialMissing, "the refresh token was revoked") }
            return "second"
        }
        let error = try await #require(throws: MaxError.self) { try await store.get(access) }
        #expect(error.code == .credentialRefreshFailed)
        #expect((error.cause as? MaxError)?.message == "the refresh token was revoked")
        #expect(try await store.get(access) == "second")
    }

    @Test func secretsStayRedactedInErrorsAndDescriptions() async throws {
        let canary = "canary-9d1e-secret"
        let store = InMemoryCredentialStore(["api_token": canary])
        let secret = try #require(try await store.secret(named: "api_token"))
        #expect(!"\(secret)".contains(canary))
        let failing = Credential.derived("derived") { store in
            _ = try await store.get(Credential.key("api_token"))
            throw MaxError(.credentialInvalid, "rejected")
        }
        let error = try await #require(throws: MaxError.self) { try await store.get(failing) }
        #expect(!error.description.contains(canary))
        #expect(!error.context.values.joined().contains(canary))
    }
}
