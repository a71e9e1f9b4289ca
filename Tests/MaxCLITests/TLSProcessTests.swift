import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// An installation's TLS through the `max` executable, against an HTTPS source (Python's `ssl`)
/// whose certificate a private authority signed (made here with `openssl`), first as a plain
/// HTTPS server, then one requiring a client certificate.
struct TLSProcessTests {
    /// A private authority, a certificate for 127.0.0.1 and a client certificate, all signed by it.
    struct Certificates {
        let folder: TemporaryDirectory

        init() async throws {
            folder = try TemporaryDirectory(prefix: "tls")
            let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
            try await openssl(
                ["req", "-x509"] + ec + [
                    "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Max Test CA", "-addext",
                    "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                ])
            for (name, extensions) in [
                ("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
                ("client", "extendedKeyUsage=clientAuth\n"),
            ] {
                try extensions.write(to: folder.file("\(name).ext"), atomically: true, encoding: .utf8)
                try await openssl(
                    ["req"] + ec + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=max-\(name)"])
                try await openssl([
                    "x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", "\(name).pem", "-days", "2", "-extfile", "\(name).ext",
                ])
            }
        }

        func openssl(_ arguments: [String]) async throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl"] + arguments
            process.currentDirectoryURL = folder.url
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "openssl \(arguments.joined(separator: " "))")
        }

        func path(_ name: String) -> String { folder.file(name).path }
    }

    /// The HTTPS source, stopped when the value goes away.
    final class Source: @unchecked Sendable {
        // Unchecked: the process handle is only touched by init and deinit.
        let url: String
        private let process: Process

        init(_ certificates: Certificates, requireClientCertificate: Bool) throws {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Scripts/tls_server.py")
            process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments =
                [
                    "python3", script.path, "--cert", certificates.path("server.pem"), "--key",
                    certificates.path("server.key"),
                ]
                + (requireClientCertificate ? ["--client-ca", certificates.path("ca.pem")] : [])
            let stdout = Pipe()
            process.standardOutput = stdout
            process.standardError = FileHandle.nullDevice
            try process.run()
            url = "https://127.0.0.1:\(try firstLine(of: stdout).trimmingCharacters(in: .whitespacesAndNewlines))"
        }

        deinit {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// The `odd` manifest with a token, checked by `max connect` with a request.
    static let withToken = """
        name: odd
        displayName: Odd
        description: A source behind mutual TLS
        version: 1.0.0
        config:
          - key: url
        credentials:
          - key: token
        auth: {type: bearer, credential: token}
        base: "{{config.url}}"
        validation: {path: /items}
        streams:
          - name: items
            entity: OddItem
            request: {path: /items}
            records: items
            pagination: {type: none}
            fields:
              name: {type: string}
        """

    /// A project with the `odd` manifest (GET /items) in its connectors table.
    static func project(_ manifest: String? = nil) async throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory(prefix: "tls-project")
        _ = try await runMax(["init", folder.url.path])
        let file = folder.url.appendingPathComponent("connectors/odd.yaml")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try (manifest ?? ManifestConnectorTests.manifest(path: "/items", records: "items", pagination: "{type: none}"))
            .write(to: file, atomically: true, encoding: .utf8)
        try editProjectFile(in: folder.url) { $0["connectors"] = ["odd": "file:./connectors/odd.yaml"] }
        return folder
    }

    @Test func aPrivateAuthorityIsTrustedOnlyWhenTheInstallationNamesIt() async throws {
        let certificates = try await Certificates()
        let source = try Source(certificates, requireClientCertificate: false)
        let folder = try await Self.project()
        let path = folder.url.path

        // The system's authorities alone: the certificate is refused, and the error says what to do.
        _ = try await runMax(["-C", path, "connect", "odd", "--name", "plain", "--config", "url=\(source.url)"])
        let refused = try await runMax(["-C", path, "sync", "plain"])
        #expect(refused.status != 0, "\(refused.output)")
        #expect(refused.output.contains("error[http.tls_failed]"), "\(refused.output)")
        #expect(refused.output.contains("not signed by an authority Max trusts"), "\(refused.output)")
        #expect(refused.output.contains("--tls-ca"), "\(refused.output)")

        // The authority named: trusted besides the system's, recorded by a path from the project.
        try FileManager.default.copyItem(atPath: certificates.path("ca.pem"), toPath: folder.file("ca.pem").path)
        let connected = try await runMax([
            "-C", path, "connect", "odd", "--name", "private", "--config", "url=\(source.url)", "--tls-ca",
            folder.file("ca.pem").path,
        ])
        #expect(connected.status == 0, "\(connected.output)")
        let synced = try await runMax(["-C", path, "sync", "private"])
        #expect(synced.status == 0, "\(synced.output)")
        #expect(try await runMax(["-C", path, "count", "private", "OddItem"]).stdout.hasPrefix("2"))
        let file = try JSONValue(parsing: String(contentsOf: folder.file("max.json"), encoding: .utf8))
        #expect(file["installations"]?["private"]?["tls"] == ["ca": "ca.pem"])
        let valid = try await runMax(["-C", path, "validate"])
        #expect(valid.status == 0, "\(valid.output)")

        // A broken authority file is named by max validate.
        try "not a certificate".write(to: folder.file("ca.pem"), atomically: true, encoding: .utf8)
        let invalid = try await runMax(["-C", path, "validate"])
        #expect(invalid.status == 2, "\(invalid.output)")
        #expect(invalid.output.contains("installations.private.tls"), "\(invalid.output)")
        #expect(invalid.output.contains("does not read as PEM"), "\(invalid.output)")
    }

    @Test func mutualTLSPresentsTheClientCertificateKeptSealed() async throws {
        let certificates = try await Certificates()
        let source = try Source(certificates, requireClientCertificate: true)
        let folder = try await Self.project(Self.withToken)
        let path = folder.url.path
        let token = "odd-token-canary-8c1f2e"

        // The authority alone: the source wants a client certificate, and max connect's check says so.
        let anonymous = try await runMax(
            [
                "-C", path, "connect", "odd", "--name", "anonymous", "--config", "url=\(source.url)", "--tls-ca",
                certificates.path("ca.pem"), "--credential", "token=env:TOKEN",
            ], environment: ["TOKEN": token])
        #expect(anonymous.status != 0, "\(anonymous.output)")
        #expect(anonymous.output.contains("error[http.tls_failed]"), "\(anonymous.output)")
        #expect(anonymous.output.contains("it requires a client certificate"), "\(anonymous.output)")

        let key = try String(contentsOfFile: certificates.path("client.key"), encoding: .utf8)
        let connected = try await runMax(
            [
                "-C", path, "connect", "odd", "--name", "mutual", "--config", "url=\(source.url)", "--tls-ca",
                certificates.path("ca.pem"), "--tls-client-certificate", "file:\(certificates.path("client.pem"))",
                "--tls-client-key", "env:CLIENT_KEY", "--credential", "token=env:TOKEN",
            ], environment: ["CLIENT_KEY": key, "TOKEN": token])
        #expect(connected.status == 0, "\(connected.output)")
        let synced = try await runMax(["-C", path, "sync", "mutual"])
        #expect(synced.status == 0, "\(synced.output)")
        // A new token: the check runs over mutual TLS again, and the certificate and key stay.
        let reauth = try await runMax(
            ["-C", path, "connect", "mutual", "--reauth", "--credential", "token=env:TOKEN"],
            environment: ["TOKEN": token + "-2"])
        #expect(reauth.status == 0, "\(reauth.output)")
        #expect(reauth.stdout.contains("stored token") && !reauth.stdout.contains("tls_client"), "\(reauth.stdout)")
        let again = try await runMax(["-C", path, "sync", "mutual"])
        #expect(again.status == 0, "\(again.output)")
        #expect(try await runMax(["-C", path, "count", "mutual", "OddItem"]).stdout.hasPrefix("2"))
        let file = try JSONValue(parsing: String(contentsOf: folder.file("max.json"), encoding: .utf8))
        #expect(
            file["installations"]?["mutual"]?["tls"]
                == [
                    "ca": .string(certificates.path("ca.pem")), "clientCertificate": "tls_client_certificate",
                    "clientKey": "tls_client_key",
                ])
        // The canary: the key's body is nowhere in max.json, .max/ or the outputs.
        let body = key.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        try CanaryScan.expectNoSecret(
            [String(body.prefix(40)), token], in: folder.url,
            outputs: [connected, synced, anonymous, reauth, again])
        // Disconnecting reads the TLS settings for its revocations, and says nothing secret.
        let disconnected = try await runMax(["-C", path, "disconnect", "mutual", "--purge", "--yes"])
        #expect(disconnected.status == 0, "\(disconnected.output)")
        #expect(!disconnected.output.contains(token) && !disconnected.output.contains(String(body.prefix(40))))
    }

    @Test func badTLSFlagsAreRefusedBeforeAnythingIsWritten() async throws {
        let folder = try await Self.project()
        let path = folder.url.path
        let half = try await runMax([
            "-C", path, "connect", "odd", "--config", "url=https://127.0.0.1:1", "--tls-client-certificate",
            "file:/nonexistent.pem",
        ])
        #expect(half.status == 2, "\(half.output)")
        #expect(half.stderr.contains("--tls-client-certificate and --tls-client-key go together"), "\(half.stderr)")
        let unreadable = try await runMax([
            "-C", path, "connect", "odd", "--config", "url=https://127.0.0.1:1", "--tls-ca", "missing.pem",
        ])
        #expect(unreadable.status != 0, "\(unreadable.output)")
        #expect(unreadable.stderr.contains("error[http.tls_invalid]"), "\(unreadable.stderr)")
        let file = try JSONValue(parsing: String(contentsOf: folder.file("max.json"), encoding: .utf8))
        #expect(file["installations"]?.objectValue?.isEmpty ?? true, "nothing was connected")
    }
}
