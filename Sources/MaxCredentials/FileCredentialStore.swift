public import Foundation
public import MaxConnector
public import MaxCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An installation's credentials in `credentials.json`, sealed (see `CredentialEnvelope`): a
/// data key of the installation's own seals each secret, and the master key seals the data key.
///
/// The file is private to its owner (mode 0600, refused when it is a link, another user's, or
/// others may read it) and rewritten atomically on every change, under a lock across processes.
/// Opened secrets are kept in the process, not read from disk per request: each read only checks
/// that the file is the one opened (a `stat`), and opens it again after another process wrote it.
/// A file from before sealing (plain JSON) is read once and sealed in place.
public final class FileCredentialStore: CredentialStore {
    /// The opened secrets and the version of the file they came from.
    private struct Opened {
        var values: [String: String]
        var signature: PrivateFile.Signature?
    }

    private let url: URL
    private let installation: String
    private let keys: @Sendable () throws -> MasterKeyring
    private let state = Mutex<Opened?>(nil)
    private let audit: (@Sendable (_ operation: String, _ names: [String]) -> Void)?
    /// The cache of derived credentials.
    public let derivedCredentials = DerivedCredentialCache()

    /// The credential folders whose lock the current task holds (see ``exclusively(_:)``).
    @TaskLocal private static var lockedFolders: Set<String> = []

    /// A store kept in `url` for the installation with id `installation`.
    ///
    /// The file is created on first write; `keys` is asked for only when a secret is read or
    /// written. A file sealed under a previous key of the ring is sealed again under the current
    /// one when it is opened.
    ///
    /// `audit` hears of every time secrets are opened from the file (`open`: first use in a
    /// process, and after another process changed the file) or written (`set`, `remove`), with the
    /// names concerned, never a value.
    public init(
        url: URL, installation: String, keys: @escaping @Sendable () throws -> MasterKeyring,
        audit: (@Sendable (_ operation: String, _ names: [String]) -> Void)? = nil
    ) {
        self.url = url
        self.installation = installation
        self.keys = keys
        self.audit = audit
    }

    /// What is stored, without opening anything (no master key needed): each name, and when it
    /// was set (`nil` in a file from before sealing).
    ///
    /// - Throws: `credentials.insecure_file`, `credentials.store_failed`.
    public func listing() throws -> [(name: String, setAt: String?)] {
        guard let text = try PrivateFile.read(url, what: "credential file") else { return [] }
        if CredentialEnvelope.isEnvelope(text) {
            let envelope = try CredentialEnvelope(fileText: text, path: url.path)
            return envelope.names.map { ($0, envelope.setAt[$0]) }
        }
        return try Self.plainValues(text, path: url.path).keys.sorted().map { ($0, nil) }
    }

    /// The secret stored under `name`.
    public func secret(named name: String) async throws -> Secret? {
        try values()[name].map(Secret.init)
    }

    /// Stores a secret.
    public func setSecret(_ secret: Secret, named name: String) async throws {
        try change { try $0.set(secret.revealed, named: name, with: $1, at: Date()) }
        audit?("set", [name])
    }

    /// Removes a secret.
    public func removeSecret(named name: String) async throws {
        try change { envelope, _ in envelope.remove(named: name) }
        audit?("remove", [name])
    }

    /// The stored names, sorted.
    public func names() async throws -> [String] {
        try values().keys.sorted()
    }

    /// Runs `body` holding the lock on the installation's credentials across processes, so what
    /// it reads, asks the source and writes (a token refresh) is one step for every process.
    ///
    /// Waiting for another process polls, never blocking a thread; writes made by `body` (in this
    /// task) do not wait for the lock they are already under.
    public func exclusively<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        let folder = url.deletingLastPathComponent().path
        if Self.lockedFolders.contains(folder) { return try await body() }
        let descriptor = try openFolder()
        defer { close(descriptor) }  // releases the lock
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else { throw lockFailed() }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try await Self.$lockedFolders.withValue(Self.lockedFolders.union([folder])) { try await body() }
    }

    /// Copies every secret of `other` into this store, in one write.
    public func store(contentsOf other: InMemoryCredentialStore) async throws {
        var incoming: [(String, String)] = []
        for name in try await other.names() {
            if let secret = try await other.secret(named: name) { incoming.append((name, secret.revealed)) }
        }
        try change { envelope, key in
            for (name, value) in incoming { try envelope.set(value, named: name, with: key, at: Date()) }
        }
        audit?("set", incoming.map(\.0).sorted())
    }

    /// Replaces everything stored with the secrets of `other`, under a new data key, in one write.
    ///
    /// What the file held before is not opened, so a damaged, tampered or foreign file (or one a
    /// lost master key sealed) is replaced as well: this is how credentials are entered again.
    public func replaceAll(with other: InMemoryCredentialStore) async throws {
        var incoming: [(String, String)] = []
        for name in try await other.names() {
            if let secret = try await other.secret(named: name) { incoming.append((name, secret.revealed)) }
        }
        let opened = try acrossProcesses { () -> Opened in
            let key = try keys().current
            var envelope = try CredentialEnvelope(installation: installation, masterKey: key)
            for (name, value) in incoming { try envelope.set(value, named: name, with: key, at: Date()) }
            try write(envelope)
            return Opened(values: Dictionary(uniqueKeysWithValues: incoming), signature: PrivateFile.signature(of: url))
        }
        state.withLock { $0 = opened }
        await derivedCredentials.invalidateAll()
        audit?("replace", incoming.map(\.0).sorted())
    }

    /// Seals the file again under the ring's current key if a previous one sealed it.
    ///
    /// - Returns: Whether it did.
    /// - Throws: as ``secret(named:)``.
    public func rewrap() throws -> Bool {
        try acrossProcesses { try currentEnvelope(try keys())?.resealed ?? false }
    }

    /// The opened secrets: those opened before while the file is unchanged, else the file's.
    ///
    /// Reading needs no lock (every write replaces the file atomically); only sealing an old file
    /// again takes it.
    private func values() throws -> [String: String] {
        let signature = PrivateFile.signature(of: url)
        if let opened = state.withLock({ $0 }), opened.signature == signature { return opened.values }
        guard signature != nil else {
            state.withLock { $0 = Opened(values: [:], signature: nil) }
            return [:]
        }
        let ring = try keys()
        var values: [String: String] = [:]
        if let text = try PrivateFile.read(url, what: "credential file"), CredentialEnvelope.isEnvelope(text),
            case let envelope = try sealed(text), envelope.masterKeyID == ring.current.id
        {
            values = try envelope.open(with: ring.current)
        } else {
            values = try acrossProcesses { try currentEnvelope(ring)?.envelope.open(with: ring.current) ?? [:] }
        }
        // The signature from before the read: if the file changed since, the next read opens it again.
        state.withLock { $0 = Opened(values: values, signature: signature) }
        if !values.isEmpty { audit?("open", values.keys.sorted()) }
        return values
    }

    /// The file's envelope under `ring`'s current key: one sealed under a previous key of the ring
    /// is sealed again and written back (`resealed`); `nil` when there is no file.
    ///
    /// - Throws: `credentials.wrong_master_key` when no key of the ring sealed it, naming both;
    ///   the file's errors.
    private func currentEnvelope(_ ring: MasterKeyring) throws -> (envelope: CredentialEnvelope, resealed: Bool)? {
        guard var envelope = try envelope() else { return nil }
        guard envelope.masterKeyID != ring.current.id else { return (envelope, false) }
        try envelope.rewrap(from: ring.key(id: envelope.masterKeyID) ?? ring.current, to: ring.current)
        try write(envelope)
        return (envelope, true)
    }

    /// Applies `edit` to the envelope (made if there is none, sealed again under the current key
    /// if an older one sealed it) and writes it; the cache follows.
    private func change(_ edit: (inout CredentialEnvelope, MasterKey) throws -> Void) throws {
        let opened = try acrossProcesses { () -> Opened in
            let ring = try keys()
            var envelope =
                try currentEnvelope(ring)?.envelope
                ?? CredentialEnvelope(installation: installation, masterKey: ring.current)
            try edit(&envelope, ring.current)
            try write(envelope)
            return Opened(values: try envelope.open(with: ring.current), signature: PrivateFile.signature(of: url))
        }
        state.withLock { $0 = opened }
    }

    /// Runs `body` holding an exclusive `flock` on the folder of the file (at once when this task
    /// holds it already, in ``exclusively(_:)``).
    ///
    /// Two processes (a sync refreshing a token, a command writing one) then never read, change
    /// and write the file at once. The kernel releases the lock when a process dies.
    private func acrossProcesses<T>(_ body: () throws -> T) throws -> T {
        if Self.lockedFolders.contains(url.deletingLastPathComponent().path) { return try body() }
        let descriptor = try openFolder()
        defer { close(descriptor) }  // releases the lock
        var result: Int32
        repeat { result = flock(descriptor, LOCK_EX) } while result != 0 && errno == EINTR
        guard result == 0 else { throw lockFailed() }
        return try body()
    }

    /// The folder of the file, made if needed and opened for locking.
    private func openFolder() throws -> Int32 {
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let descriptor = open(folder.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw MaxError(
                .credentialStoreFailed, "cannot open \(folder.path) to lock its credentials",
                context: ["path": folder.path])
        }
        return descriptor
    }

    private func lockFailed() -> MaxError {
        let folder = url.deletingLastPathComponent().path
        return MaxError(
            .credentialStoreFailed, "cannot lock \(folder) to change its credentials", context: ["path": folder])
    }

    /// The sealed file; a plain one from before sealing is sealed and written back first (callers
    /// hold ``acrossProcesses(_:)``).
    private func envelope() throws -> CredentialEnvelope? {
        guard let text = try PrivateFile.read(url, what: "credential file") else { return nil }
        if CredentialEnvelope.isEnvelope(text) { return try sealed(text) }
        let plain = try Self.plainValues(text, path: url.path)
        let key = try keys().current
        var envelope = try CredentialEnvelope(installation: installation, masterKey: key)
        for (name, value) in plain { try envelope.set(value, named: name, with: key, at: Date()) }
        try write(envelope)
        return envelope
    }

    /// The envelope in `text`, which must be this installation's.
    ///
    /// - Throws: `credentials.tampered` for another installation's file; the envelope's errors.
    private func sealed(_ text: String) throws -> CredentialEnvelope {
        let envelope = try CredentialEnvelope(fileText: text, path: url.path)
        guard envelope.installation == installation else {
            throw MaxError(
                .tamperedCredentials,
                "the credential file \(url.path) belongs to another installation (\(envelope.installation))",
                hint: MaxError.reenterCredentialsHint,
                context: ["path": url.path])
        }
        return envelope
    }

    /// A plain credential file's values (Max before sealing wrote `{"name": "value"}`).
    static func plainValues(_ text: String, path: String) throws -> [String: String] {
        func damaged(_ problem: String) -> MaxError { .damagedCredentialFile(path, problem) }
        guard let json = try? JSONValue(parsing: text), let object = json.objectValue else {
            throw damaged("it is not a JSON object")
        }
        var values: [String: String] = [:]
        for (name, value) in object {
            // Say which key is wrong, never what it holds: the value may be a secret.
            guard let text = value.stringValue else { throw damaged("the value of '\(name)' is not a string") }
            guard !text.isEmpty else { throw damaged("the value of '\(name)' is empty") }
            values[name] = text
        }
        return values
    }

    /// Writes the file; callers hold ``acrossProcesses(_:)``, which made its folder.
    private func write(_ envelope: CredentialEnvelope) throws {
        do {
            try AtomicFile.write(Data(envelope.fileText.utf8), to: url, permissions: 0o600)
        } catch {
            throw MaxError(
                .credentialStoreFailed, "cannot write the credential file \(url.path)", context: ["path": url.path])
        }
    }
}
