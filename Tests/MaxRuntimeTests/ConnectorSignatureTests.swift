import Foundation
import MaxCore
import MaxCredentials
import MaxRuntime
import MaxTestSupport
import Testing

/// A package's digest covers exactly its files, and a signature holds for exactly its signer, name
/// and digest; ``ConnectorTrust`` turns each way it fails into its error.
struct ConnectorSignatureTests {
    @Test func aPackagesDigestCoversItsFilesAndNothingElse() throws {
        let package = try TemporaryDirectory(prefix: "package")
        try FileManager.default.createDirectory(at: package.file("Sources/Hello"), withIntermediateDirectories: true)
        try Data("// swift-tools-version:6.0\n".utf8).write(to: package.file("Package.swift"))
        try Data("print(1)\n".utf8).write(to: package.file("Sources/Hello/main.swift"))
        let digest = try ConnectorSignature.digest(of: package.url)
        #expect(digest.hasPrefix("sha256:") && digest.count == 71)

        // Build products, version control and the signature are not part of it.
        for skipped in [".build/debug/x", ".git/HEAD", ".swiftpm/config"] {
            let url = package.file(skipped)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("anything".utf8).write(to: url)
        }
        try Data("{}".utf8).write(to: package.file("max-signature.json"))
        #expect(try ConnectorSignature.digest(of: package.url) == digest)

        // A changed byte, a moved file and a new file all change it.
        try Data("print(2)\n".utf8).write(to: package.file("Sources/Hello/main.swift"))
        let changed = try ConnectorSignature.digest(of: package.url)
        #expect(changed != digest)
        try FileManager.default.moveItem(
            at: package.file("Sources/Hello/main.swift"), to: package.file("Sources/Hello/app.swift"))
        let moved = try ConnectorSignature.digest(of: package.url)
        #expect(moved != changed)
        try Data().write(to: package.file("README.md"))
        #expect(try ConnectorSignature.digest(of: package.url) != moved)
    }

    @Test func aSignatureHoldsForItsSignerNameAndDigestOnly() throws {
        let package = try TemporaryDirectory(prefix: "signed-package")
        try Data("print(1)\n".utf8).write(to: package.file("main.swift"))
        let (privateKey, publicKey) = ConnectorSignature.keyPair()
        let signature = try ConnectorSignature.sign(
            connector: "hello", digest: try ConnectorSignature.digest(of: package.url), signer: "acme-corp",
            privateKey: privateKey)
        #expect(signature.isValid && signature.publicKey == publicKey)
        var renamed = signature
        renamed.connector = "other"
        #expect(!renamed.isValid)
        var redigested = signature
        redigested.digest = "sha256:" + String(repeating: "0", count: 64)
        #expect(!redigested.isValid)

        let location = ConnectorSignature.location(for: package.url)
        #expect(location.lastPathComponent == "max-signature.json")
        try JSONEncoder().encode(signature).write(to: location)
        let trust = try ConnectorTrust(json: ["signers": ["acme-corp": .string(publicKey)]])
        #expect(try trust.verify("hello", source: package.url) == "acme-corp")
        let misnamed = #expect(throws: MaxError.self) { try trust.verify("world", source: package.url) }
        #expect(misnamed?.code == .connectorSignatureInvalid)
        #expect(misnamed?.message.contains("it signs the connector hello, not world") == true)
        #expect(throws: MaxError.self) {
            try ConnectorSignature.sign(connector: "x", digest: "sha256:0", signer: "s", privateKey: "short")
        }
    }
}
