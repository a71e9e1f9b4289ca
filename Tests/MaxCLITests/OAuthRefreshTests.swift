import AcmeAPI
import AcmeConnector
import Foundation
import MaxConnector
import MaxCore
import MaxRuntime
import MaxTestSupport
import Testing

/// Refreshing OAuth access tokens in one process, against an in-process Acme over real HTTP.
struct OAuthRefreshTests {
    /// Acme's count of refresh-token grants so far.
    static func refreshes(_ ready: AcmeServer.Ready) async throws -> Int {
        let response = try await ConnectorHTTPClient.shared.send(
            .init(.get, ready.url + "/api/stats", headers: [("Authorization", "Bearer \(ready.apiKey)")]))
        let stats = try JSONValue(parsing: String(decoding: try response.requireSuccess().body, as: UTF8.self))
        return stats["oauth"]?["refreshes"]?.intValue ?? -1
    }

    @Test func twentyParallelRequestsShareOneRefresh() async throws {
        var options = AcmeOptions()
        options.port = 0
        // Tokens live an hour on Acme's (wall) clock; Max's runs on a manual clock that the test
        // moves past the hour, so Max refreshes when told to, and Acme never sees a lapsed token
        // however busy the machine is.
        options.tokenTTL = 3600
        let clock = ManualClock()
        try await AcmeServer.withRunning(options) { ready in
            let connector = AcmeConnector()
            let store = InMemoryCredentialStore(clock: clock)
            var runner = OnboardingRunner(config: ["baseURL": ready.url, "auth": "oauth"], prompter: nil)
            runner.authorize = { url in try? await OAuthProcessTests.approve(url.absoluteString) }
            let state = try await runner.run(connector.onboarding, store: store)
            let installation = try connector.initialise(config: .object(state), credentials: store)
            let before = try await Self.refreshes(ready)
            // The access token has lapsed by Max's clock: every request now needs a fresh one.
            clock.advance(by: .seconds(3660))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 { group.addTask { try await installation.start() } }
                try await group.waitForAll()
            }
            #expect(try await Self.refreshes(ready) - before == 1, "one refresh served all twenty")
            // The rotated refresh token was stored: the next refresh works with it.
            clock.advance(by: .seconds(3660))
            try await installation.start()
            #expect(try await Self.refreshes(ready) - before == 2)
        }
    }
}
