import Foundation
import MaxConnector
import MaxCore
import MaxCredentials
import MaxRuntime
import MaxTestSupport
import Testing

/// Names from `max.json` and links under `.max/` can never lead Max outside the project, and secret
/// files others could read are refused.
struct ProjectSafetyTests {
    static func record(named name: String) -> String {
        let key = JSONValue.string(name).jsonText
        return """
            {"installations": {\(key): {"id": "u1", "connector": "acme@1.0.0",
              "connectedAt": "2026-01-01T00:00:00.000Z", "config": {}}}}
            """
    }

    @Test(arguments: [
        "../../../victim", "..", ".", "/tmp/victim", "a/b", "a\\b", "Acme", "", "-x", "_x", "acme\u{0}", "é",
        String(repeating: "a", count: 65),
    ])
    func hostileNamesInMaxJSONAreRefused(_ name: String) {
        let error = #expect(throws: MaxError.self) {
            try ProjectFile(parsing: Self.record(named: name), path: "/p/max.json")
        }
        #expect(error?.code == .invalidProjectFile)
        #expect(error?.category == .validationError)
        #expect(error?.message.contains("is not valid") == true, "\(error?.message ?? "")")
    }

    @Test(arguments: ["acme", "acme-2", "my_source", "0x", String(repeating: "a", count: 64)])
    func ordinaryNamesAreAccepted(_ name: String) throws {
        let file = try ProjectFile(parsing: Self.record(named: name), path: "/p/max.json")
        #expect(file.installations[name] != nil)
    }

    @Test func pathsRefuseEveryLinkOnTheWay() throws {
        let folder = try TemporaryDirectory(prefix: "links")
        let outside = try TemporaryDirectory(prefix: "outside")
        let project = try Project.initialise(at: folder.url).project
        try project.prepareInstallationFolder("real")
        #expect(try project.dataURL("real").path.hasPrefix(project.runtimeURL.path))

        let installations = project.runtimeURL.appendingPathComponent("installations")
        try FileManager.default.createSymbolicLink(
            at: installations.appendingPathComponent("x"), withDestinationURL: outside.url)
        for path in [
            { try project.installationURL("x") }, { try project.dataURL("x") },
            {
                try project.credentialsURL("x")
            },
        ] {
            let error = #expect(throws: MaxError.self) { try path() }
            #expect(error?.code == .unsafePath)
            #expect(error?.hint?.contains("rm ") == true)
        }
        #expect(throws: MaxError.self) { try project.prepareInstallationFolder("x") }

        try FileManager.default.createSymbolicLink(
            at: project.installationURL("real").appendingPathComponent("data.db"),
            withDestinationURL: outside.file("stolen.db"))
        #expect(throws: MaxError.self) { try project.dataURL("real") }
        #expect(!FileManager.default.fileExists(atPath: outside.file("stolen.db").path))

        let error = #expect(throws: MaxError.self) { try project.installationURL("../x") }
        #expect(error?.code == .invalidInstallationName)
    }

    @Test func aLinkedRuntimeFolderIsRefused() throws {
        let folder = try TemporaryDirectory(prefix: "linked-runtime")
        let outside = try TemporaryDirectory(prefix: "outside")
        try Data("{}\n".utf8).write(to: folder.file("max.json"))
        try FileManager.default.createSymbolicLink(at: folder.file(".max"), withDestinationURL: outside.url)
        let project = Project(root: folder.url)
        #expect(throws: MaxError.self) { try project.prepareInstallationFolder("acme") }
        #expect(throws: MaxError.self) { try Project.initialise(at: folder.url, force: true) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.url.path).isEmpty)
    }

    @Test func theRuntimeFolderIsPrivateAndInitSaysWhatItDid() throws {
        let folder = try TemporaryDirectory(prefix: "private")
        let first = try Project.initialise(at: folder.url)
        #expect(first.createdFile && first.createdRuntimeFolder && first.updatedGitignore)
        #expect(try Self.mode(of: first.project.runtimeURL) == 0o700)
        #expect(try Self.mode(of: first.project.fileURL) == 0o644, "max.json is meant to be shared")

        try first.project.prepareInstallationFolder("acme")
        #expect(try Self.mode(of: first.project.installationURL("acme")) == 0o700)

        let again = try Project.initialise(at: folder.url, force: true)
        #expect(!again.changedAnything)

        // A folder made by an older Max, open to everyone, is tightened.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: first.project.runtimeURL.path)
        try first.project.prepareInstallationFolder("acme")
        #expect(try Self.mode(of: first.project.runtimeURL) == 0o700)
    }

    @Test func initRefusesToPaperOverAMalformedProjectFile() throws {
        let folder = try TemporaryDirectory(prefix: "malformed-init")
        let broken = Data(#"{"installations": {"#.utf8)
        try broken.write(to: folder.file("max.json"))
        let error = #expect(throws: MaxError.self) { try Project.initialise(at: folder.url, force: true) }
        #expect(error?.code == .invalidProjectFile)
        #expect(try Data(contentsOf: folder.file("max.json")) == broken)
    }

    static func mode(of url: URL) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int) & 0o777
    }
}

/// The credential file is refused unless it is a private, regular file of the user; a plain one
/// (from before sealing) must hold only non-empty strings; errors name keys, never values.
struct CredentialFileTests {
    let folder: TemporaryDirectory
    let url: URL
    let store: FileCredentialStore
    let canary = "acme_" + String(repeating: "c", count: 24)

    init() throws {
        folder = try TemporaryDirectory(prefix: "credential-file")
        url = folder.file("credentials.json")
        let key = MasterKey.generate()
        store = FileCredentialStore(url: url, installation: "inst-1", keys: { MasterKeyring(current: key) })
    }

    func write(_ text: String, mode: Int = 0o600) throws {
        try Data(text.utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    }

    @Test(arguments: [0o644, 0o640, 0o666, 0o604, 0o620])
    func aFileOthersCanReadIsRefusedWithTheFix(mode: Int) async throws {
        try write(#"{"api_token": "\#(canary)"}"#, mode: mode)
        let error = try await #require(throws: MaxError.self) { try await store.secret(named: "api_token") }
        #expect(error.code == .insecureCredentials)
        #expect(error.hint == "make it private to you: chmod 600 \(url.path)")
        #expect(!error.description.contains(canary))
    }

    @Test func aLinkIsRefusedEvenToAPrivateFile() async throws {
        let target = folder.file("elsewhere.json")
        try Data(#"{"api_token": "\#(canary)"}"#.utf8).write(to: target)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target.path)
        try FileManager.default.createSymbolicLink(at: url, withDestinationURL: target)
        let error = try await #require(throws: MaxError.self) { try await store.names() }
        #expect(error.code == .insecureCredentials)
        #expect(error.message.contains("symbolic link"))
    }

    @Test(arguments: [
        (#"{"api_token": 12345}"#, "the value of 'api_token' is not a string"),
        (#"{"api_token": ""}"#, "the value of 'api_token' is empty"),
        (#"{"api_token": null}"#, "the value of 'api_token' is not a string"),
        (#"["x"]"#, "it is not a JSON object"),
        ("not json", "it is not a JSON object"),
    ])
    func damagedValuesAreNamedNotIgnored(_ text: String, _ problem: String) async throws {
        try write(text)
        let error = try await #require(throws: MaxError.self) { try await store.secret(named: "api_token") }
        #expect(error.code == .credentialStoreFailed)
        #expect(error.message.hasSuffix("is damaged: \(problem)"), "\(error.message)")
        #expect(error.hint?.contains("max connect <installation> --reauth") == true)
    }

    @Test func writesArePrivateFromTheFirstByte() async throws {
        try await store.setSecret(Secret(canary), named: "api_token")
        #expect(try ProjectSafetyTests.mode(of: url) == 0o600)
        #expect(try await store.secret(named: "api_token")?.revealed == canary)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter {
            $0.hasSuffix(".tmp")
        }
        #expect(leftovers.isEmpty)
    }

    @Test(arguments: [
        CredentialSource.environment("acme_" + String(repeating: "d", count: 24)),
        .file("acme_" + String(repeating: "d", count: 24)),
    ])
    func aSecretPastedAsTheSourceNameIsNotPrintedBack(_ source: CredentialSource) {
        let pasted = "acme_" + String(repeating: "d", count: 24)
        let error = #expect(throws: MaxError.self) { try source.read(key: "api_token", environment: [:]) }
        #expect(error?.code == .credentialSourceUnreadable)
        #expect(error?.description.contains(pasted) == false)
        #expect(error?.message.contains("api_token") == true)
    }
}
