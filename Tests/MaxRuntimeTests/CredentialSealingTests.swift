import Foundation
import MaxConnector
import MaxCore
import MaxCredentials
import MaxRuntime
import MaxTestSupport
import Testing

/// Secrets at rest are sealed: they never appear in the file, open only where they were sealed,
/// and every failure says what is wrong without printing a secret.
struct CredentialSealingTests {
    let folder: TemporaryDirectory
    let url: URL
    let key = MasterKey.generate()
    let canary = "acme_canary_" + String(repeating: "7", count: 20)
    let other = "acme_other_" + String(repeating: "5", count: 20)

    init() throws {
        folder = try TemporaryDirectory(prefix: "sealing")
        url = folder.file("credentials.json")
    }

    private func store(_ installation: String = "inst-1", key: MasterKey? = nil, at url: URL? = nil)
        -> FileCredentialStore
    {
        let key = key ?? self.key
        return FileCredentialStore(
            url: url ?? self.url, installation: installation, keys: { MasterKeyring(current: key) })
    }

    private func fileText() throws -> String { try String(contentsOf: url, encoding: .utf8) }

    private func expectNoSecret(in error: MaxError) {
        for secret in [canary, other] {
            #expect(!error.description.contains(secret) && !(error.hint ?? "").contains(secret))
        }
    }

    @Test func secretsAreSealedAndOpenWithTheSameKeyOnly() async throws {
        try await store().setSecret(Secret(canary), named: "api_token")
        try await store().setSecret(Secret(other), named: "refresh_token")
        let text = try fileText()
        #expect(!text.contains(canary) && !text.contains(other))
        #expect(text.contains("max.credentials/1") && text.contains(key.id))
        // A fresh store (another process) opens them.
        #expect(try await store().secret(named: "api_token")?.revealed == canary)
        #expect(try await store().names() == ["api_token", "refresh_token"])

        let error = try await #require(throws: MaxError.self) {
            try await store(key: MasterKey.generate()).secret(named: "api_token")
        }
        #expect(error.code == .wrongMasterKey)
        #expect(error.message.contains(key.id))
        expectNoSecret(in: error)
    }

    @Test func aChangedOrSwappedOrMovedValueDoesNotOpen() async throws {
        try await store().setSecret(Secret(canary), named: "api_token")
        try await store().setSecret(Secret(other), named: "refresh_token")
        let original = try JSONValue(parsing: try fileText())
        let secrets = try #require(original["secrets"]?.objectValue)
        let api = try #require(secrets["api_token"]?["sealed"]?.stringValue)
        let refresh = try #require(secrets["refresh_token"]?["sealed"]?.stringValue)

        // One character changed.
        let flipped = String(api.prefix(20)) + (api.dropFirst(20).first == "A" ? "B" : "A") + api.dropFirst(21)
        try write(original, replacing: api, with: flipped)
        var error = try await #require(throws: MaxError.self) { try await store().secret(named: "api_token") }
        #expect(error.code == .tamperedCredentials)
        #expect(error.message.contains("'api_token'") || error.message.contains("'refresh_token'"))
        expectNoSecret(in: error)

        // Two values swapped.
        try write(original, replacing: api, with: "SWAP")
        try Data(
            try fileText().replacingOccurrences(of: refresh, with: api).replacingOccurrences(of: "SWAP", with: refresh)
                .utf8
        )
        .write(to: url)
        error = try await #require(throws: MaxError.self) { try await store().secret(named: "api_token") }
        #expect(error.code == .tamperedCredentials)
        expectNoSecret(in: error)

        // The whole file copied to another installation.
        try write(original, replacing: "", with: "")
        error = try await #require(throws: MaxError.self) { try await store("inst-2").secret(named: "api_token") }
        #expect(error.code == .tamperedCredentials)
        #expect(error.message.contains("belongs to another installation"))
    }

    @Test func aPlainFileFromBeforeSealingIsSealedInPlace() async throws {
        try Data(#"{"api_token": "\#(canary)"}"#.utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        #expect(try await store().secret(named: "api_token")?.revealed == canary)
        #expect(!(try fileText()).contains(canary))
        #expect(try await store().secret(named: "api_token")?.revealed == canary)
    }

    @Test func theMasterKeyComesFromTheEnvironmentOrAPrivateKeyFile() throws {
        let config = try TemporaryDirectory(prefix: "max-config")
        let first = try MasterKey.load(environment: [:], configFolder: config.url)
        let keyFile = config.file("master.key")
        let mode = try #require(FileManager.default.attributesOfItem(atPath: keyFile.path)[.posixPermissions] as? Int)
        #expect(mode & 0o777 == 0o600)
        #expect(try MasterKey.load(environment: [:], configFolder: config.url).id == first.id)

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyFile.path)
        let loose = #expect(throws: MaxError.self) { try MasterKey.load(environment: [:], configFolder: config.url) }
        #expect(loose?.code == .insecureCredentials)
        #expect(loose?.hint == "make it private to you: chmod 600 \(keyFile.path)")

        let text = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let fromEnvironment = try MasterKey.load(
            environment: [MasterKey.environmentVariable: text], configFolder: config.url)
        #expect(fromEnvironment.id.hasPrefix("sha256:") && fromEnvironment.id != first.id)
        let bad = #expect(throws: MaxError.self) {
            try MasterKey.load(environment: [MasterKey.environmentVariable: "c2hvcnQ="], configFolder: config.url)
        }
        #expect(bad?.code == .invalidMasterKey)
        #expect(bad?.message.contains("c2hvcnQ") == false)
    }

    @Test func aRotatedKeyringOpensOldSealsAndSealsThemAgainUnderTheNewKey() async throws {
        let config = try TemporaryDirectory(prefix: "rotate")
        let before = try MasterKeyring.load(environment: [:], configFolder: config.url)
        let oldStore = FileCredentialStore(url: url, installation: "inst-1", keys: { before })
        try await oldStore.setSecret(Secret(canary), named: "api_token")

        let after = try MasterKeyring.rotate(environment: [:], configFolder: config.url)
        #expect(after.current.id != before.current.id && after.previous.map(\.id) == [before.current.id])
        // The key file now holds both: what was sealed stays readable whatever happens next.
        #expect(try MasterKeyring.load(environment: [:], configFolder: config.url).key(id: before.current.id) != nil)
        let newStore = FileCredentialStore(url: url, installation: "inst-1", keys: { after })
        #expect(try newStore.rewrap())
        #expect(try !newStore.rewrap(), "already under the new key")
        #expect(try fileText().contains(after.current.id) && !(try fileText()).contains(canary))
        // The new key alone opens it now.
        let onlyNew = FileCredentialStore(
            url: url, installation: "inst-1", keys: { MasterKeyring(current: after.current) })
        #expect(try await onlyNew.secret(named: "api_token")?.revealed == canary)

        // With MAX_MASTER_KEY, Max cannot make the new key: it says how.
        let refused = #expect(throws: MaxError.self) {
            try MasterKeyring.rotate(
                environment: [MasterKey.environmentVariable: Data(repeating: 1, count: 32).base64EncodedString()],
                configFolder: config.url)
        }
        #expect(refused?.hint?.contains("MAX_MASTER_KEY_PREVIOUS") == true)
    }

    @Test func writersOfOneFileNeverLoseEachOthersWrites() async throws {
        // Two stores on one file stand for two processes: each has its own in-process lock.
        let first = store()
        let second = store()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask { try await first.setSecret(Secret("a\(index)"), named: "first_\(index)") }
                group.addTask { try await second.setSecret(Secret("b\(index)"), named: "second_\(index)") }
            }
            try await group.waitForAll()
        }
        let names = try await store().names()
        #expect(names.count == 80, "\(80 - names.count) writes were lost")
        #expect(try await store().secret(named: "second_39")?.revealed == "b39")
    }

    @Test func processesStartingAtOnceAgreeOnOneMasterKey() async throws {
        // Many first uses at once: each either creates the key file or reads the one that won,
        // and none reads a file half written.
        let config = try TemporaryDirectory(prefix: "keyrace")
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    try MasterKeyring.load(environment: [:], configFolder: config.url).current.id
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(ids.count == 1)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: config.url.path)
        #expect(leftovers == ["master.key"], "no temporary file is left behind")
    }

    @Test func anotherProcessesWriteIsSeenOnTheNextRead() async throws {
        let mine = store()
        let theirs = store()  // another process, as far as the file is concerned
        try await mine.setSecret(Secret("v1"), named: "access_token")
        #expect(try await mine.secret(named: "access_token")?.revealed == "v1")
        try await theirs.setSecret(Secret("v2"), named: "access_token")
        #expect(try await mine.secret(named: "access_token")?.revealed == "v2", "the cache follows the file")
    }

    @Test func exclusiveSectionsOfTwoStoresNeverInterleave() async throws {
        // Each section reads a counter, waits, and writes it plus one: any overlap loses an increment.
        let stores = [store(), store()]
        try await stores[0].setSecret(Secret("0"), named: "counter")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<12 {
                let store = stores[index % 2]
                group.addTask {
                    try await store.exclusively {
                        let value = Int(try await store.secret(named: "counter")?.revealed ?? "") ?? -100
                        // Holds the lock across a suspension, so an unserialised writer would interleave.
                        try await Task.sleep(for: .milliseconds(5))
                        try await store.setSecret(Secret(String(value + 1)), named: "counter")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store().secret(named: "counter")?.revealed == "12")
    }

    @Test func replacingEverythingWorksOverADamagedFile() async throws {
        try Data("{not json".utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        let replaced = store()
        await #expect(throws: MaxError.self) { try await replaced.names() }
        try await replaced.replaceAll(with: InMemoryCredentialStore(["api_token": canary]))
        #expect(try await store().secret(named: "api_token")?.revealed == canary)
        #expect(try fileText().range(of: canary) == nil)
    }

    /// Writes `json`'s text with one substring replaced, keeping the file private.
    private func write(_ json: JSONValue, replacing old: String, with new: String) throws {
        var text = json.prettyJSONText
        if !old.isEmpty { text = text.replacingOccurrences(of: old, with: new) }
        try Data(text.utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    }
}
