public import Foundation
public import MaxCore
import MaxCredentials

/// Which connectors of the `connectors` table a project trusts: `max.json`'s `"trust"`.
///
/// ```json
/// "trust": {
///   "signers": {"acme-corp": "<Ed25519 public key, base64>"},
///   "unsigned": ["hello"],
///   "requireApproval": true,
///   "approved": ["notes@1.0.0"],
///   "requireCertification": true
/// }
/// ```
///
/// `max install` checks every manifest and package it loads or builds: it must carry a valid
/// signature (``ConnectorSignature``) by one of `signers`, over exactly its bytes, unless it is
/// named in `unsigned` (`max connector new` puts the packages it makes there). With
/// `requireApproval`, its `name@version` must also be in `approved` (`max connector approve`).
/// With `requireCertification`, the project's `certification/<name>.json` must be a passing
/// report of `max connector certify` over exactly its current files. A `file:` program is run as it is, never checked.
public struct ConnectorTrust: Sendable, Hashable {
    /// Trusted signers' public keys, by name.
    public var signers: [String: String]
    /// Connectors allowed without a signature.
    public var unsigned: Set<String>
    /// Whether a connector must be approved at its version.
    public var requireApproval: Bool
    /// The approved `name@version`s.
    public var approved: Set<String>
    /// Whether a connector needs a passing certification report for its current files.
    public var requireCertification: Bool

    /// The trust of `max.json`'s `"trust"` value (none given: no signer, nothing allowed unsigned).
    ///
    /// - Throws: `project.invalid_config` naming the key at fault.
    public init(json: JSONValue?, path: String = "max.json") throws {
        func invalid(_ key: String, _ problem: String) -> MaxError {
            MaxError(
                .invalidProjectFile, "\(path): trust\(key.isEmpty ? "" : ".\(key)") \(problem)",
                hint: "see \"Signed connectors\" in the README",
                context: ["key": "trust\(key.isEmpty ? "" : ".\(key)")"])
        }
        let object = json?.objectValue ?? [:]
        if json != nil, json?.objectValue == nil { throw invalid("", "must be an object") }
        for key in object.keys
        where !["signers", "unsigned", "requireApproval", "approved", "requireCertification"]
            .contains(key)
        {
            throw invalid(
                key, "is not a trust key (signers, unsigned, requireApproval, approved, requireCertification)")
        }
        var signers: [String: String] = [:]
        for (name, value) in object["signers"]?.objectValue ?? [:] {
            guard let key = value.stringValue, Data(base64Encoded: key)?.count == 32 else {
                throw invalid("signers.\(name)", "must be an Ed25519 public key (32 bytes, base64)")
            }
            signers[name] = key
        }
        func names(_ key: String) throws -> Set<String> {
            guard let value = object[key] else { return [] }
            guard let array = value.arrayValue, case let names = array.compactMap(\.stringValue),
                names.count == array.count
            else { throw invalid(key, "must be an array of names") }
            return Set(names)
        }
        self.signers = signers
        self.unsigned = try names("unsigned")
        self.approved = try names("approved")
        guard object["requireApproval"] == nil || object["requireApproval"]?.boolValue != nil else {
            throw invalid("requireApproval", "must be true or false")
        }
        self.requireApproval = object["requireApproval"]?.boolValue ?? false
        guard object["requireCertification"] == nil || object["requireCertification"]?.boolValue != nil else {
            throw invalid("requireCertification", "must be true or false")
        }
        self.requireCertification = object["requireCertification"]?.boolValue ?? false
    }

    /// Checks the signature of connector `name`'s source at `url`.
    ///
    /// - Returns: The signer, or `nil` for a connector allowed unsigned that has no signature.
    /// - Throws: `connector.unsigned` for a connector without a signature that `unsigned` does not
    ///   name; `connector.signature_invalid` when the signature is not one of a trusted signer's
    ///   over exactly these bytes (a tampered source, another connector's signature, an unknown key).
    public func verify(_ name: String, source url: URL) throws -> String? {
        let location = ConnectorSignature.location(for: url)
        guard let data = FileManager.default.contents(atPath: location.path) else {
            if unsigned.contains(name) { return nil }
            throw MaxError(
                .connectorUnsigned, "the \(name) connector (\(url.path)) is not signed",
                hint:
                    "have its publisher sign it (max connector sign), or trust it unsigned: add \"\(name)\" to \"trust\": {\"unsigned\": [...]} in max.json",
                context: ["connector": name])
        }
        func refuse(_ why: String) -> MaxError {
            MaxError(
                .connectorSignatureInvalid, "the \(name) connector's signature does not hold: \(why)",
                hint: "do not install it; get it again from its publisher, signed",
                context: ["connector": name, "signature": location.path])
        }
        guard let signature = try? JSONDecoder().decode(ConnectorSignature.self, from: data) else {
            throw refuse("\(location.lastPathComponent) is not a signature")
        }
        guard let key = signers[signature.signer] else {
            throw refuse(
                "it is signed by \(signature.signer), who is not a trusted signer (trust.signers: \(signers.keys.sorted().joined(separator: ", ")))"
            )
        }
        guard key == signature.publicKey, signature.isValid else {
            throw refuse("it is not \(signature.signer)'s signature")
        }
        guard signature.connector == name else {
            throw refuse("it signs the connector \(signature.connector), not \(name)")
        }
        guard try ConnectorSignature.digest(of: url) == signature.digest else {
            throw refuse("its files changed after \(signature.signer) signed them (the digest differs)")
        }
        return signature.signer
    }

    /// Checks that `name` at `version` is approved, when approval is required.
    ///
    /// - Throws: `connector.not_approved` naming the command that approves it.
    public func requireApproved(_ name: String, version: String) throws {
        guard requireApproval, !approved.contains("\(name)@\(version)") else { return }
        throw MaxError(
            .connectorNotApproved, "the \(name) connector \(version) is not approved in this project",
            hint: "review it, then: max connector approve \(name)@\(version)",
            context: ["connector": name, "version": version])
    }

    /// Checks that connector `name`, whose source is at `url`, has a passing certification report
    /// in `folder` (`certification/<name>.json`) over exactly its current files, when the project
    /// requires certification.
    ///
    /// - Throws: `connector.not_certified` saying what is missing: the report, a pass, or the
    ///   same files.
    public func requireCertified(_ name: String, source url: URL, reports folder: URL) throws {
        guard requireCertification else { return }
        let location = folder.appendingPathComponent("\(name).json")
        func refuse(_ why: String) -> MaxError {
            MaxError(
                .connectorNotCertified, "the \(name) connector is not certified: \(why)",
                hint:
                    "certify it against its source or a simulator: max connector certify \(name) --config <url key>=<url> --credential …",
                context: ["connector": name, "report": location.path])
        }
        struct Report: Decodable {
            struct Subject: Decodable {
                var name: String
                var digest: String?
            }
            var connector: Subject
            var passed: Bool
        }
        guard let data = FileManager.default.contents(atPath: location.path) else {
            throw refuse("the project requires certification, and \(location.path) does not exist")
        }
        guard let report = try? JSONDecoder().decode(Report.self, from: data), report.connector.name == name else {
            throw refuse("\(location.lastPathComponent) is not a certification report of \(name)")
        }
        guard report.passed else { throw refuse("its last certification failed (see certification/\(name).md)") }
        guard try report.connector.digest == ConnectorSignature.digest(of: url) else {
            throw refuse("its files changed after it was certified (the digest differs)")
        }
    }
}

extension MaxError.Code {
    /// A connector has no signature, and the project does not allow it unsigned.
    public static let connectorUnsigned = Self(domain: "connector", name: "unsigned", category: .policyDenied)
    /// A connector's signature is not a trusted signer's over its bytes.
    public static let connectorSignatureInvalid = Self(
        domain: "connector", name: "signature_invalid", category: .policyDenied)
    /// A connector's version is not approved in a project that requires approval.
    public static let connectorNotApproved = Self(domain: "connector", name: "not_approved", category: .policyDenied)
    /// A connector has no passing certification report over its current files, in a project that
    /// requires one.
    public static let connectorNotCertified = Self(domain: "connector", name: "not_certified", category: .policyDenied)
}
