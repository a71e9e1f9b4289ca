internal import Crypto
public import Foundation
import MaxCore

/// An installation's sealed credentials, as its credential file holds them (envelope encryption).
///
/// A random data key per installation seals each secret with AES-GCM, with the installation's id
/// and the secret's name bound as associated data, so a sealed value opens only where it was
/// sealed: not under another name, not in another installation's file. The data key itself is
/// sealed by the master key (named by ``masterKeyID``). Nothing here is a secret in clear.
public struct CredentialEnvelope: Sendable, Equatable {
    /// The installation the secrets belong to (its id, not its name).
    public let installation: String
    /// The master key that seals the data key.
    public private(set) var masterKeyID: String
    /// The data key, sealed by the master key (base64).
    private var sealedDataKey: String
    /// Each secret sealed by the data key (base64), with when it was set.
    private var sealed: [String: (value: String, setAt: String)]

    /// The names of the sealed secrets, sorted.
    public var names: [String] { sealed.keys.sorted() }

    /// When each secret was set (ISO-8601), by name.
    public var setAt: [String: String] { sealed.mapValues(\.setAt) }

    /// A new, empty envelope with a fresh data key sealed by `masterKey`.
    public init(installation: String, masterKey: MasterKey) throws {
        self.installation = installation
        masterKeyID = masterKey.id
        let dataKey = SymmetricKey(size: .bits256)
        sealedDataKey = try Self.seal(
            dataKey.withUnsafeBytes { Data($0) }, with: masterKey.key, binding: Self.dataKeyBinding(installation))
        sealed = [:]
    }

    /// Opens every secret.
    ///
    /// - Throws: `credentials.wrong_master_key` when `masterKey` is not the one that sealed the
    ///   data key; `credentials.tampered` naming a secret that does not open (changed, or moved
    ///   here from another name or installation).
    public func open(with masterKey: MasterKey) throws -> [String: String] {
        let dataKey = try self.dataKey(with: masterKey)
        var values: [String: String] = [:]
        for (name, entry) in sealed {
            guard let box = Data(base64Encoded: entry.value),
                let plain = try? Self.open(box, with: dataKey, binding: secretBinding(name))
            else {
                throw MaxError(
                    .tamperedCredentials,
                    "the sealed credential '\(name)' of installation \(installation) does not open: it was changed, or copied from another installation or name",
                    hint: MaxError.reenterCredentialsHint,
                    context: ["credential": name, "installation": installation])
            }
            values[name] = String(decoding: plain, as: UTF8.self)
        }
        return values
    }

    /// Seals `value` under `name`, replacing what was there.
    ///
    /// - Throws: as ``open(with:)`` for the data key.
    public mutating func set(_ value: String, named name: String, with masterKey: MasterKey, at date: Date) throws {
        let dataKey = try self.dataKey(with: masterKey)
        let box = try Self.seal(Data(value.utf8), with: dataKey, binding: secretBinding(name))
        sealed[name] = (box, ISO8601.format(date))
    }

    /// Seals the data key under `new` instead of `old` (the secrets stay as they are).
    ///
    /// - Throws: as ``open(with:)`` when `old` does not open the data key.
    public mutating func rewrap(from old: MasterKey, to new: MasterKey) throws {
        let dataKey = try self.dataKey(with: old)
        sealedDataKey = try Self.seal(
            dataKey.withUnsafeBytes { Data($0) }, with: new.key, binding: Self.dataKeyBinding(installation))
        masterKeyID = new.id
    }

    /// Removes the secret `name`; returns whether there was one.
    @discardableResult
    public mutating func remove(named name: String) -> Bool {
        sealed.removeValue(forKey: name) != nil
    }

    /// Whether two envelopes hold the same sealed bytes.
    public static func == (lhs: CredentialEnvelope, rhs: CredentialEnvelope) -> Bool {
        lhs.installation == rhs.installation && lhs.masterKeyID == rhs.masterKeyID
            && lhs.sealedDataKey == rhs.sealedDataKey && lhs.sealed.count == rhs.sealed.count
            && lhs.sealed.allSatisfy { name, entry in
                rhs.sealed[name].map { $0.value == entry.value && $0.setAt == entry.setAt } ?? false
            }
    }

    private func dataKey(with masterKey: MasterKey) throws -> SymmetricKey {
        guard masterKey.id == masterKeyID else {
            throw MaxError(
                .wrongMasterKey,
                "the credentials of installation \(installation) are sealed under master key \(masterKeyID), but the key in use is \(masterKey.id)",
                hint:
                    "use the master key they were sealed with (MAX_MASTER_KEY, or the master.key file of the Max config folder), or re-enter the credentials",
                context: ["installation": installation, "masterKey": masterKeyID])
        }
        guard let box = Data(base64Encoded: sealedDataKey),
            let bytes = try? Self.open(box, with: masterKey.key, binding: Self.dataKeyBinding(installation))
        else {
            throw MaxError(
                .tamperedCredentials,
                "the data key of installation \(installation) does not open under master key \(masterKeyID): it was changed, or copied from another installation",
                hint: MaxError.reenterCredentialsHint,
                context: ["installation": installation])
        }
        return SymmetricKey(data: bytes)
    }

    private func secretBinding(_ name: String) -> Data { Data("max.secret\u{0}\(installation)\u{0}\(name)".utf8) }

    private static func dataKeyBinding(_ installation: String) -> Data { Data("max.data-key\u{0}\(installation)".utf8) }

    private static func seal(_ plain: Data, with key: SymmetricKey, binding: Data) throws -> String {
        do {
            guard let combined = try AES.GCM.seal(plain, using: key, authenticating: binding).combined else {
                throw MaxError(.internalError, "AES-GCM gave no sealed box")
            }
            return combined.base64EncodedString()
        } catch let error as MaxError {
            throw error
        } catch {
            throw MaxError(.internalError, "sealing a credential failed")
        }
    }

    private static func open(_ combined: Data, with key: SymmetricKey, binding: Data) throws -> Data {
        try AES.GCM.open(AES.GCM.SealedBox(combined: combined), using: key, authenticating: binding)
    }
}

extension CredentialEnvelope {
    /// The envelope as its file holds it: JSON, every value base64.
    public var fileText: String {
        JSONValue.object([
            "format": "max.credentials/1", "installation": .string(installation),
            "masterKey": .string(masterKeyID), "dataKey": .string(sealedDataKey),
            "secrets": .object(
                sealed.mapValues { .object(["sealed": .string($0.value), "setAt": .string($0.setAt)]) }),
        ]).prettyJSONText
    }

    /// Whether `text` is an envelope's file (rather than an older plain one).
    public static func isEnvelope(_ text: String) -> Bool {
        (try? JSONValue(parsing: text))?["format"]?.stringValue == "max.credentials/1"
    }

    /// Reads an envelope's file.
    ///
    /// - Throws: `credentials.store_failed` when it is not one, naming what is wrong (never a value).
    public init(fileText text: String, path: String) throws {
        func damaged(_ problem: String) -> MaxError { .damagedCredentialFile(path, problem) }
        guard let json = try? JSONValue(parsing: text), json["format"]?.stringValue == "max.credentials/1" else {
            throw damaged("it is not a Max credential file")
        }
        guard let installation = json["installation"]?.stringValue, let key = json["masterKey"]?.stringValue,
            let dataKey = json["dataKey"]?.stringValue, let secrets = json["secrets"]?.objectValue
        else { throw damaged("it lacks its installation, master key, data key or secrets") }
        var sealed: [String: (value: String, setAt: String)] = [:]
        for (name, entry) in secrets {
            guard let value = entry["sealed"]?.stringValue, let setAt = entry["setAt"]?.stringValue else {
                throw damaged("the entry of '\(name)' is malformed")
            }
            sealed[name] = (value, setAt)
        }
        self.installation = installation
        self.masterKeyID = key
        self.sealedDataKey = dataKey
        self.sealed = sealed
    }
}
