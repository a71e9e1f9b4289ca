public import Foundation
public import MaxConnector
public import MaxCore
import Synchronization

/// An installation's credentials in `credentials.json` (mode 0600), readable only by its owner.
///
/// Values never leave except as ``Secret``s; the file is rewritten atomically on every change.
/// (Encryption at rest comes with `MaxCredentials`; this store sits behind the same protocol.)
public final class FileCredentialStore: CredentialStore {
    private let url: URL
    private let lock = Mutex(())
    /// The cache of derived credentials.
    public let derivedCredentials = DerivedCredentialCache()

    /// A store kept in `url`; the file is created on first write.
    public init(url: URL) {
        self.url = url
    }

    /// The secret stored under `name`.
    public func secret(named name: String) async throws -> Secret? {
        try lock.withLock { _ in try read()[name].map(Secret.init) }
    }

    /// Stores a secret.
    public func setSecret(_ secret: Secret, named name: String) async throws {
        try lock.withLock { _ in
            var values = try read()
            values[name] = secret.revealed
            try write(values)
        }
    }

    /// Removes a secret.
    public func removeSecret(named name: String) async throws {
        try lock.withLock { _ in
            var values = try read()
            guard values.removeValue(forKey: name) != nil else { return }
            try write(values)
        }
    }

    /// The stored names, sorted.
    public func names() async throws -> [String] {
        try lock.withLock { _ in try read().keys.sorted() }
    }

    /// Copies every secret of `other` into this store, in one write.
    public func store(contentsOf other: InMemoryCredentialStore) async throws {
        var incoming: [String: String] = [:]
        for name in try await other.names() {
            if let secret = try await other.secret(named: name) { incoming[name] = secret.revealed }
        }
        try lock.withLock { _ in
            var values = try read()
            values.merge(incoming) { _, new in new }
            try write(values)
        }
    }

    private func read() throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [:] }
        guard let json = try? JSONValue(parsing: String(decoding: data, as: UTF8.self)), let object = json.objectValue
        else {
            throw MaxError(
                .credentialStoreFailed, "the credential file \(url.path) is damaged",
                hint: "connect the installation again to re-enter its credentials", context: ["path": url.path])
        }
        return object.compactMapValues(\.stringValue)
    }

    private func write(_ values: [String: String]) throws {
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AtomicFile.write(
                Data(JSONValue.object(values.mapValues(JSONValue.string)).prettyJSONText.utf8), to: url,
                permissions: 0o600)
        } catch {
            throw MaxError(
                .credentialStoreFailed, "cannot write the credential file \(url.path)", context: ["path": url.path])
        }
    }
}
