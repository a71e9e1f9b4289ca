public import Foundation
public import MaxConnector
public import MaxCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An installation's credentials in `credentials.json` (mode 0600), readable only by its owner.
///
/// Values never leave except as ``Secret``s; the file is rewritten atomically on every change.
/// A file that is a symbolic link, belongs to another user, or that group or others may read is
/// refused (`credentials.insecure_file`, with the `chmod` that fixes it), and so is one holding
/// anything but non-empty strings.
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
        let descriptor = open(url.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if descriptor < 0 {
            let failure = errno
            if failure == ENOENT { return [:] }
            if failure == ELOOP {
                throw MaxError(
                    .insecureCredentials,
                    "the credential file \(url.path) is a symbolic link; Max reads secrets only from its own file",
                    hint:
                        "remove the link (rm \(url.path)), then re-enter the credentials: \"max disconnect <installation> --keep-data\", then \"max connect <connector> --name <installation>\"",
                    context: ["path": url.path])
            }
            throw MaxError(
                .credentialStoreFailed,
                "cannot read the credential file \(url.path): \(String(cString: strerror(failure)))",
                hint: "check the file's owner and permissions", context: ["path": url.path])
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try checkPrivate(descriptor)
        let data: Data
        do {
            data = try handle.readToEnd() ?? Data()
        } catch {
            throw MaxError(
                .credentialStoreFailed, "cannot read the credential file \(url.path)", context: ["path": url.path])
        }
        guard let json = try? JSONValue(parsing: String(decoding: data, as: UTF8.self)), let object = json.objectValue
        else {
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

    /// Refuses a credential file that is not a regular file of this user, private to them.
    private func checkPrivate(_ descriptor: Int32) throws {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw MaxError(.credentialStoreFailed, "cannot inspect \(url.path)", context: ["path": url.path])
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw MaxError(
                .insecureCredentials, "the credential file \(url.path) is not a regular file",
                hint:
                    "remove it (rm -r \(url.path)), then re-enter the credentials: \"max disconnect <installation> --keep-data\", then \"max connect <connector> --name <installation>\"",
                context: ["path": url.path])
        }
        guard info.st_uid == geteuid() else {
            throw MaxError(
                .insecureCredentials, "the credential file \(url.path) belongs to another user (uid \(info.st_uid))",
                hint: "run Max as the file's owner, or take it over: chown $(id -u) \(url.path)",
                context: ["path": url.path])
        }
        guard info.st_mode & 0o077 == 0 else {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw MaxError(
                .insecureCredentials,
                "the credential file \(url.path) can be read or changed by other users (mode \(mode))",
                hint: "make it private to you: chmod 600 \(url.path)", context: ["path": url.path, "mode": mode])
        }
    }

    private func damaged(_ problem: String) -> MaxError {
        MaxError(
            .credentialStoreFailed, "the credential file \(url.path) is damaged: \(problem)",
            hint:
                "re-enter the credentials: \"max disconnect <installation> --keep-data\", then \"max connect <connector> --name <installation>\"",
            context: ["path": url.path])
    }

    private func write(_ values: [String: String]) throws {
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                attributes: [.posixPermissions: Project.privateFolderMode])
            try AtomicFile.write(
                Data(JSONValue.object(values.mapValues(JSONValue.string)).prettyJSONText.utf8), to: url,
                permissions: 0o600)
        } catch {
            throw MaxError(
                .credentialStoreFailed, "cannot write the credential file \(url.path)", context: ["path": url.path])
        }
    }
}
