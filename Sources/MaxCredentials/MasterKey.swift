internal import Crypto
public import Foundation
import MaxCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The key that wraps every installation's data key: from `MAX_MASTER_KEY` (32 bytes, base64), or
/// from `master.key` in the user's Max config folder, created on first use private to its owner.
///
/// The key never appears in a message; its ``id`` (a hash prefix, or the key file's own id) names
/// it in errors and in the sealed files, so a store sealed under another key says so.
public struct MasterKey: Sendable {
    /// Names the key without revealing it.
    public let id: String
    let key: SymmetricKey

    /// The environment variable that holds a master key.
    public static let environmentVariable = "MAX_MASTER_KEY"

    /// A master key from its 32 bytes in base64 (as in `MAX_MASTER_KEY`).
    ///
    /// - Throws: `credentials.invalid_master_key` when the text is not 32 bytes of base64.
    public init(base64 text: String) throws {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32
        else {
            throw MaxError(
                .invalidMasterKey, "the master key is not 32 bytes of base64",
                hint: "make one with: head -c 32 /dev/urandom | base64")
        }
        key = SymmetricKey(data: data)
        id = "sha256:" + SHA256.hash(data: data).prefix(6).map { String(format: "%02x", $0) }.joined()
    }

    private init(id: String, key: SymmetricKey) {
        self.id = id
        self.key = key
    }

    /// A new random key.
    public static func generate() -> MasterKey {
        let key = SymmetricKey(size: .bits256)
        let id = "file:" + (0..<6).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        return MasterKey(id: id, key: key)
    }

    /// The master key in use: `MAX_MASTER_KEY` when set, else the key file in `configFolder`
    /// (created, with the folder, on first use).
    ///
    /// - Throws: `credentials.invalid_master_key` for a malformed key or key file;
    ///   `credentials.insecure_file` for a key file that others may read, another user owns, or
    ///   that is a link; `credentials.store_failed` when it cannot be read or made.
    public static func load(environment: [String: String], configFolder: URL) throws -> MasterKey {
        try MasterKeyring.load(environment: environment, configFolder: configFolder).current
    }

    /// The user's Max config folder: `$MAX_CONFIG_HOME`, else `$XDG_CONFIG_HOME/max`, else
    /// `~/.config/max`.
    public static func configFolder(environment: [String: String]) -> URL {
        if let folder = environment["MAX_CONFIG_HOME"], !folder.isEmpty { return URL(fileURLWithPath: folder) }
        if let base = environment["XDG_CONFIG_HOME"], !base.isEmpty {
            return URL(fileURLWithPath: base).appendingPathComponent("max")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".config/max")
    }

    /// The key as a key file stores it.
    var json: JSONValue {
        let bytes = key.withUnsafeBytes { Data($0) }
        return ["id": .string(id), "key": .string(bytes.base64EncodedString())]
    }

    /// A key as a key file stores it; `nil` when malformed.
    static func parse(_ json: JSONValue) -> MasterKey? {
        guard let id = json["id"]?.stringValue, let encoded = json["key"]?.stringValue,
            let data = Data(base64Encoded: encoded), data.count == 32
        else { return nil }
        return MasterKey(id: id, key: SymmetricKey(data: data))
    }
}

extension MasterKeyring {
    /// The keyring as its file stores it: the current key, and the previous ones.
    var fileText: String {
        var object = current.json.objectValue ?? [:]
        if !previous.isEmpty { object["previous"] = .array(previous.map(\.json)) }
        return JSONValue.object(object).prettyJSONText
    }

    /// Reads a key file's text.
    static func parse(fileText: String, path: String) throws -> MasterKeyring {
        let json = try? JSONValue(parsing: fileText)
        guard let json, let current = MasterKey.parse(json) else {
            throw MaxError(
                .invalidMasterKey, "the master key file \(path) is damaged",
                hint:
                    "restore it from your backup; without it the credentials sealed under it cannot be read (connect the installations again)",
                context: ["path": path])
        }
        let previous = json["previous"]?.arrayValue?.compactMap(MasterKey.parse) ?? []
        return MasterKeyring(current: current, previous: previous)
    }
}

/// The master key file: private to its owner, created atomically once, replaced atomically.
struct KeyFile {
    let url: URL

    func loadOrCreate() throws -> MasterKeyring {
        if let text = try PrivateFile.read(url, what: "master key file") {
            return try MasterKeyring.parse(fileText: text, path: url.path)
        }
        let ring = MasterKeyring(current: .generate())
        try PrivateFile.makeFolder(url.deletingLastPathComponent())
        // Written whole under a temporary name, then published with link(), which fails if the
        // name exists: two processes starting at once keep the first one's key, and no reader
        // ever sees a file half written.
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".master.key.\(UUID().uuidString)")
        guard try PrivateFile.create(temporary, contents: ring.fileText) else { return try loadOrCreate() }
        defer { unlink(temporary.path) }
        guard link(temporary.path, url.path) == 0 else {
            if errno == EEXIST { return try loadOrCreate() }
            throw MaxError(
                .credentialStoreFailed,
                "cannot create the master key file \(url.path): \(String(cString: strerror(errno)))",
                hint: "check that the folder is writable", context: ["path": url.path])
        }
        return ring
    }

    /// Writes `ring` in place of the file, atomically (a new private file renamed over it).
    func replace(with ring: MasterKeyring) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".master.key.\(UUID().uuidString)")
        guard try PrivateFile.create(temporary, contents: ring.fileText) else {
            throw MaxError(.credentialStoreFailed, "cannot write \(temporary.path)", context: ["path": temporary.path])
        }
        guard rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw MaxError(
                .credentialStoreFailed, "cannot replace the master key file \(url.path)", context: ["path": url.path])
        }
    }
}
