import Foundation
import MaxConnector
import MaxCore
import MaxCredentials
import MaxRuntime
import MaxTestSupport
import Testing

struct ProjectTests {
    /// `max.json` is parsed once per text: loading it again gives the same file, and any edit
    /// (even one that keeps its length) is seen at the next load.
    @Test func everyEditOfTheProjectFileIsSeen() throws {
        let folder = try TemporaryDirectory(prefix: "project-cache")
        let project = try Project.initialise(at: folder.url).project
        func write(_ connector: String) throws {
            let text = #"{"installations": {"a": {"id": "u1", "connector": "\#(connector)", "connectedAt": "x"}}}"#
            try Data(text.utf8).write(to: project.fileURL)
        }
        try write("acme")
        #expect(try project.load().installations["a"]?.connector == "acme")
        #expect(try project.load() == (try project.load()))
        try write("gitx")
        #expect(try project.load().installations["a"]?.connector == "gitx")
        try Data("{nope".utf8).write(to: project.fileURL)
        #expect(throws: MaxError.self) { try project.load() }
    }

    @Test func projectFilesKeepUnknownKeys() throws {
        let text = """
            {"connectors": {"x": "file:./x"}, "future": [1, 2],
             "installations": {"acme": {"id": "u1", "connector": "acme@1.0.0", "connectedAt": "2026-01-01T00:00:00.000Z",
                                        "config": {"baseURL": "http://a"}, "labels": {"team": "eng"}}}}
            """
        let file = try ProjectFile(parsing: text, path: "max.json")
        #expect(file.installations["acme"]?.connectorName == "acme")
        let again = try ProjectFile(parsing: file.text, path: "max.json")
        #expect(again == file)
        #expect(file.text.contains(#""labels": {"#))
        #expect(file.text.contains(#""future": ["#))
    }

    @Test(arguments: [
        ("[]", "the top level must be an object"),
        (#"{"installations": 3}"#, "'installations' must be an object"),
        (#"{"installations": {"a": {"connector": "acme", "connectedAt": "x"}}}"#, "'installations.a.id' must be"),
        ("{nope", "is not valid JSON"),
        (
            "{\n  \"installations\": {\"g\": {\"id\": \"1\", \"connector\": \"git\", \"connectedAt\": \"x\",\n"
                + "    \"config\": {\"path\": \"/srv/repo\",\n      \"path\": \"/etc\"}}}}",
            #"the key "path" appears twice in one object at line 4, column 7"#
        ),
        (#"{"a": 1, "a": 1}"#, #"the key "a" appears twice in one object at line 1, column 10"#),
        (
            #"{"installations": {"a": {"id": "1", "connector": "acme", "connectedAt": "x", "group": "a b"}}}"#,
            "'installations.a.group' must be a group name"
        ),
        ("{\n\n  \"é\": x}", "at line 3, column 8"),
    ])
    func malformedFilesSayWhatIsWrong(_ text: String, _ message: String) {
        let error = #expect(throws: MaxError.self) { try ProjectFile(parsing: text, path: "/p/max.json") }
        #expect(error?.code == .invalidProjectFile)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("/p/max.json") == true)
    }

    @Test func aByteOrderMarkIsSkipped() throws {
        let file = try ProjectFile(parsing: "\u{FEFF}{\"installations\": {}}\n", path: "max.json")
        #expect(file.installations.isEmpty)
        #expect(!file.text.hasPrefix("\u{FEFF}"), "and not written back")
    }

    @Test func initFindAndRefuseANestedProject() throws {
        let folder = try TemporaryDirectory(prefix: "project")
        let project = try Project.initialise(at: folder.url).project
        let nested = folder.url.appendingPathComponent("a/b", isDirectory: true)
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        #expect(try Project.find(from: nested).root.path == project.root.path)
        let error = #expect(throws: MaxError.self) { try Project.initialise(at: nested) }
        #expect(error?.code == .projectExists)
        #expect(try String(contentsOf: folder.file(".gitignore"), encoding: .utf8) == ".max/\n")
        _ = try Project.initialise(at: folder.url, force: true)
        #expect(try String(contentsOf: folder.file(".gitignore"), encoding: .utf8) == ".max/\n", "not added twice")
    }

    @Test func credentialsAreStoredPrivately() async throws {
        let folder = try TemporaryDirectory(prefix: "credentials")
        let key = MasterKey.generate()
        let store = FileCredentialStore(
            url: folder.file("i/credentials.json"), installation: "i", keys: { MasterKeyring(current: key) })
        try await store.set(Credential.key("api_token"), "s3cret")
        #expect(try await store.get(Credential.key("api_token")) == "s3cret")
        #expect(try await store.names() == ["api_token"])
        let attributes = try FileManager.default.attributesOfItem(atPath: folder.file("i/credentials.json").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test(arguments: ["env:TOKEN", "file:/tmp/x", "-"])
    func credentialSourcesParse(_ text: String) throws {
        _ = try CredentialSource(parsing: text, key: "api_token")
    }

    @Test func literalSecretsAreRefusedWithoutRepeatingThem() {
        let error = #expect(throws: MaxError.self) { try CredentialSource(parsing: "acme_s3cret", key: "api_token") }
        #expect(error?.code == .literalSecret)
        #expect(error?.description.contains("acme_s3cret") == false)
    }

    @Test func nonInteractiveOnboardingNamesEverythingMissing() async throws {
        let flow = OnboardingFlow([
            .input(
                InputStep(
                    "x", fields: [.url("baseURL"), .string("region", default: "eu")],
                    credentials: [CredentialInput(Credential.key("api_token"))]))
        ])
        let error = try await #require(throws: MaxError.self) {
            try await OnboardingRunner(prompter: nil).run(flow, store: InMemoryCredentialStore())
        }
        #expect(error.code == .onboardingMissingInput)
        #expect(error.message.contains("baseURL (--config baseURL=…)"))
        #expect(error.message.contains("api_token (--credential api_token=env:VAR|file:PATH|-)"))
        #expect(!error.message.contains("region"), "a field with a default is not missing")
    }
}
