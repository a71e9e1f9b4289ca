import ArgumentParser
import Foundation
import MaxCore
import MaxCredentials
import MaxRuntime

/// `max connector keygen`: a signing key pair for publishing connectors.
struct ConnectorKeygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen", abstract: "Make an Ed25519 key pair to sign connectors with.",
        discussion: """
            Writes the private key (base64, mode 0600) to --out and prints the public key, and the \
            entry that makes a project trust it: "trust": {"signers": {"<signer>": "<public key>"}}. \
            Keep the private key out of every repository.
            """)

    @Option(help: "The file to write the private key to (it must not exist).") var out: String
    @Option(help: "The signer's name, as projects will know it.") var signer: String

    func run() throws {
        let url = URL(fileURLWithPath: out)
        guard !FileManager.default.fileExists(atPath: url.path) else {
            throw ValidationError("\(out) exists already: Max never overwrites a key")
        }
        let (privateKey, publicKey) = ConnectorSignature.keyPair()
        try AtomicFile.write(Data((privateKey + "\n").utf8), to: url, permissions: 0o600)
        Terminal.out(publicKey)
        Terminal.err(
            "wrote the private key to \(url.path); a project trusts this signer with "
                + #""trust": {"signers": {""# + signer + #"": ""# + publicKey + #""}}"#)
    }
}

/// `max connector sign`: signs a manifest or a package.
struct ConnectorSign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign", abstract: "Sign a connector (a manifest or a package) for max install to check.",
        discussion: """
            Signs the connector's name and the SHA-256 of its source (a manifest's bytes, or every \
            file of a package but .build, .git and .swiftpm) with an Ed25519 key from max connector \
            keygen, and writes the signature beside it: <manifest>.max-signature.json, or \
            max-signature.json in the package. Any later change to the source breaks it.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The manifest file or package folder.") var path: String
    @Option(help: "The connector's name (default: the file's or folder's name).") var name: String?
    @Option(help: "The private key file.") var key: String
    @Option(help: "The signer's name, as the project's trust list knows it.") var signer: String

    func run() async throws {
        let source = URL(fileURLWithPath: path, relativeTo: global.startURL).standardizedFileURL
        let connector =
            name ?? source.deletingPathExtension().lastPathComponent
        let privateKey: String
        do {
            privateKey = try String(contentsOfFile: key, encoding: .utf8)
        } catch {
            throw MaxError(.invalidSigningKey, "cannot read the key file \(key): \(error.localizedDescription)")
        }
        let signature = try ConnectorSignature.sign(
            connector: connector, digest: try ConnectorSignature.digest(of: source), signer: signer,
            privateKey: privateKey)
        let location = ConnectorSignature.location(for: source)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(signature) + Data("\n".utf8), to: location, permissions: 0o644)
        Terminal.out("Signed \(connector) as \(signer): \(location.path)")
    }
}

/// `max connector approve`: approves a connector at a version.
struct ConnectorApprove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Approve a connector at a version for this project.",
        discussion: """
            Adds <name>@<version> to "trust": {"approved": [...]} in max.json. With "requireApproval": \
            true there, max install refuses a connector whose version is not approved.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The connector and version, as name@version.") var connector: String

    func validate() throws {
        let parts = connector.split(separator: "@")
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ValidationError("give the connector as name@version, such as notes@1.0.0")
        }
    }

    func run() async throws {
        let project = try global.workspace().project
        try project.update { file in
            var trust = file.otherKeys["trust"]?.objectValue ?? [:]
            let approved = trust["approved"]?.arrayValue ?? []
            if !approved.contains(.string(connector)) { trust["approved"] = .array(approved + [.string(connector)]) }
            file.otherKeys["trust"] = .object(trust)
        }
        Terminal.out("Approved \(connector)")
    }
}
