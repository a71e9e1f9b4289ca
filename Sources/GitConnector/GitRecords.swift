import MaxCore

/// Reads git's NUL-separated output (`-z`, `%x00`) into records, losing nothing.
///
/// Commit messages, names and paths may hold any byte but NUL (0x1E and 0x1F included), so git
/// is always asked to end every field with NUL, and a record is read by position: its `fieldCount`
/// fields, then the `--numstat` entries after it (`<added>\t<deleted>\t<path>`, the only tokens with
/// that shape). Anything that does not fit the shape is an error naming where git's output stopped
/// making sense, never a record skipped or shifted.
struct GitRecords: Sendable {
    /// One record: its fields and the numstat entries that followed it.
    struct Record: Sendable {
        /// The fields, in the order of the format.
        var fields: [[UInt8]]
        /// The `--numstat` entries: lines added and deleted (nil for a binary file) and the raw path.
        var changes: [(added: Int?, deleted: Int?, path: [UInt8])] = []

        /// A field as text (invalid UTF-8 replaced, as for display).
        func text(_ index: Int) -> String { String(decoding: fields[index], as: UTF8.self) }
    }

    /// Splits `output` into records of `fieldCount` fields, the first of which must be an object
    /// name (a commit hash) when `hashFirst` is set.
    ///
    /// - Throws: `git.unexpected_output` when the output does not have that shape.
    static func parse(_ output: [UInt8], fieldCount: Int, hashFirst: Bool = true) throws -> [Record] {
        var tokens = output.split(separator: 0, omittingEmptySubsequences: false)
        if tokens.last?.isEmpty == true { tokens.removeLast() }
        var records: [Record] = []
        var index = 0
        while index < tokens.count {
            // The separators between records (and between a record and its numstat) are empty tokens,
            // or a newline (for-each-ref ends each record with one).
            if tokens[index].isEmpty || tokens[index].elementsEqual([UInt8(ascii: "\n")]) {
                index += 1
                continue
            }
            guard index + fieldCount <= tokens.count else {
                throw unexpected("a record of \(fieldCount) fields was cut short", after: records.count)
            }
            var fields = tokens[index..<(index + fieldCount)].map { Array($0) }
            if fields[0].first == UInt8(ascii: "\n") { fields[0].removeFirst() }
            if hashFirst, !isObjectName(fields[0]) {
                throw unexpected("expected a commit hash, found \(excerpt(fields[0]))", after: records.count)
            }
            var record = Record(fields: fields)
            index += fieldCount
            while index < tokens.count {
                if tokens[index].isEmpty {
                    index += 1
                    continue
                }
                guard let change = numstat(tokens[index]) else { break }
                record.changes.append(change)
                index += 1
            }
            records.append(record)
        }
        return records
    }

    /// A `--numstat -z` entry (`<added>\t<deleted>\t<path>`, with `-` for a binary file, maybe after a
    /// newline), or nil for a token of another shape.
    static func numstat(_ token: ArraySlice<UInt8>) -> (added: Int?, deleted: Int?, path: [UInt8])? {
        var token = token
        if token.first == UInt8(ascii: "\n") { token = token.dropFirst() }
        let parts = token.split(separator: UInt8(ascii: "\t"), maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, isCount(parts[0]), isCount(parts[1]) else { return nil }
        func value(_ bytes: ArraySlice<UInt8>) -> Int? { Int(String(decoding: bytes, as: UTF8.self)) }
        return (value(parts[0]), value(parts[1]), Array(parts[2]))
    }

    /// Whether `bytes` is a numstat count: digits, or `-` for a binary file.
    private static func isCount(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.elementsEqual([UInt8(ascii: "-")])
            || (!bytes.isEmpty && bytes.allSatisfy { (0x30...0x39).contains($0) })
    }

    /// Whether `bytes` is a full object name: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits.
    static func isObjectName(_ bytes: [UInt8]) -> Bool {
        (bytes.count == 40 || bytes.count == 64)
            && bytes.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    static func unexpected(_ what: String, after records: Int) -> MaxError {
        MaxError(
            .gitUnexpectedOutput, "git printed something Max cannot read after \(records) records: \(what)",
            hint: "nothing was stored from it; run `git fsck` in the repository, and report this with the git version")
    }

    private static func excerpt(_ bytes: [UInt8]) -> String {
        "'"
            + String(decoding: bytes.prefix(60), as: UTF8.self).unicodeScalars.map {
                $0.value < 0x20 ? "\\u{\(String($0.value, radix: 16))}" : String($0)
            }.joined() + "'"
    }
}

/// Text from git's bytes for what names things (paths), without losing a byte.
enum GitText {
    /// The first code point of the private-use range that stands for bytes that are not UTF-8.
    static let escapeBase: UInt32 = 0xEF00

    /// `bytes` as a string: valid UTF-8 as it is; each byte of an invalid sequence as the private-use
    /// character U+EF00 plus the byte (U+EF80…U+EFFF), so two names that differ only in such bytes
    /// stay two names, and each byte can be recovered (the character minus U+EF00).
    static func lossless(_ bytes: some Collection<UInt8>) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        let bytes = Array(bytes)
        var scalars = String.UnicodeScalarView()
        var index = 0
        while index < bytes.count {
            let length = sequenceLength(bytes[index])
            if length > 0, index + length <= bytes.count,
                let valid = String(validating: bytes[index..<(index + length)], as: UTF8.self)
            {
                scalars.append(contentsOf: valid.unicodeScalars)
                index += length
            } else {
                scalars.append(Unicode.Scalar(escapeBase + UInt32(bytes[index])) ?? "\u{FFFD}")
                index += 1
            }
        }
        return String(scalars)
    }

    private static func sequenceLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0x00...0x7F: 1
        case 0xC2...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF4: 4
        default: 0
        }
    }
}
