import Foundation
public import MaxCore

/// The position after one row in one ordering: what an opaque `--after` cursor encodes.
///
/// A cursor holds the row's values for every key of the ordering (ending with `_id`) as storage
/// keeps them, and the ordering's signature, so a cursor made under one ordering is refused under
/// another instead of silently skipping rows. The text form is unpadded base64url of a small JSON
/// document: opaque to users, stable across versions that keep the same `v`.
public struct QueryCursor: Sendable, Hashable {
    /// The ordering this cursor belongs to (``CheckedOrdering/signature``).
    public let signature: String
    /// The row's value for each key of the ordering, in order; `null` for a null value.
    public let keys: [JSONValue]

    /// Creates a cursor.
    public init(signature: String, keys: [JSONValue]) {
        self.signature = signature
        self.keys = keys
    }

    private struct Payload: Codable {
        var v: Int
        var o: String
        var k: [JSONValue]
    }

    /// The opaque text form.
    public var encoded: String {
        let payload = Payload(v: 1, o: signature, k: keys)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(payload)) ?? Data()
        return data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes a cursor and checks it belongs to `ordering`.
    ///
    /// - Throws: `search.invalid_cursor` when the text is not a cursor or was made for another
    ///   ordering.
    public init(decoding text: String, for ordering: CheckedOrdering) throws {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
            let payload = try? JSONDecoder().decode(Payload.self, from: data), payload.v == 1
        else {
            throw MaxError(
                .invalidCursor, "the cursor is not one Max made",
                hint: "pass the cursor exactly as a previous page printed it", context: ["cursor": text])
        }
        guard payload.o == ordering.signature, payload.k.count == ordering.keys.count else {
            throw MaxError(
                .invalidCursor, "the cursor was made for a different ordering (\(payload.o))",
                hint: "use the same --order-by as the search that printed the cursor",
                context: ["cursor": text, "ordering": ordering.signature])
        }
        self.init(signature: payload.o, keys: payload.k)
    }
}
