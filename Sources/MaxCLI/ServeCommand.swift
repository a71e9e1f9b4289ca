import ArgumentParser
import Foundation
import Logging
import MaxRuntime
import MaxServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the project as a JSON API (/v1/…) for other tools and Max nodes.",
        discussion: """
            Binds 127.0.0.1 by default and prints one line {"url": "http://…"} on stdout when it \
            listens; logs (one structured line per request, with its id) go to stderr. Open the URL \
            in a browser for the explorer: sign in with a token, then browse installations, tables \
            (filter, fields, order, pages) and records. Every API request (/v1/…, /mcp, /metrics) \
            needs a bearer token of this project ("max serve tokens create --scope read"): a \
            missing or unknown one is 401, one whose scope does not allow the request's action is \
            403. Every answer carries X-Request-Id (the client's, when it sent a sane one).

            Scope read (connector.catalog.read, connector.operation.read):
              GET  /v1/installations, /v1/installations/<name>
              GET  /v1/installations/<name>/schema, …/operations, …/runs
              GET  /v1/installations/<name>/search?entityType=…&filter=…&fields=…
                     &orderBy=…&limit=…&cursor=…
              GET  /v1/installations/<name>/count?entityType=…&filter=…
              GET  /v1/jobs?installation=…&state=…, /v1/jobs/<id>
              GET  /metrics (Prometheus text)
              POST /mcp: the MCP tools (Streamable HTTP, stateless JSON answers),
                     only those whose action the token's scope holds
            Scope operate (adds connector.operation.invoke, connector.instance.manage):
              POST /v1/installations/<name>/sync[?full=true|restart=true]
              POST /v1/installations/<name>/operations/<operation>[?async=true]
                     the input as the JSON body, an optional Idempotency-Key header
                     (202 and a Location header for a job)
            Webhook deliveries (POST /v1/webhooks/<name>) are checked by their \
            signature instead.

            A connection that sends nothing for --idle-timeout seconds (between requests, or in \
            the middle of its headers or body) is closed, and a request body that has not fully \
            arrived --body-timeout seconds after its headers is refused with 408. At most \
            --max-connections are open at once; more wait to be accepted. A wrong method on a \
            route is 405 with an Allow header.

            An installation with a schedule in max.json ("sync": {"every": "15m"}, optional \
            "fullEvery", "jitter" and a UTC "window": {"from": "01:00", "to": "05:00"}) is synced \
            on it while the server runs (never twice at once; after failures it waits twice as long \
            each time, up to six hours; a disabled installation is skipped); "max ls" shows the \
            next run. --no-schedules turns that off. Every --health-every seconds it checks the \
            health of every enabled installation it serves itself (not remote ones), as "max \
            status" does, and keeps the result ("max status --history"). Every hour it purges \
            what is past max.json's "retention", as "max purge" does.

            SIGTERM or Ctrl-C shuts it down gracefully.
            """,
        subcommands: [Tokens.self])

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Option(help: "The address to bind (default 127.0.0.1: this machine only).") var host = "127.0.0.1"
    @Option(help: "The port (0 picks a free one).") var port = 8080
    @Option(help: "What stderr gets: info (a line per request), notice (refusals and failures), or error.")
    var logLevel: LogLevel = .info
    @Option(help: "Seconds a connection may send nothing before it is closed (1 to 3600).") var idleTimeout = 30
    @Option(help: "Seconds a request body may take to arrive, then 408 (1 to 3600).") var bodyTimeout = 30
    @Option(help: "Connections open at once (1 to 100000); more wait to be accepted.") var maxConnections = 512
    @Flag(
        inversion: .prefixedNo,
        help: "Run the installations' schedules (\"sync\": {\"every\": \"15m\"} in max.json).")
    var schedules = true
    @Option(help: "Seconds between health checks of every enabled local installation (0: none).") var healthEvery = 300

    enum LogLevel: String, ExpressibleByArgument, CaseIterable {
        case info, notice, error
    }

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard (1...3600).contains(idleTimeout), (1...3600).contains(bodyTimeout) else {
            throw ValidationError("--idle-timeout and --body-timeout must be between 1 and 3600 seconds")
        }
        guard (1...100_000).contains(maxConnections) else {
            throw ValidationError("--max-connections must be between 1 and 100000")
        }
        guard (0...86_400).contains(healthEvery) else {
            throw ValidationError("--health-every must be between 0 (no checks) and 86400 seconds")
        }
    }

    func run() async throws {
        let api = MaxNodes(local: try global.api().local.calling(as: "serve").longLived())
        let level: Logger.Level =
            switch logLevel {
            case .info: .info
            case .notice: .notice
            case .error: .error
            }
        var server = MaxHTTPServer(api: api, host: host, port: port, logLevel: level)
        server.idleTimeout = .seconds(idleTimeout)
        server.bodyTimeout = .seconds(bodyTimeout)
        server.maximumConnections = maxConnections
        server.schedules = schedules
        server.healthEvery = healthEvery > 0 ? .seconds(healthEvery) : nil
        try await server.run { url in
            Terminal.out(JSONValueLine.url(url))
            Terminal.err("Serving \(api.workspace.project.root.path) on \(url) (Ctrl-C stops)")
        }
    }

    struct Tokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tokens", abstract: "Manage the bearer tokens of max serve.",
            subcommands: [Create.self, List.self, Revoke.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "create",
                abstract: "Make a token; it is printed once, alone on the last line of stdout, and stored hashed.")
            @OptionGroup(title: "Global Options") var global: GlobalOptions
            @Option(help: "What it may do: read, operate or admin.") var scope: String = "read"
            @Option(help: "The user it belongs to (max.json's policy grants users and groups).") var user: String?
            @Option(name: .customLong("group"), help: "A group the user is in (repeatable).") var groups: [String] = []
            @Option(help: "How long it works: 90m, 12h, 30d (for ever when not given).") var expiresIn: String?

            func validate() throws {
                guard ServeTokens.Scope(rawValue: scope) != nil else {
                    throw ValidationError("--scope must be read, operate or admin")
                }
                if !groups.isEmpty, user == nil {
                    throw ValidationError("--group needs --user: groups belong to a user")
                }
                for name in [user].compactMap({ $0 }) + groups where !Principal.isName(name) {
                    throw ValidationError(
                        "'\(name.prefix(80))' is not a user or group name: use letters, digits, '.', '_', '-' and '@' (at most 64)"
                    )
                }
                if let expiresIn, Self.seconds(expiresIn) == nil {
                    throw ValidationError("--expires-in must be a number and a unit, m, h or d: 90m, 12h, 30d")
                }
            }

            /// `90m`, `12h`, `30d` in seconds.
            static func seconds(_ text: String) -> TimeInterval? {
                guard let unit = text.last, let number = Int(text.dropLast()), number > 0 else { return nil }
                switch unit {
                case "m": return TimeInterval(number) * 60
                case "h": return TimeInterval(number) * 3600
                case "d": return TimeInterval(number) * 86_400
                default: return nil
                }
            }

            func run() async throws {
                let workspace = try global.workspace()
                let token = try ServeTokens(project: workspace.project).create(
                    scope: ServeTokens.Scope(rawValue: scope) ?? .read,
                    principal: user.map { Principal(user: $0, groups: groups) },
                    lifetime: expiresIn.flatMap(Self.seconds))
                let owner = user.map { " for \(Principal(user: $0, groups: groups).description)" } ?? ""
                let until = expiresIn.map { ", for \($0)" } ?? ""
                Terminal.err(
                    "A \(scope) token\(owner) of \(workspace.project.root.path)\(until); it is not shown again:")
                Terminal.out(token)
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "ls", abstract: "List the tokens: id, scope, user, groups, state (never the token).")
            @OptionGroup(title: "Global Options") var global: GlobalOptions
            @Option(name: .shortAndLong, help: "Output format: text or json.") var output: OutputFormat = .text

            func validate() throws {
                try output.require(oneOf: [.text, .json], for: "serve tokens ls")
            }

            func run() async throws {
                let tokens = try ServeTokens(project: try global.workspace().project).list()
                if output == .json { return try JSONOutput.pretty(tokens) }
                guard !tokens.isEmpty else { return Terminal.err("No token: max serve tokens create --scope read") }
                Table.print(
                    headers: ["id", "scope", "user", "groups", "state", "created", "expires"],
                    rows: tokens.map {
                        [
                            $0.id, $0.scope, $0.user ?? "", $0.groups.joined(separator: ","), $0.state,
                            $0.createdAt ?? "", $0.expiresAt ?? "",
                        ]
                    })
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "revoke",
                abstract: "Revoke a token by its id (from \"max serve tokens ls\"): it stops working at once.")
            @OptionGroup(title: "Global Options") var global: GlobalOptions
            @Argument(help: "The token's id, or the start of it.") var id: String

            func run() async throws {
                let revoked = try ServeTokens(project: try global.workspace().project).revoke(id)
                Terminal.err("Revoked \(revoked): requests and explorer sessions with it are refused from now on.")
            }
        }
    }
}

/// One-line JSON outputs.
enum JSONValueLine {
    static func url(_ url: String) -> String {
        "{\"url\":\"\(url)\"}"
    }
}
