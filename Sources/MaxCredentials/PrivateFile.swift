public import Foundation
public import MaxCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Files only their owner may read: opened without following links, refused when others may read
/// or change them, written atomically with mode 0600.
public enum PrivateFile {
    /// The file's text, or `nil` when there is none.
    ///
    /// - Throws: `credentials.insecure_file` for a link, a file of another user, or one others may
    ///   read or change (with the command that fixes it); `credentials.store_failed` when it
    ///   cannot be read.
    public static func read(_ url: URL, what: String) throws -> String? {
        let descriptor = open(url.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if descriptor < 0 {
            let failure = errno
            if failure == ENOENT { return nil }
            if failure == ELOOP {
                throw MaxError(
                    .insecureCredentials,
                    "the \(what) \(url.path) is a symbolic link; Max reads secrets only from its own file",
                    hint: "remove the link (rm \(url.path))", context: ["path": url.path])
            }
            throw MaxError(
                .credentialStoreFailed, "cannot read the \(what) \(url.path): \(String(cString: strerror(failure)))",
                hint: "check the file's owner and permissions", context: ["path": url.path])
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw MaxError(.credentialStoreFailed, "cannot inspect \(url.path)", context: ["path": url.path])
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw MaxError(
                .insecureCredentials, "the \(what) \(url.path) is not a regular file",
                hint: "remove it (rm -r \(url.path))", context: ["path": url.path])
        }
        guard info.st_uid == geteuid() else {
            throw MaxError(
                .insecureCredentials, "the \(what) \(url.path) belongs to another user (uid \(info.st_uid))",
                hint: "run Max as the file's owner, or take it over: chown $(id -u) \(url.path)",
                context: ["path": url.path])
        }
        guard info.st_mode & 0o077 == 0 else {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw MaxError(
                .insecureCredentials, "the \(what) \(url.path) can be read or changed by other users (mode \(mode))",
                hint: "make it private to you: chmod 600 \(url.path)", context: ["path": url.path, "mode": mode])
        }
        do {
            return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        } catch {
            throw MaxError(.credentialStoreFailed, "cannot read the \(what) \(url.path)", context: ["path": url.path])
        }
    }

    /// Creates the file with `contents` unless it exists; returns whether it created it.
    static func create(_ url: URL, contents: String) throws -> Bool {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            if errno == EEXIST { return false }
            throw MaxError(
                .credentialStoreFailed, "cannot create \(url.path): \(String(cString: strerror(errno)))",
                hint: "check that the folder is writable", context: ["path": url.path])
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Data(contents.utf8))
            try handle.synchronize()
        } catch {
            unlink(url.path)
            throw MaxError(.credentialStoreFailed, "cannot write \(url.path)", context: ["path": url.path])
        }
        return true
    }

    /// Makes a folder private to its owner (mode 0700), with its parents.
    static func makeFolder(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(
                at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw MaxError(
                .credentialStoreFailed, "cannot create the folder \(url.path)", hint: "check that it is writable",
                context: ["path": url.path])
        }
    }
}

extension MaxError.Code {
    /// A secret file (credentials, master key) is a link, another user's, or readable by others.
    public static let insecureCredentials = Self(
        domain: "credentials", name: "insecure_file", category: .validationError)
    /// A credential file could not be read or written, or is damaged.
    public static let credentialStoreFailed = Self(domain: "credentials", name: "store_failed", category: .permanent)
    /// A secret was given as a literal on the command line.
    public static let literalSecret = Self(domain: "credentials", name: "literal_secret", category: .validationError)
    /// A credential source (`env:`, `file:`, `-`) cannot be read.
    public static let credentialSourceUnreadable = Self(
        domain: "credentials", name: "source_unreadable", category: .validationError)
    /// A credential `max.json` references from the environment was to be written into the store.
    public static let credentialReferenced = Self(domain: "credentials", name: "referenced", category: .conflict)
    /// The master key (from `MAX_MASTER_KEY` or its file) is malformed.
    public static let invalidMasterKey = Self(
        domain: "credentials", name: "invalid_master_key", category: .validationError)
    /// The credentials were sealed under another master key.
    public static let wrongMasterKey = Self(domain: "credentials", name: "wrong_master_key", category: .permanent)
    /// A sealed value does not open: it was changed, or moved from another installation or key.
    public static let tamperedCredentials = Self(domain: "credentials", name: "tampered", category: .permanent)
}

extension MaxError {
    /// The hint that says how to enter an installation's credentials again.
    public static let reenterCredentialsHint = "re-enter the credentials: " + reenterCredentialsCommands

    /// A credential file that does not read, saying what is wrong (never a value).
    public static func damagedCredentialFile(_ path: String, _ problem: String) -> MaxError {
        MaxError(
            .credentialStoreFailed, "the credential file \(path) is damaged: \(problem)", hint: reenterCredentialsHint,
            context: ["path": path])
    }
}

extension PrivateFile {
    /// What identifies one version of a file: a file replaced by an atomic write (a rename) has a
    /// new inode, so a changed signature means "read it again".
    public struct Signature: Sendable, Hashable {
        let device: UInt64
        let inode: UInt64
        let size: Int64
        let seconds: Int
        let nanoseconds: Int
    }

    /// The signature of the file at `url` (not following a link), or `nil` when there is none.
    public static func signature(of url: URL) -> Signature? {
        var info = stat()
        guard lstat(url.path, &info) == 0 else { return nil }
        #if canImport(Darwin)
            let modified = info.st_mtimespec
        #else
            let modified = info.st_mtim
        #endif
        return Signature(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            seconds: Int(modified.tv_sec), nanoseconds: Int(modified.tv_nsec))
    }
}
