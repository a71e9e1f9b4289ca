import Crypto
public import Foundation

/// Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
/// keyed with the bytes of the `whsec_…` secret.
public enum WebhookSignature {
    /// The signature header value for a delivery.
    public static func sign(secret: String, id: String, timestamp: String, body: Data) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: signedContent(id, timestamp, body), using: key(secret))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// Whether `header` (one or more space-separated `v1,<signature>`) holds a valid signature of
    /// the delivery under `secret`; compared in constant time.
    public static func verify(secret: String, id: String, timestamp: String, body: Data, header: String) -> Bool {
        let content = signedContent(id, timestamp, body)
        let key = key(secret)
        for candidate in header.split(separator: " ") where candidate.hasPrefix("v1,") {
            guard let signature = Data(base64Encoded: String(candidate.dropFirst(3))) else { continue }
            if HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: content, using: key) { return true }
        }
        return false
    }

    private static func key(_ secret: String) -> SymmetricKey {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        return SymmetricKey(data: Data(base64Encoded: encoded) ?? Data(encoded.utf8))
    }

    private static func signedContent(_ id: String, _ timestamp: String, _ body: Data) -> Data {
        Data("\(id).\(timestamp).".utf8) + body
    }
}
