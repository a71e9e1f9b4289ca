import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import MaxCredentials
import MaxRuntime
import UnixSignals

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

struct ConnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Connect a connector: run its onboarding, store its secrets, and record the installation.",
        discussion: """
            On a terminal, Max asks for each value (secrets without echo). Otherwise (or with \
            --no-input) every value comes from flags:
              max connect acme --config baseURL=https://acme.example.com \\
                --credential api_token=env:ACME_TOKEN --config workspaceId=ws_…
            A secret is never accepted as a literal: use env:VAR, file:PATH, or - (standard input).

            With --config auth=oauth, Acme signs Max in with OAuth 2.0: Max prints one line \
            "authorize: <URL>" on stderr (and opens it in the browser on a desktop terminal), \
            then waits up to 5 minutes for the approval to come back to a port on 127.0.0.1.

            max connect <installation> --reauth enters an existing installation's credentials \
            again (a new token, a new OAuth approval): only the steps that ask for secrets run, \
            and its id, config and synced data stay. Ctrl-C at any step exits 130 and saves nothing.

            A source with a private certificate authority: --tls-ca ca.pem (recorded in max.json \
            as "tls": {"ca": …}; certificates are always validated). Mutual TLS: \
            --tls-client-certificate file:client.pem --tls-client-key file:client.key (stored \
            sealed, like any credential).

            --remote <url> records an installation of another Max node ("max serve" there) under a \
            name of this project: ls, search and count then ask that node. An env: token stays a \
            reference in max.json; any other source is stored sealed. The installation "acme" of \
            the node at http://node:8080, as acme-a here:
              max connect acme --remote http://node:8080 --name acme-a \\
                --credential token=env:NODE_TOKEN
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The connector, such as acme (see \"max connectors\"); with --reauth, the installation.")
    var connector: String
    @Option(help: "The installation's name (default: the connector's, then -2, -3…).") var name: String?
    @Option(help: "A config value, as key=value. Repeatable.") var config: [String] = []
    @Option(help: "A secret's source, as key=env:VAR, key=file:PATH or key=-. Repeatable.") var credential: [String] =
        []
    @Option(
        help:
            "Scope the installation to a group: only principals in it reach it through max serve, MCP and the explorer."
    ) var group: String?
    @Flag(help: "Never prompt, even on a terminal.") var noInput = false
    @Flag(help: "Enter the credentials of an existing installation again, keeping its id, config and data.")
    var reauth = false
    @Option(
        help:
            "Record an installation served by another Max node at this URL (the argument is its name there; --credential token=… gives the node's token)."
    ) var remote: String?
    @Option(
        help:
            "A private certificate authority the source's certificate is signed by (a PEM file; recorded in max.json as \"tls\": {\"ca\": …})."
    ) var tlsCA: String?
    @Option(help: "The client certificate for mutual TLS (PEM), as env:VAR, file:PATH or -; stored sealed.")
    var tlsClientCertificate: String?
    @Option(help: "The client certificate's private key (PEM), as env:VAR, file:PATH or -; stored sealed.")
    var tlsClientKey: String?

    func validate() throws {
        if let group, !Principal.isName(group) {
            throw ValidationError(
                "'\(group.prefix(80))' is not a group name: use letters, digits, '.', '_', '-' and '@' (at most 64)")
        }
        if group != nil, reauth || remote != nil {
            throw ValidationError("--group is for a new installation: set \"group\" in max.json to change one")
        }
        if reauth, name != nil {
            throw ValidationError("--reauth takes the installation's name as its argument, not --name")
        }
        if remote != nil, reauth || !config.isEmpty {
            throw ValidationError("--remote takes only --name and --credential token=…")
        }
        if (tlsClientCertificate == nil) != (tlsClientKey == nil) {
            throw ValidationError("--tls-client-certificate and --tls-client-key go together")
        }
        if reauth || remote != nil, tlsCA != nil || tlsClientCertificate != nil {
            throw ValidationError(
                "the --tls options are for a new installation (set \"tls\" in max.json to change one)")
        }
        if reauth, !config.isEmpty {
            throw ValidationError(
                "--reauth keeps the installation's config: drop --config (or disconnect and connect again)")
        }
    }

    func run() async throws {
        let workspace = try global.workspace()
        var values: [String: String] = [:]
        for pair in config {
            let (key, value) = try Self.split(pair, flag: "--config")
            values[key] = value
        }
        var sources: [String: CredentialSource] = [:]
        for pair in credential {
            let (key, value) = try Self.split(pair, flag: "--credential")
            sources[key] = try CredentialSource(parsing: value, key: key)
        }
        if let remote {
            guard let source = sources["token"] else {
                throw ValidationError(
                    "--remote needs the node's token: --credential token=env:VAR (or file:PATH, or -)")
            }
            let local = name ?? connector
            let record = try await workspace.connectRemote(
                node: remote, remoteName: connector, name: local, token: source)
            Terminal.out("Connected \(connector) on \(remote) as \(local) (\(record.id))")
            Terminal.err("next: max search \(local) <EntityType>")
            return
        }
        let tls = try tlsInput(project: workspace.project)
        let interactive = !noInput && Terminal.stdinIsTTY
        var runner = OnboardingRunner(
            config: values, credentialSources: sources, prompter: interactive ? TerminalPrompter() : nil)
        runner.authorize = { url in
            Terminal.err("authorize: \(url.absoluteString)")
            if interactive { Browser.open(url) }
        }
        let subject = connector
        let reauth = reauth
        let ready = runner
        let name = name
        let group = group
        try await Self.exitingOnInterrupt(what: reauth ? "Re-authentication of \(subject)" : "Connect") {
            if reauth {
                let result = try await workspace.reauthenticate(subject, runner: ready, caller: GlobalOptions.caller)
                let stored = result.stored
                Terminal.out(
                    "Re-authenticated \(subject): stored \(stored.isEmpty ? "nothing" : stored.joined(separator: ", "))"
                )
                Self.report(revoked: result.revoked, at: result.provider, error: result.revocationError)
                switch result.health {
                case .unhealthy(let reason)?, .credentialExpired(let reason)?:
                    Terminal.err(
                        "warning: the health check with the new credentials failed: \(reason); see max status \(subject)"
                    )
                case let health?: Terminal.err("health check with the new credentials: \(health.name)")
                case nil: Terminal.err("warning: the health check with the new credentials could not run")
                }
                Terminal.err("next: max sync \(subject)")
            } else {
                let (name, record) = try await workspace.connect(
                    subject, name: name, group: group, tls: tls, runner: ready)
                Terminal.out("Connected \(record.connectorName) as \(name) (\(record.id))")
                Terminal.err("next: max sync \(name)")
            }
        }
    }

    /// The `--tls-*` options: the authority's path (from the project's folder when it is inside it)
    /// and the client certificate and key, read from their sources.
    func tlsInput(project: Project) throws -> (ca: String?, certificate: Secret?, key: Secret?)? {
        guard tlsCA != nil || tlsClientCertificate != nil else { return nil }
        var ca: String?
        if let tlsCA {
            let url = URL(fileURLWithPath: tlsCA, relativeTo: global.startURL).standardizedFileURL
            let root = project.root.standardizedFileURL.path + "/"
            ca = url.path.hasPrefix(root) ? String(url.path.dropFirst(root.count)) : url.path
        }
        let certificate = try tlsClientCertificate.map {
            try CredentialSource(parsing: $0, key: InstallationTLS.certificateCredential).read(
                key: InstallationTLS.certificateCredential, origin: "--tls-client-certificate")
        }
        let key = try tlsClientKey.map {
            try CredentialSource(parsing: $0, key: InstallationTLS.keyCredential).read(
                key: InstallationTLS.keyCredential, origin: "--tls-client-key")
        }
        return (ca, certificate, key)
    }

    /// Says what became of the old tokens at the provider.
    static func report(revoked: [String], at provider: String?, error: MaxError?) {
        let provider = provider ?? "the provider"
        if let error {
            let done = revoked.isEmpty ? "" : " (revoked: \(revoked.joined(separator: ", ")))"
            Terminal.err(
                "warning: \(provider) did not revoke the old token\(done): \(error.message); "
                    + "revoke Max's old access in \(provider)'s settings")
        } else if !revoked.isEmpty {
            Terminal.err("Revoked the old \(revoked.joined(separator: " and ")) at \(provider)")
        }
    }

    /// Runs `body`; on SIGINT or SIGTERM, puts the terminal back as it was (echo on) and exits 130
    /// at once: a prompt blocked on input cannot be cancelled, and nothing is written before the
    /// onboarding succeeds, so there is nothing to undo.
    static func exitingOnInterrupt(what: String, _ body: @escaping @Sendable () async throws -> Void) async throws {
        let saved = Terminal.inputMode()
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await body() }
            group.addTask {
                for await _ in signals {
                    Terminal.restoreInputMode(saved)
                    Terminal.err("\n\(what) interrupted: nothing was saved")
                    Foundation.exit(130)
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    static func split(_ pair: String, flag: String) throws -> (String, String) {
        guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
            throw MaxError(
                .onboardingInvalidInput, "\(flag) takes key=value, not '\(flag == "--credential" ? "…" : pair)'",
                hint:
                    "for example \(flag) \(flag == "--credential" ? "api_token=env:ACME_TOKEN" : "baseURL=https://acme.example.com")"
            )
        }
        return (String(pair[..<equals]), String(pair[pair.index(after: equals)...]))
    }
}
