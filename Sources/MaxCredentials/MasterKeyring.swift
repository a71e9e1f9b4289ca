public import Foundation
import MaxCore

/// The master key in use and the ones it replaced: credentials sealed under a replaced key still
/// open, and are sealed again under the current one when next opened or written.
///
/// With `MAX_MASTER_KEY` set, the previous keys come from `MAX_MASTER_KEY_PREVIOUS` (base64 keys
/// separated by commas); otherwise from the key file, which ``rotate(configFolder:)`` rewrites.
public struct MasterKeyring: Sendable {
    /// The key new seals use.
    public let current: MasterKey
    /// The keys it replaced, newest first.
    public let previous: [MasterKey]

    /// The environment variable that holds replaced master keys (with `MAX_MASTER_KEY`).
    public static let previousVariable = "MAX_MASTER_KEY_PREVIOUS"

    /// A keyring.
    public init(current: MasterKey, previous: [MasterKey] = []) {
        self.current = current
        self.previous = previous
    }

    /// The key named `id`, current or previous.
    public func key(id: String) -> MasterKey? {
        ([current] + previous).first { $0.id == id }
    }

    /// The keyring in use: `MAX_MASTER_KEY` (and `MAX_MASTER_KEY_PREVIOUS`) when set, else the key
    /// file in `configFolder` (created on first use).
    ///
    /// - Throws: as ``MasterKey/load(environment:configFolder:)``.
    public static func load(environment: [String: String], configFolder: URL) throws -> MasterKeyring {
        if let text = environment[MasterKey.environmentVariable], !text.isEmpty {
            let previous = try (environment[previousVariable] ?? "").split(separator: ",")
                .map { try MasterKey(base64: String($0)) }
            return MasterKeyring(current: try MasterKey(base64: text), previous: previous)
        }
        return try KeyFile(url: configFolder.appendingPathComponent("master.key")).loadOrCreate()
    }

    /// Makes a new current key in the key file of `configFolder`, keeping the others as previous
    /// keys, in one atomic write: every sealed credential stays readable throughout.
    ///
    /// - Throws: `credentials.invalid_master_key` when `MAX_MASTER_KEY` is set (rotate it by
    ///   setting a new one and the old in `MAX_MASTER_KEY_PREVIOUS`); the key file's errors.
    public static func rotate(environment: [String: String], configFolder: URL) throws -> MasterKeyring {
        guard (environment[MasterKey.environmentVariable] ?? "").isEmpty else {
            throw MaxError(
                .invalidMasterKey, "the master key comes from MAX_MASTER_KEY, which Max cannot change",
                hint:
                    "set MAX_MASTER_KEY to a new key (head -c 32 /dev/urandom | base64) and MAX_MASTER_KEY_PREVIOUS to the old one, then run \"max credentials rotate-key\" again to re-seal under it"
            )
        }
        let file = KeyFile(url: configFolder.appendingPathComponent("master.key"))
        let old = try file.loadOrCreate()
        let rotated = MasterKeyring(current: .generate(), previous: [old.current] + old.previous)
        try file.replace(with: rotated)
        return rotated
    }
}
