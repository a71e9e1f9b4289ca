import Crypto
public import Foundation
public import MaxCore

/// A connector's signature (Ed25519, through swift-crypto): who vouches for exactly which bytes.
///
/// What is signed is the connector's name and the SHA-256 of its source: a manifest's bytes, or
/// every file of a package (paths and contents, in path order; `.build`, `.git`, `.swiftpm` and
/// the signature itself left out). The signature sits beside what it signs:
/// `<manifest>.max-signature.json`, or `max-signature.json` in a package's folder. `max connector
/// sign` writes it; `max install` checks it against the project's trusted signers.
public struct ConnectorSignature: Codable, Sendable, Equatable {
    /// The connector's name.
    public var connector: String
    /// `sha256:<hex>` of its source.
    public var digest: String
    /// The signer's name, as the project's trust list knows it.
    public var signer: String
    /// The signer's public key (32 bytes, base64).
    public var publicKey: String
    /// The signature of ``message`` (base64).
    public var signature: String
    /// When it was signed, ISO-8601.
    public var signedAt: String

    /// The bytes signed: what the signature vouches for, and nothing else.
    var message: Data { Data("max-connector-signature/v1\n\(connector)\n\(digest)".utf8) }

    /// A new Ed25519 key pair, each key as base64 (the private key's 32 bytes are a secret).
    public static func keyPair() -> (privateKey: String, publicKey: String) {
        let key = Curve25519.Signing.PrivateKey()
        return (key.rawRepresentation.base64EncodedString(), key.publicKey.rawRepresentation.base64EncodedString())
    }

    /// Signs `digest` of `connector` with `privateKey`.
    ///
    /// - Throws: `signature.invalid_key` when the key is not a base64 Ed25519 private key.
    public static func sign(
        connector: String, digest: String, signer: String, privateKey: String, at date: Date = Date()
    ) throws -> ConnectorSignature {
        guard let raw = Data(base64Encoded: privateKey.trimmingCharacters(in: .whitespacesAndNewlines)),
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else {
            throw MaxError(
                .invalidSigningKey, "the signing key is not an Ed25519 private key (32 bytes, base64)",
                hint: "make one with max connector keygen")
        }
        var signature = ConnectorSignature(
            connector: connector, digest: digest, signer: signer,
            publicKey: key.publicKey.rawRepresentation.base64EncodedString(), signature: "",
            signedAt: ISO8601.format(date))
        signature.signature = try key.signature(for: signature.message).base64EncodedString()
        return signature
    }

    /// Whether ``signature`` is `publicKey`'s signature of the connector's name and digest.
    public var isValid: Bool {
        guard let raw = Data(base64Encoded: publicKey),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw),
            let bytes = Data(base64Encoded: signature)
        else { return false }
        return key.isValidSignature(bytes, for: message)
    }

    /// Where the signature of the source at `url` sits.
    public static func location(for url: URL) -> URL {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
            return url.appendingPathComponent("max-signature.json")
        }
        return url.deletingLastPathComponent().appendingPathComponent(url.lastPathComponent + ".max-signature.json")
    }

    /// The files left out of a package's digest: build products, version control, the signature.
    static let skipped: Set<String> = [".build", ".git", ".swiftpm", "max-signature.json"]

    /// `sha256:<hex>` of the source at `url`: a file's bytes, or a folder's files (each relative
    /// path, a zero byte, its length, a zero byte, its bytes; in path order).
    ///
    /// - Throws: `signature.unreadable` when it is missing or cannot be read.
    public static func digest(of url: URL) throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw MaxError(
                .unreadableSource, "\(url.path) does not exist", hint: "check the path", context: ["path": url.path])
        }
        var digest = ContentDigest()
        func add(_ data: Data) { data.withUnsafeBytes { digest.update($0) } }
        func read(_ file: URL) throws -> Data {
            do {
                return try Data(contentsOf: file)
            } catch {
                throw MaxError(
                    .unreadableSource, "cannot read \(file.path): \(error.localizedDescription)",
                    context: ["path": file.path])
            }
        }
        guard isFolder.boolValue else {
            add(try read(url))
            return "sha256:" + digest.finalize()
        }
        var files: [String] = []
        let root = url.standardizedFileURL.path
        let walker = FileManager.default.enumerator(
            at: url, includingPropertiesForKeys: [.isRegularFileKey, .isDirectoryKey], options: [])
        while let item = walker?.nextObject() as? URL {
            if skipped.contains(item.lastPathComponent) {
                walker?.skipDescendants()
                continue
            }
            guard (try? item.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            files.append(String(item.standardizedFileURL.path.dropFirst(root.count + 1)))
        }
        for path in files.sorted() {
            let data = try read(url.appendingPathComponent(path))
            add(Data(path.utf8) + Data([0]) + Data(String(data.count).utf8) + Data([0]))
            add(data)
        }
        return "sha256:" + digest.finalize()
    }
}

extension MaxError.Code {
    /// A signing key that is not an Ed25519 private key.
    public static let invalidSigningKey = Self(domain: "signature", name: "invalid_key", category: .validationError)
    /// A connector's source cannot be read to be digested.
    public static let unreadableSource = Self(domain: "signature", name: "unreadable", category: .permanent)
}
