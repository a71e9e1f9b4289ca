public import Foundation

/// A strict JSON reader (RFC 8259) over UTF-8 bytes that pulls values one at a time, so a connector
/// can turn an API page straight into entity inputs without building an intermediate tree.
///
/// It keeps a number's form (`2` is an int, `2.0` a double) and is several times faster than
/// `JSONDecoder`: a sync decodes every page it fetches.
///
/// ```swift
/// var reader = JSONReader(response.body)
/// var titles: [String] = []
/// try reader.forEachElement { task in
///     try task.forEachMember { task, key in
///         if key == "title" { titles.append(try task.string()) } else { try task.skip() }
///     }
/// }
/// try reader.finish()
/// ```
public struct JSONReader {
    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0
    /// Where the key of the member being read starts.
    private var keyOffset = 0

    /// The deepest nesting accepted, so hostile input cannot exhaust the stack.
    public static let maximumDepth = 512

    /// Whether ``value()`` refuses an object that names a key twice.
    ///
    /// Otherwise the last one wins. Files people edit by hand turn it on: a second key silently
    /// overriding the first misleads whoever reviews the file.
    public var rejectsDuplicateKeys = false

    /// Why the input is not the JSON expected, and where.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What was wrong.
        public let message: String
        /// The offset of the byte where reading stopped.
        public let offset: Int
        /// The message and the offset.
        public var description: String { "\(message) at byte \(offset)" }

        /// Creates a failure.
        public init(message: String, offset: Int) {
            self.message = message
            self.offset = offset
        }
    }

    /// Creates a reader over UTF-8 text.
    public init(_ text: String) {
        bytes = Array(text.utf8)
    }

    /// Creates a reader over UTF-8 bytes.
    public init(_ data: Data) {
        bytes = Array(data)
    }

    /// The byte offset the reader is at.
    public var offset: Int { index }

    /// Reads one whole value of any kind.
    ///
    /// - Throws: ``Failure`` when the input is not JSON.
    public mutating func value() throws -> JSONValue { try parseValue() }

    /// Reads a string.
    ///
    /// - Throws: ``Failure`` when the next value is not a string.
    public mutating func string() throws -> String {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a string") }
        return try parseString()
    }

    /// Reads a string, or `null` as `nil`.
    ///
    /// - Throws: ``Failure`` when the next value is neither.
    public mutating func optionalString() throws -> String? {
        try consumeNull() ? nil : string()
    }

    /// Reads an integer (a number without fraction or exponent that fits an `Int`).
    ///
    /// - Throws: ``Failure`` when the next value is not one.
    public mutating func int() throws -> Int {
        skipWhitespace()
        guard case .int(let value) = try parseNumber() else { throw fail("expected an integer") }
        return value
    }

    /// Reads a number.
    ///
    /// - Throws: ``Failure`` when the next value is not a number.
    public mutating func double() throws -> Double {
        skipWhitespace()
        switch try parseNumber() {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: throw fail("expected a number")
        }
    }

    /// Reads `true` or `false`.
    ///
    /// - Throws: ``Failure`` when the next value is not a Boolean.
    public mutating func bool() throws -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw fail("expected true or false") }
        switch bytes[index] {
        case UInt8(ascii: "t"):
            _ = try literal("true", .bool(true))
            return true
        case UInt8(ascii: "f"):
            _ = try literal("false", .bool(false))
            return false
        default: throw fail("expected true or false")
        }
    }

    /// Reads `null` if it comes next.
    ///
    /// - Returns: Whether it did.
    public mutating func consumeNull() throws -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "n") else { return false }
        _ = try literal("null", .null)
        return true
    }

    /// Skips the next value, whatever it is.
    ///
    /// - Throws: ``Failure`` when it is not JSON.
    public mutating func skip() throws {
        _ = try parseValue()
    }

    /// Reads the next value and returns a reader over just it, to read later (when how to read it
    /// depends on keys that come after it, say).
    ///
    /// - Throws: ``Failure`` when it is not JSON.
    public mutating func captureValue() throws -> JSONReader {
        skipWhitespace()
        let start = index
        try skip()
        return JSONReader(bytes: Array(bytes[start..<index]))
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Reads an array, calling `element` once per element with the reader at it; `element` must
    /// read (or skip) exactly that one value.
    ///
    /// - Throws: ``Failure`` when the next value is not an array; what `element` throws.
    public mutating func forEachElement(_ element: (inout JSONReader) throws -> Void) throws {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "[") else { throw fail("expected an array") }
        try enter()
        defer { depth -= 1 }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            try element(&self)
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end in an array") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return
            } else {
                throw fail("expected ',' or ']'")
            }
        }
    }

    /// Reads an object, calling `member` once per member with its key and the reader at its value;
    /// `member` must read (or skip) exactly that one value.
    ///
    /// - Throws: ``Failure`` when the next value is not an object; what `member` throws.
    public mutating func forEachMember(_ member: (inout JSONReader, String) throws -> Void) throws {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { throw fail("expected an object") }
        try enter()
        defer { depth -= 1 }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key") }
            keyOffset = index
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            try member(&self, key)
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end in an object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return
            } else {
                throw fail("expected ',' or '}'")
            }
        }
    }

    /// Checks that nothing but whitespace follows.
    ///
    /// - Throws: ``Failure`` when something does.
    public mutating func finish() throws {
        skipWhitespace()
        guard index == bytes.count else { throw fail("unexpected text after the JSON value") }
    }

    /// A failure at the current offset, for a value that is JSON but not what the caller expected.
    public func failure(_ message: String) -> Failure { fail(message) }

    private func fail(_ message: String) -> Failure { Failure(message: message, offset: index) }

    private mutating func enter() throws {
        depth += 1
        guard depth <= Self.maximumDepth else {
            depth -= 1
            throw fail("nested too deeply")
        }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count,
            bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09
        {
            index += 1
        }
    }

    private mutating func parseValue() throws -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw fail("expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail("unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) throws -> JSONValue {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw fail("unexpected end") }
        let matches = word.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw fail("unexpected word") }
        index += count
        return value
    }

    private mutating func parseObject() throws -> JSONValue {
        var members: [String: JSONValue] = [:]
        try forEachMember { reader, key in
            if reader.rejectsDuplicateKeys, members[key] != nil {
                throw Failure(message: "the key \"\(key)\" appears twice in one object", offset: reader.keyOffset)
            }
            members[key] = try reader.parseValue()
        }
        return .object(members)
    }

    private mutating func parseArray() throws -> JSONValue {
        var values: [JSONValue] = []
        try forEachElement { values.append(try $0.parseValue()) }
        return .array(values)
    }

    /// The bytes in `range` as text (invalid UTF-8 repaired), read through a buffer pointer: a
    /// slice of the array would retain its storage, once per string of every page.
    private func text(_ range: Range<Int>) -> String {
        bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }

    private mutating func parseString() throws -> String {
        index += 1
        let start = index
        // Fast path: no escapes, so the string is the bytes between the quotes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                defer { index += 1 }
                return text(start..<index)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw fail("control character in a string") }
            index += 1
        }
        // Slow path: decode escapes from here on.
        var result = text(start..<index)
        var runStart = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                result += text(runStart..<index)
                index += 1
                return result
            }
            if byte < 0x20 { throw fail("control character in a string") }
            if byte == UInt8(ascii: "\\") {
                result += text(runStart..<index)
                index += 1
                result.unicodeScalars.append(try parseEscape())
                runStart = index
                continue
            }
            index += 1
        }
        throw fail("unterminated string")
    }

    private mutating func parseEscape() throws -> Unicode.Scalar {
        guard index < bytes.count else { throw fail("unterminated escape") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try parseHex4()
            if (0xD800..<0xDC00).contains(high) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else {
                    throw fail("unpaired surrogate")
                }
                index += 2
                let low = try parseHex4()
                guard (0xDC00..<0xE000).contains(low),
                    let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                else { throw fail("invalid surrogate pair") }
                return scalar
            }
            guard let scalar = Unicode.Scalar(high) else { throw fail("invalid escape") }
            return scalar
        default:
            throw fail("invalid escape")
        }
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail("invalid hex digit")
            }
            value = value * 16 + UInt32(digit)
            index += 1
        }
        return value
    }

    private mutating func parseNumber() throws -> JSONValue {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "-") || (48...57).contains(bytes[index]) else {
            throw fail("expected a number")
        }
        let start = index
        var isInteger = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else {
            throw fail("expected a digit")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            let digits = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > digits else { throw fail("expected a digit after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            let digits = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > digits else { throw fail("expected a digit in the exponent") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let value = Int(text) { return .int(value) }
        guard let value = Double(text) else { throw fail("invalid number") }
        return .double(value)
    }
}
