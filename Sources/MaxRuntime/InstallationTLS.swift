public import Foundation
public import MaxConnector
public import MaxCore

/// An installation's `"tls"` in `max.json`: a private certificate authority its source's
/// certificate is signed by, and the credentials holding its client certificate for mutual TLS.
///
/// ```json
/// "tls": {"ca": "certs/internal-ca.pem", "clientCertificate": "tls_client_certificate",
///         "clientKey": "tls_client_key"}
/// ```
///
/// `ca` is a PEM file (a path from the project's folder; a certificate is no secret). The client
/// certificate and its key are credentials of the installation, sealed in its store like any
/// other (`max connect --tls-client-certificate file:… --tls-client-key file:…` stores them under
/// these names). Certificates are always validated; there is no switch to turn that off.
public struct InstallationTLS: Sendable, Hashable {
    /// The credential `max connect` stores the client certificate under.
    public static let certificateCredential = "tls_client_certificate"
    /// The credential `max connect` stores the client key under.
    public static let keyCredential = "tls_client_key"

    /// The authority's PEM file, from the project's folder (or absolute).
    public var ca: String?
    /// The credential holding the client certificate (PEM).
    public var clientCertificate: String?
    /// The credential holding the client key (PEM).
    public var clientKey: String?

    /// Settings.
    public init(ca: String? = nil, clientCertificate: String? = nil, clientKey: String? = nil) {
        self.ca = ca
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
    }

    /// The settings of `json` (an installation's `"tls"`).
    ///
    /// - Throws: `project.invalid_config` naming the key at fault.
    public init(json: JSONValue, path: String) throws {
        func invalid(_ problem: String) -> MaxError {
            MaxError(
                .invalidProjectFile, "max.json: \(path) \(problem)",
                hint:
                    #"for example "tls": {"ca": "certs/ca.pem", "clientCertificate": "tls_client_certificate", "clientKey": "tls_client_key"}"#,
                context: ["key": path])
        }
        guard let object = json.objectValue else { throw invalid("must be an object") }
        for key in object.keys.sorted() where !["ca", "clientCertificate", "clientKey"].contains(key) {
            throw invalid("has an unknown key '\(key)' (ca, clientCertificate, clientKey)")
        }
        for (key, value) in object where value.stringValue?.isEmpty != false {
            throw invalid(".\(key) must be a non-empty string")
        }
        self.init(
            ca: object["ca"]?.stringValue, clientCertificate: object["clientCertificate"]?.stringValue,
            clientKey: object["clientKey"]?.stringValue)
        guard (clientCertificate == nil) == (clientKey == nil) else {
            throw invalid("needs both clientCertificate and clientKey, or neither")
        }
    }

    /// The settings as `max.json` holds them.
    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if let ca { object["ca"] = .string(ca) }
        if let clientCertificate { object["clientCertificate"] = .string(clientCertificate) }
        if let clientKey { object["clientKey"] = .string(clientKey) }
        return .object(object)
    }

    /// The HTTP client's settings: the authority read from its file, the certificate and key from
    /// `credentials`.
    ///
    /// - Parameters:
    ///   - root: The project's folder, which `ca` is relative to.
    ///   - credentials: The installation's credentials.
    /// - Returns: The settings, checked.
    /// - Throws: `http.tls_invalid` for a file that cannot be read or a PEM that does not read;
    ///   `credentials.missing` for a client certificate or key that is not stored.
    public func settings(root: URL, credentials: any CredentialStore) async throws -> TLSSettings {
        var settings = TLSSettings()
        if let ca {
            let url = ca.hasPrefix("/") ? URL(fileURLWithPath: ca) : root.appendingPathComponent(ca)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw MaxError(
                    .httpTLSInvalid, "the certificate authority \(url.path) cannot be read",
                    hint: "put the authority's PEM certificate there, or fix \"tls\".ca in max.json")
            }
            settings.certificateAuthorities = String(decoding: data, as: UTF8.self)
        }
        func secret(_ name: String) async throws -> Secret {
            guard let value = try await credentials.secret(named: name) else {
                throw MaxError(
                    .credentialMissing, "the TLS credential \(name) is not stored",
                    hint:
                        "connect the installation again with --tls-client-certificate file:… and --tls-client-key file:…",
                    context: ["credential": name])
            }
            return value
        }
        if let clientCertificate, let clientKey {
            settings.clientCertificate = try await secret(clientCertificate).revealed
            settings.clientKey = try await secret(clientKey)
        }
        try settings.validate()
        return settings
    }
}
