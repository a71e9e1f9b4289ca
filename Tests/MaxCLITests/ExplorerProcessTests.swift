import Foundation
import MaxConnector
import MaxCore
import MaxPages
import MaxTestSupport
import Synchronization
import Testing

@testable import MaxServer

/// The explorer's sign-in and safety over real HTTP, without a browser: the session cookie's
/// attributes, the security headers, CSRF on sign-out, and a revoked token ending its sessions.
struct ExplorerProcessTests {
    static let http = ConnectorHTTPClient(timeout: .seconds(20), followsRedirects: false)

    static func send(
        _ method: ConnectorHTTPClient.Method, _ url: String, cookie: String? = nil, form: String? = nil
    ) async throws -> ConnectorHTTPClient.Response {
        var headers: [(String, String)] = []
        if let cookie { headers.append(("Cookie", "max_session=\(cookie)")) }
        if form != nil { headers.append(("Content-Type", "application/x-www-form-urlencoded")) }
        return try await http.send(
            ConnectorHTTPClient.Request(method, url, headers: headers, body: form.map { Data($0.utf8) }))
    }

    static func text(_ response: ConnectorHTTPClient.Response) -> String {
        String(decoding: response.body, as: UTF8.self)
    }

    @Test func signInSetsAStrictCookieAndEveryPageIsLockedDown() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        #expect(try await runMax(["-C", folder.url.path, "sync", "acme"]).status == 0)
        let token = try await createServeToken(folder.url, scope: "read")
        let (server, base) = try await startServe(folder.url)
        try #require(base.hasPrefix("http://"), "\(server.stderrSoFar)")

        let anonymous = try await Self.send(.get, base + "/")
        #expect(anonymous.status == 303 && anonymous.header("Location") == "/session")
        let signInPage = try await Self.send(.get, base + "/session")
        #expect(signInPage.status == 200 && Self.text(signInPage).contains(#"name="token""#))
        for page in [anonymous, signInPage] {
            #expect(page.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
            #expect(page.header("Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
            #expect(page.header("X-Frame-Options") == "DENY" && page.header("X-Content-Type-Options") == "nosniff")
        }

        let wrong = try await Self.send(.post, base + "/session", form: "token=mxt_0000")
        #expect(wrong.status == 401 && wrong.header("Set-Cookie") == nil)
        #expect(!Self.text(wrong).contains("mxt_0000"), "the token given is not echoed")

        let signedIn = try await Self.send(
            .post, base + "/session",
            form: "token=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        #expect(signedIn.status == 303 && signedIn.header("Location") == "/")
        let cookieHeader = try #require(signedIn.header("Set-Cookie"))
        #expect(
            cookieHeader.contains("HttpOnly") && cookieHeader.contains("SameSite=Strict")
                && cookieHeader.contains("Path=/"))
        #expect(!cookieHeader.contains(token), "the cookie is a session id, not the token")
        let session = try #require(
            cookieHeader.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last.map(String.init))

        let home = try await Self.send(.get, base + "/", cookie: session)
        #expect(home.status == 200 && home.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(Self.text(home).contains(#"href="/ui/i/acme""#))
        #expect(!Self.text(home).contains("<script"), "the pages carry no script")
        #expect(!Self.text(home).contains(acme.apiKey) && !Self.text(home).contains(token))
        let css = try await Self.send(.get, base + "/ui/assets/explorer.css")
        #expect(css.status == 200 && css.header("Content-Type")?.hasPrefix("text/css") == true)
        // The cookie is not a bearer token: the API still wants one.
        #expect(try await Self.send(.get, base + "/v1/installations", cookie: session).status == 401)

        // Signing out needs the session's CSRF token; without it nothing ends.
        let forged = try await Self.send(.post, base + "/session/end", cookie: session, form: "csrf=guess")
        #expect(forged.status == 403)
        #expect(try await Self.send(.get, base + "/", cookie: session).status == 200, "still signed in")

        for page in ["/ui/jobs", "/ui/audit", "/ui/i/acme/runs", "/ui/i/acme/ops"] {
            let answer = try await Self.send(.get, base + page, cookie: session)
            #expect(answer.status == 200 && answer.header("Content-Security-Policy") != nil, "\(page)")
        }
        let badAudit = try await Self.send(.get, base + "/ui/audit?filter=outcome+%3D", cookie: session)
        #expect(Self.text(badAudit).contains("search.invalid_filter"), "an audit filter's error is shown")

        // An operate session's form needs its CSRF token: a forged post runs nothing.
        let operate = try await createServeToken(folder.url, scope: "operate")
        let operating = try await Self.send(
            .post, base + "/session",
            form: "token=" + (operate.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        let operateSession = try #require(
            operating.header("Set-Cookie")?.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last
                .map(String.init))
        let input = try await OperationProcessTests.ids(acme)
        let forgedCall = try await Self.send(
            .post, base + "/ui/i/acme/ops/createTask", cookie: operateSession,
            form: "csrf=guess&in.projectId=\(input.project)&in.createdById=\(input.user)&in.title=Forged")
        #expect(forgedCall.status == 403 && Self.text(forgedCall).contains("serve.csrf"))
        #expect(try await OperationProcessTests.tasks(acme, titled: "Forged") == 0, "nothing reached the source")

        // A token removed from the project ends its sessions at once.
        try "[]".write(to: folder.file(".max/serve-tokens.json"), atomically: true, encoding: .utf8)
        let revoked = try await Self.send(.get, base + "/ui/i/acme", cookie: session)
        #expect(revoked.status == 303 && revoked.header("Location") == "/session")

        server.send(SIGTERM)
        _ = try await server.outcome()
    }
}

/// The explorer's session store on a manual clock, and its pages' escaping.
struct ExplorerSessionTests {
    @Test func aSessionEndsAtItsLifetimeAndTheOldestMakesRoom() {
        let start = ContinuousClock.now
        let elapsed = Mutex<Duration>(.zero)
        let sessions = ExplorerSessions(lifetime: .seconds(60), capacity: 2) { start + elapsed.withLock { $0 } }
        let first = sessions.open(token: "mxt_a")
        #expect(sessions.session(first.id)?.csrf == first.csrf)
        #expect(first.id != first.csrf && first.id.count >= 43, "32 random bytes each")
        elapsed.withLock { $0 = .seconds(59) }
        #expect(sessions.session(first.id) != nil)
        elapsed.withLock { $0 = .seconds(60) }
        #expect(sessions.session(first.id) == nil, "over at its lifetime")

        elapsed.withLock { $0 = .zero }
        let a = sessions.open(token: "mxt_a")
        elapsed.withLock { $0 = .seconds(1) }
        let b = sessions.open(token: "mxt_b")
        let c = sessions.open(token: "mxt_c")
        #expect(sessions.session(a.id) == nil, "the oldest made room")
        #expect(sessions.session(b.id) != nil && sessions.session(c.id) != nil)
        sessions.close(b.id)
        #expect(sessions.session(b.id) == nil)
        #expect(
            ExplorerSessions.same("abc", "abc") && !ExplorerSessions.same("abc", "abd")
                && !ExplorerSessions.same("ab", "abc"))
    }

    @Test func everyTextIsEscaped() {
        let html = ExplorerRenderer().render(
            .record(
                Record(
                    frame: Frame(
                        title: "<b>id</b>", crumbs: [Link("\"><script>", href: "/ui/i/a?x=1&y=2")], csrf: "c\"srf"),
                    fields: [Record.Field(name: "title", values: [Link("<script>alert(1)</script>")])],
                    referredBy: [])))
        #expect(!html.contains("<script>") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("<title>&lt;b&gt;id&lt;/b&gt; · Max</title>"))
        #expect(html.contains(#"href="/ui/i/a?x=1&amp;y=2""#))
        #expect(html.contains(#"value="c&quot;srf""#))
    }
}
