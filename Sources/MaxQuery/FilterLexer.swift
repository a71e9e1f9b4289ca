import MaxCore

/// Splits a filter expression into tokens, or reports the first character it cannot read.
struct FilterLexer {
    private let expression: String
    private let characters: [Character]
    private var index = 0

    init(_ expression: String) {
        self.expression = expression
        self.characters = Array(expression)
    }

    /// All tokens, ending with a `.end` token.
    ///
    /// - Throws: `search.invalid_filter` for an unterminated string, a bad escape, a lone `!` or `~`,
    ///   a malformed number, or a character the language has no use for.
    static func tokenize(_ expression: String) throws -> [FilterToken] {
        var lexer = FilterLexer(expression)
        var tokens: [FilterToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private var column: Int { index + 1 }

    private func peek(_ offset: Int = 0) -> Character? {
        index + offset < characters.count ? characters[index + offset] : nil
    }

    private func fail(_ message: String, at column: Int, hint: String? = nil) -> MaxError {
        .invalidFilter(message, expression: expression, column: column, hint: hint)
    }

    private mutating func next() throws -> FilterToken {
        while let character = peek(), character.isWhitespace { index += 1 }
        let start = column
        guard let character = peek() else { return FilterToken(kind: .end, column: start, text: "") }
        switch character {
        case "(":
            index += 1
            return FilterToken(kind: .openParen, column: start, text: "(")
        case ")":
            index += 1
            return FilterToken(kind: .closeParen, column: start, text: ")")
        case ",":
            index += 1
            return FilterToken(kind: .comma, column: start, text: ",")
        case "=", "!", "<", ">", "~":
            return try comparison(startingWith: character)
        case "\"", "'":
            return try string(quote: character)
        case "-", "0"..."9":
            return try number()
        case _ where character.isASCII && (character.isLetter || character == "_"):
            return identifierOrKeyword()
        default:
            throw fail("unexpected character '\(character)'", at: start)
        }
    }

    private mutating func comparison(startingWith first: Character) throws -> FilterToken {
        let start = column
        let second = peek(1)
        let op: ComparisonOperator
        switch (first, second) {
        case ("=", "="):
            throw fail("'==' is not an operator", at: start, hint: "use '=' to compare for equality")
        case ("=", _): op = .equal
        case ("!", "="): op = .notEqual
        case ("!", _):
            throw fail(
                "unexpected character '!'", at: start, hint: "use '!=' for 'not equal', or NOT before a condition")
        case (">", "="): op = .greaterOrEqual
        case (">", _): op = .greater
        case ("<", "="): op = .lessOrEqual
        case ("<", ">"):
            throw fail("'<>' is not an operator", at: start, hint: "use '!=' for 'not equal'")
        case ("<", _): op = .less
        case ("~", "="): op = .contains
        default:
            throw fail("unexpected character '~'", at: start, hint: "use '~=' for 'contains, ignoring case'")
        }
        index += op.rawValue.count
        return FilterToken(kind: .comparison(op), column: start, text: op.rawValue)
    }

    private mutating func string(quote: Character) throws -> FilterToken {
        let start = column
        index += 1
        var value = ""
        while let character = peek() {
            index += 1
            if character == quote {
                let text = String(characters[(start - 1)..<index])
                return FilterToken(kind: .string(value), column: start, text: text)
            }
            if character == "\\" {
                value.append(try escape(at: column - 1))
            } else {
                value.append(character)
            }
        }
        throw fail(
            "the string that starts here is not closed", at: start,
            hint: "end it with \(quote); write \\\(quote) for a quote inside it")
    }

    /// Reads the escape after a backslash at `backslashColumn`.
    private mutating func escape(at backslashColumn: Int) throws -> Character {
        guard let character = peek() else {
            throw fail("the filter ends in the middle of an escape", at: backslashColumn)
        }
        index += 1
        switch character {
        case "\\", "\"", "'", "/": return character
        case "n": return "\n"
        case "t": return "\t"
        case "r": return "\r"
        case "u":
            let hex = String(characters[index..<min(index + 4, characters.count)])
            guard hex.count == 4, hex.allSatisfy(\.isHexDigit), let code = UInt32(hex, radix: 16),
                let scalar = Unicode.Scalar(code)
            else {
                throw fail("'\\u' must be followed by four hex digits", at: backslashColumn)
            }
            index += 4
            return Character(scalar)
        default:
            throw fail(
                "unknown escape '\\\(character)'", at: backslashColumn,
                hint: "escapes are \\\\ \\\" \\' \\n \\t \\r and \\uXXXX")
        }
    }

    private mutating func number() throws -> FilterToken {
        let start = column
        var text = ""
        if peek() == "-" {
            text.append("-")
            index += 1
        }
        guard let first = peek(), first.isASCII, first.isNumber else {
            throw fail("expected a digit after '-'", at: start)
        }
        var isInteger = true
        while let character = peek(), character.isASCII,
            character.isNumber || character == "." || character == "e"
                || character == "E"
                || ((character == "+" || character == "-") && (text.last == "e" || text.last == "E"))
        {
            if !character.isNumber { isInteger = false }
            text.append(character)
            index += 1
        }
        if let next = peek(), next.isLetter || next == "_" {
            throw fail("'\(text)\(next)…' is not a number", at: start, hint: "quote text values: \"…\"")
        }
        if isInteger, let value = Int(text) {
            return FilterToken(kind: .integer(value), column: start, text: text)
        }
        guard let value = Double(text), value.isFinite else {
            throw fail("'\(text)' is not a number", at: start)
        }
        return FilterToken(kind: .double(value), column: start, text: text)
    }

    /// A name, or a path of names through refs (`assignee.role`): a dot joins two names when a
    /// letter or `_` follows it.
    private mutating func identifierOrKeyword() -> FilterToken {
        let start = column
        var text = ""
        while let character = peek(), character.isASCII {
            if character.isLetter || character.isNumber || character == "_" {
                text.append(character)
            } else if character == ".", let next = peek(1), next.isASCII, next.isLetter || next == "_" {
                text.append(character)
            } else {
                break
            }
            index += 1
        }
        if let keyword = FilterToken.Keyword(rawValue: text.uppercased()) {
            return FilterToken(kind: .keyword(keyword), column: start, text: text)
        }
        return FilterToken(kind: .identifier(text), column: start, text: text)
    }
}
