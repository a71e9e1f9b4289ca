import Crypto
import Foundation

/// Proof Key for Code Exchange (RFC 7636): the verifier a client keeps and the S256 challenge it
/// sends with an authorization request; and the random `state` that ties a redirect to its request.
public enum PKCE {
    /// A fresh code verifier: 32 random bytes, base64url without padding (43 characters).
    public static func verifier() -> String {
        base64URL(randomBytes(32))
    }

    /// The S256 challenge of `verifier`: BASE64URL(SHA256(verifier)).
    public static func challenge(for verifier: String) -> String {
        base64URL(Data(SHA256.hash(data: Data(verifier.utf8))))
    }

    /// A fresh `state`: 16 random bytes as hex.
    public static func state() -> String {
        randomBytes(16).map { String(format: "%02x", $0) }.joined()
    }

    private static func randomBytes(_ count: Int) -> Data {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
