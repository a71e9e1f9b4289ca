/// A user's SQL statement, read token by token (strings, quoted identifiers and comments skipped
/// as SQL reads them) and rewritten so that `installation.View` names the view Max made for it.
///
/// `max sql` gives every installation's views the names `"acme.AcmeTask"` (one identifier, with a
/// dot in it): an attached database cannot hold a view over another one, so the views live in the
/// connection's temporary schema. The rewrite turns `acme.AcmeTask` (or `"acme-1".AcmeTask`) into
/// `"acme.AcmeTask"`, and ``originalOffset(of:)`` maps a position in the rewritten text (where the
/// database reports an error) back to the user's.
public struct SQLText: Sendable {
    /// The statement as the user wrote it.
    public let original: String
    /// The statement as it runs.
    public let rewritten: String
    /// Every identifier the statement names (unquoted), in order, keywords included.
    public let identifiers: [String]
    /// The dialect it was read in.
    public let dialect: SQLDialect
    /// Whether the statement names `_deleted` or `_deleted_at`, which brings tombstoned entities
    /// into the views.
    public let mentionsDeleted: Bool
    /// Where each rewrite happened: its start in the original and rewritten UTF-8 bytes, and the
    /// lengths of both spans.
    private let edits: [Edit]

    private struct Edit: Sendable {
        let original: Int
        let originalLength: Int
        let rewritten: Int
        let rewrittenLength: Int
    }

    /// Reads `sql`, rewriting each `qualifier.name` whose pair is in `qualifiedViews` (matched
    /// without regard to case) into the quoted view name `"qualifier.name"`.
    ///
    /// - Parameters:
    ///   - sql: The statement.
    ///   - qualifiedViews: The views' names by their qualifier (an installation), and within it by
    ///     the view's name, both lowercased; the value is the quoted name to write.
    ///   - dialect: The database's, for PostgreSQL's `$tag$` strings.
    ///   - foldedNames: For PostgreSQL, which folds a bare name to lower case: names whose case
    ///     matters (views' and columns' such as `AcmeTask`, `dueDate`) by their lowercased form,
    ///     each the quoted name to write in place of a bare word that matches it.
    public init(
        _ sql: String, qualifiedViews: [String: [String: String]], dialect: SQLDialect,
        foldedNames: [String: String] = [:]
    ) {
        let bytes = Array(sql.utf8)
        let tokens = SQLTokenizer(bytes: bytes, dialect: dialect).tokens()
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 16)
        var edits: [Edit] = []
        var mentionsDeleted = false
        var identifiers: [String] = []
        var copied = 0
        let significant = tokens.filter { $0.kind != .space }
        var index = 0
        while index < significant.count {
            let token = significant[index]
            if let name = token.identifier(in: bytes) {
                identifiers.append(name)
                let lowered = name.lowercased()
                if lowered == "_deleted" || lowered == "_deleted_at" { mentionsDeleted = true }
                let afterDot = index > 0 && significant[index - 1].isDot(in: bytes)
                if !afterDot, index + 2 < significant.count, significant[index + 1].isDot(in: bytes),
                    let member = significant[index + 2].identifier(in: bytes),
                    let view = qualifiedViews[lowered]?[member.lowercased()]
                {
                    let end = significant[index + 2].range.upperBound
                    output += bytes[copied..<token.range.lowerBound]
                    let replacement = Array(view.utf8)
                    edits.append(
                        Edit(
                            original: token.range.lowerBound, originalLength: end - token.range.lowerBound,
                            rewritten: output.count, rewrittenLength: replacement.count))
                    output += replacement
                    copied = end
                    index += 3
                    continue
                }
                let isCall = index + 1 < significant.count && bytes[significant[index + 1].range] == [UInt8(ascii: "(")]
                if token.kind == .word, !isCall, let quoted = foldedNames[lowered] {
                    output += bytes[copied..<token.range.lowerBound]
                    let replacement = Array(quoted.utf8)
                    edits.append(
                        Edit(
                            original: token.range.lowerBound, originalLength: token.range.count,
                            rewritten: output.count, rewrittenLength: replacement.count))
                    output += replacement
                    copied = token.range.upperBound
                }
            }
            index += 1
        }
        output += bytes[copied...]
        self.original = sql
        self.dialect = dialect
        self.identifiers = identifiers
        self.rewritten = String(decoding: output, as: UTF8.self)
        self.mentionsDeleted = mentionsDeleted
        self.edits = edits
    }

    /// The statement's first word (`SELECT`, `WITH`), or `(` when it opens with one; `nil` when
    /// it holds no statement.
    public var firstWord: String? {
        let bytes = Array(original.utf8)
        guard let token = SQLTokenizer(bytes: bytes, dialect: dialect).tokens().first(where: { $0.kind != .space })
        else { return nil }
        return String(decoding: bytes[token.range], as: UTF8.self)
    }

    /// Whether `text` holds no statement: only blanks, comments and semicolons.
    public static func isBlank(_ text: String, dialect: SQLDialect) -> Bool {
        let bytes = Array(text.utf8)
        return SQLTokenizer(bytes: bytes, dialect: dialect).tokens().allSatisfy {
            $0.kind == .space || bytes[$0.range] == [UInt8(ascii: ";")]
        }
    }

    /// The UTF-8 offset in ``original`` of `offset` in ``rewritten``: a position inside a
    /// rewritten name maps to the start of the name the user wrote.
    public func originalOffset(of offset: Int) -> Int {
        var shift = 0
        for edit in edits {
            if offset < edit.rewritten { break }
            if offset < edit.rewritten + edit.rewrittenLength { return edit.original }
            shift = (edit.original + edit.originalLength) - (edit.rewritten + edit.rewrittenLength)
        }
        return offset + shift
    }

    /// The 1-based line and column (in characters) of the UTF-8 `offset` of ``original``, and the
    /// text of that line.
    public func position(ofOriginalOffset offset: Int) -> (line: Int, column: Int, text: String) {
        let bytes = Array(original.utf8)
        let clamped = min(max(0, offset), bytes.count)
        var lineStart = 0
        var line = 1
        for index in 0..<clamped where bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        var lineEnd = clamped
        while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
        let before = String(decoding: bytes[lineStart..<clamped], as: UTF8.self)
        let text = String(decoding: bytes[lineStart..<lineEnd], as: UTF8.self)
        return (line, before.count + 1, text)
    }
}

/// One token of SQL text: its kind and its bytes.
struct SQLToken: Sendable {
    enum Kind: Sendable {
        /// Whitespace and comments.
        case space
        /// A bare word: a keyword or an identifier.
        case word
        /// `"name"`, `` `name` `` or `[name]`.
        case quotedIdentifier
        /// A string literal.
        case string
        /// A number, a parameter, or any other character.
        case other
    }

    let kind: Kind
    let range: Range<Int>

    /// The identifier the token names, unquoted, or `nil` when it is not one.
    func identifier(in bytes: [UInt8]) -> String? {
        switch kind {
        case .word:
            return String(decoding: bytes[range], as: UTF8.self)
        case .quotedIdentifier:
            let inner = bytes[(range.lowerBound + 1)..<(range.upperBound - 1)]
            let text = String(decoding: inner, as: UTF8.self)
            return bytes[range.lowerBound] == UInt8(ascii: "\"") ? text.replacing("\"\"", with: "\"") : text
        default:
            return nil
        }
    }

    func isDot(in bytes: [UInt8]) -> Bool {
        kind == .other && range.count == 1 && bytes[range.lowerBound] == UInt8(ascii: ".")
    }
}

/// Splits SQL text into tokens the way SQLite and PostgreSQL read it, closely enough to tell names
/// from strings and comments.
struct SQLTokenizer {
    let bytes: [UInt8]
    let dialect: SQLDialect

    func tokens() -> [SQLToken] {
        var tokens: [SQLToken] = []
        var index = 0
        while index < bytes.count {
            let start = index
            let kind = scan(&index)
            tokens.append(SQLToken(kind: kind, range: start..<index))
        }
        return tokens
    }

    private func byte(_ index: Int) -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private static func isWordStart(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "_") || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
            || byte >= 0x80
    }

    private static func isWordPart(_ byte: UInt8) -> Bool {
        isWordStart(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "$")
    }

    private func scan(_ index: inout Int) -> SQLToken.Kind {
        let first = bytes[index]
        switch first {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0x0C:
            index += 1
            return .space
        case UInt8(ascii: "-") where byte(index + 1) == UInt8(ascii: "-"):
            while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            return .space
        case UInt8(ascii: "/") where byte(index + 1) == UInt8(ascii: "*"):
            index += 2
            while index < bytes.count, !(bytes[index] == UInt8(ascii: "*") && byte(index + 1) == UInt8(ascii: "/")) {
                index += 1
            }
            index = min(bytes.count, index + 2)
            return .space
        case UInt8(ascii: "'"):
            skipQuoted(&index, closing: UInt8(ascii: "'"))
            return .string
        case UInt8(ascii: "\""), UInt8(ascii: "`"):
            skipQuoted(&index, closing: first)
            return .quotedIdentifier
        case UInt8(ascii: "[") where dialect == .sqlite:
            index += 1
            while index < bytes.count, bytes[index] != UInt8(ascii: "]") { index += 1 }
            index = min(bytes.count, index + 1)
            return .quotedIdentifier
        case UInt8(ascii: "$") where dialect == .postgres:
            if let end = dollarQuoteEnd(from: index) {
                index = end
                return .string
            }
            index += 1
            while index < bytes.count, Self.isWordPart(bytes[index]) { index += 1 }
            return .other
        default:
            if Self.isWordStart(first) {
                // E'…' strings (PostgreSQL) and X'…' blobs: a prefix glued to a string.
                if byte(index + 1) == UInt8(ascii: "'"),
                    [UInt8(ascii: "e"), UInt8(ascii: "x"), UInt8(ascii: "b")].contains(first | 0x20)
                {
                    index += 1
                    skipQuoted(&index, closing: UInt8(ascii: "'"), backslashEscapes: first | 0x20 == UInt8(ascii: "e"))
                    return .string
                }
                while index < bytes.count, Self.isWordPart(bytes[index]) { index += 1 }
                return .word
            }
            index += 1
            return .other
        }
    }

    /// Moves past a quoted span whose quote is doubled inside it.
    private func skipQuoted(_ index: inout Int, closing: UInt8, backslashEscapes: Bool = false) {
        index += 1
        while index < bytes.count {
            if backslashEscapes && bytes[index] == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if bytes[index] == closing {
                if byte(index + 1) == closing {
                    index += 2
                    continue
                }
                index += 1
                return
            }
            index += 1
        }
        index = bytes.count
    }

    /// The end of a `$tag$…$tag$` string starting at `start`, or `nil` when none starts there.
    private func dollarQuoteEnd(from start: Int) -> Int? {
        var index = start + 1
        while index < bytes.count, bytes[index] != UInt8(ascii: "$") {
            guard Self.isWordPart(bytes[index]), bytes[index] != UInt8(ascii: "$") else { return nil }
            if index == start + 1, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { return nil }
            index += 1
        }
        guard index < bytes.count else { return nil }
        let tag = Array(bytes[start...index])
        var scan = index + 1
        while scan + tag.count <= bytes.count {
            if bytes[scan] == UInt8(ascii: "$"), Array(bytes[scan..<(scan + tag.count)]) == tag {
                return scan + tag.count
            }
            scan += 1
        }
        return bytes.count
    }
}
