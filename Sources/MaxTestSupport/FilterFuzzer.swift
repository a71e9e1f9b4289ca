import MaxCore

/// Generates random and adversarial filter expressions for fuzz tests: token soup, grammatical
/// filters with random mutations, and the shapes that break parsers (deep nesting, long chains,
/// huge strings and lists, odd numbers, unicode, control characters).
///
/// Deterministic for a seed, so a failing case reproduces:
///
/// ```swift
/// var fuzzer = FilterFuzzer(fields: ["title", "priority"], seed: 7)
/// for _ in 0..<1000 { try? Filter(parsing: fuzzer.next()) }
/// ```
public struct FilterFuzzer: Sendable {
    private var rng: SplitMix64
    private let fields: [String]

    /// A fuzzer over `fields` (plus a few names no schema has).
    public init(fields: [String], seed: UInt64) {
        self.rng = SplitMix64(seed: seed)
        self.fields = fields + ["_id", "nope", "Title", "_deleted_at", "x__was_integer"]
    }

    /// The next expression.
    public mutating func next() -> String {
        switch int(0..<10) {
        case 0, 1, 2: tokenSoup()
        case 3, 4, 5: mutate(grammatical(depth: 0))
        case 6, 7: grammatical(depth: 0)
        default: adversarial()
        }
    }

    private mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &rng) }
    private mutating func pick<T>(_ items: [T]) -> T { items[int(0..<items.count)] }

    private static let operators = ["=", "!=", ">", ">=", "<", "<=", "~=", "==", "<>", "!", "~", "=>"]
    private static let keywords = ["AND", "OR", "NOT", "IN", "IS", "NULL", "true", "false", "and", "Or", "nOt", "null"]
    private static let oddCharacters: [String] = [
        "(", ")", ",", "\"", "'", "\\", "#", ";", "--", "/*", "*/", "%", "_", "\u{0}", "\u{7}", "\n", "\t",
        "é", "ß", "日本", "🙂", "\u{202E}", "e\u{301}", "\u{FEFF}", "\u{10FFFF}", "$", "@", "`", "[", "]", "{", "}",
    ]

    private mutating func value() -> String {
        switch int(0..<14) {
        case 0: return "\"\(text())\""
        case 1: return "'\(text())'"
        case 2: return String(int(-1000..<1000))
        case 3: return pick(["1.5", "-0", "0.0", "1e3", "1E-7", "-2.5e+10", "1e999", "-1e999", "00012", ".5", "5."])
        case 4:
            return pick([
                "9223372036854775807", "9223372036854775808", "-9223372036854775809",
                "1" + String(repeating: "0", count: 400),
            ])
        case 5: return pick(["true", "false", "TRUE", "False"])
        case 6: return "\"\(pick(["%", "_", "%_%", "\\\\", "\\\"", "\\n", "\\t", "\\u00e9", "\\uD83D", "\\u0000"]))\""
        case 7: return "\"" + String(repeating: pick(["a", "é", "🙂", "%"]), count: int(1_000..<20_000)) + "\""
        case 8: return "\"2026-\(int(1..<13))-\(int(1..<32))T00:00:00Z\""
        case 9: return "\"\(pick(["2026-02-30", "not a date", "2026-01-01", "1970-01-01T00:00:00.000Z", ""]))\""
        case 10: return pick(["NULL", "todo", "(", ")", ","])
        default: return "\"\(pick(["todo", "done", "high", "ab", "B", "per_1", "itm_000003", ""]))\""
        }
    }

    private mutating func text() -> String {
        (0..<int(0..<6)).map { _ in pick(["a", "b", " ", "é", "🙂", "\\\"", "\\\\", "%", "_", "'"]) }.joined()
    }

    private mutating func comparison() -> String {
        let field = pick(fields)
        switch int(0..<6) {
        case 0: return "\(field) IN (\((0..<int(1..<6)).map { _ in value() }.joined(separator: ", ")))"
        case 1: return "\(field) IS \(pick(["", "NOT "]))NULL"
        default: return "\(field) \(pick(Array(Self.operators.prefix(7)))) \(value())"
        }
    }

    private mutating func grammatical(depth: Int) -> String {
        guard depth < 6 else { return comparison() }
        switch int(0..<6) {
        case 0: return "NOT " + grammatical(depth: depth + 1)
        case 1: return "(" + grammatical(depth: depth + 1) + ")"
        case 2, 3:
            let joiner = pick([" AND ", " OR ", " and ", " or "])
            return (0..<int(2..<5)).map { _ in grammatical(depth: depth + 1) }.joined(separator: joiner)
        default: return comparison()
        }
    }

    private mutating func token() -> String {
        switch int(0..<6) {
        case 0: pick(fields)
        case 1: pick(Self.operators)
        case 2: pick(Self.keywords)
        case 3: value()
        default: pick(Self.oddCharacters)
        }
    }

    private mutating func tokenSoup() -> String {
        (0..<int(0..<25)).map { _ in token() }.joined(separator: pick([" ", "", "  "]))
    }

    private mutating func mutate(_ expression: String) -> String {
        var characters = Array(expression)
        for _ in 0..<int(1..<4) where !characters.isEmpty {
            let at = int(0..<characters.count)
            switch int(0..<3) {
            case 0: characters.remove(at: at)
            case 1: characters.insert(contentsOf: Array(token()), at: at)
            default: characters.swapAt(at, int(0..<characters.count))
            }
        }
        return String(characters)
    }

    private mutating func adversarial() -> String {
        let comparison = "\(pick(fields)) = 1"
        switch int(0..<10) {
        case 0: return String(repeating: "(", count: int(1..<20_000))
        case 1:
            let depth = int(1..<20_000)
            return String(repeating: "(", count: depth) + comparison + String(repeating: ")", count: depth)
        case 2: return String(repeating: "NOT ", count: int(1..<25_000)) + comparison
        case 3: return Array(repeating: comparison, count: int(2..<8_000)).joined(separator: " AND ")
        case 4:
            return Array(repeating: comparison, count: int(2..<8_000)).joined(separator: pick([" OR ", " AND NOT "]))
        case 5: return "\(pick(fields)) IN (" + (0..<int(1..<5_000)).map(String.init).joined(separator: ",") + ")"
        case 6: return "\(pick(fields)) = \"" + String(repeating: "x", count: int(50_000..<120_000)) + "\""
        case 7: return String(repeating: ")", count: int(1..<5_000)) + comparison
        case 8: return String(repeating: "(" + comparison + " AND ", count: int(1..<3_000))
        default: return String(repeating: pick(Self.oddCharacters), count: int(1..<10_000))
        }
    }
}
