public import MaxCore
import NIOSSL
import Synchronization

/// An installation's TLS beyond the defaults: a private certificate authority its source's
/// certificate is signed by, and a client certificate for mutual TLS.
///
/// Certificates are always validated: the authorities here are trusted besides the system's, never
/// instead of validation. The client's private key is a credential, kept sealed in the
/// installation's store and given here as a ``Secret``.
///
/// ```swift
/// var http = ConnectorHTTPClient.shared
/// http.tls = TLSSettings(certificateAuthorities: caPEM, clientCertificate: certificatePEM, clientKey: keyPEM)
/// ```
public struct TLSSettings: Sendable, Hashable {
    /// PEM certificates of authorities trusted besides the system's.
    public var certificateAuthorities: String?
    /// The client certificate (and any intermediates), PEM.
    public var clientCertificate: String?
    /// The client certificate's private key, PEM.
    public var clientKey: Secret?

    /// Settings.
    public init(certificateAuthorities: String? = nil, clientCertificate: String? = nil, clientKey: Secret? = nil) {
        self.certificateAuthorities = certificateAuthorities
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
    }

    /// Checks that the PEMs read, and that a client certificate comes with its key.
    ///
    /// - Throws: `http.tls_invalid` saying which part does not read.
    public func validate() throws {
        _ = try configuration()
    }

    private static let built = Mutex<[TLSSettings: TLSConfiguration]>([:])

    /// The client configuration: full verification, the system's roots plus ours, and the client
    /// certificate; built once per settings.
    func configuration() throws -> TLSConfiguration {
        if let cached = Self.built.withLock({ $0[self] }) { return cached }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        if let certificateAuthorities {
            let certificates = try Self.read("the certificate authority") {
                try NIOSSLCertificate.fromPEMBytes(Array(certificateAuthorities.utf8))
            }
            guard !certificates.isEmpty else {
                throw Self.invalid("the certificate authority holds no PEM certificate")
            }
            configuration.additionalTrustRoots = [.certificates(certificates)]
        }
        switch (clientCertificate, clientKey) {
        case (nil, nil): break
        case (let certificate?, let key?):
            let chain = try Self.read("the client certificate") {
                try NIOSSLCertificate.fromPEMBytes(Array(certificate.utf8))
            }
            guard !chain.isEmpty else { throw Self.invalid("the client certificate holds no PEM certificate") }
            configuration.certificateChain = chain.map { .certificate($0) }
            configuration.privateKey = .privateKey(
                try Self.read("the client key") { try NIOSSLPrivateKey(bytes: Array(key.revealed.utf8), format: .pem) })
        case (nil, _?): throw Self.invalid("a client key was given without its certificate")
        case (_?, nil): throw Self.invalid("a client certificate was given without its key")
        }
        Self.built.withLock { $0[self] = configuration }
        return configuration
    }

    private static func read<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            // NIOSSL's error names the PEM problem, never the key's bytes.
            throw invalid("\(what) does not read as PEM (\(String(describing: error).prefix(120)))")
        }
    }

    static func invalid(_ message: String) -> MaxError {
        MaxError(
            .httpTLSInvalid, message,
            hint:
                "give PEM files: the authority's certificate (\"tls\": {\"ca\": …}), the client certificate and its key"
        )
    }
}

extension MaxError.Code {
    /// An installation's TLS settings do not read (a PEM that is not one, a certificate without its key).
    public static let httpTLSInvalid = Self(domain: "http", name: "tls_invalid", category: .validationError)
    /// The TLS handshake failed: the source's certificate is not trusted, or it refused ours.
    public static let httpTLSFailed = Self(domain: "http", name: "tls_failed", category: .permanent)
}
