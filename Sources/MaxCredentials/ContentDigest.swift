import Crypto
import Foundation

/// SHA-256 as lowercase hex: of a value a record must recognise without keeping it (an idempotency
/// key's input, a serve token), or of content read in pieces (a file, without holding it in memory).
///
/// ```swift
/// var digest = ContentDigest()
/// digest.update(chunk)
/// let hex = digest.finalize()
/// ```
public struct ContentDigest: Sendable {
    private var hasher = SHA256()

    /// The SHA-256 of `text`'s UTF-8 bytes, as lowercase hex.
    public static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A digest of nothing yet.
    public init() {}

    /// Adds `bytes` to what is hashed.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    /// The SHA-256 of everything added, as 64 lowercase hex digits.
    public func finalize() -> String {
        hasher.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
