/// One token of a filter expression, with the 1-based column it starts at.
struct FilterToken: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case identifier(String)
        case string(String)
        case integer(Int)
        case double(Double)
        case keyword(Keyword)
        case comparison(ComparisonOperator)
        case openParen
        case closeParen
        case comma
        case end
    }

    /// The words the language reserves, matched case-insensitively.
    enum Keyword: String, Sendable, CaseIterable {
        case and = "AND"
        case or = "OR"
        case not = "NOT"
        case `in` = "IN"
        case `is` = "IS"
        case null = "NULL"
        case `true` = "TRUE"
        case `false` = "FALSE"
    }

    let kind: Kind
    /// The 1-based column of the token's first character.
    let column: Int
    /// The token as written, for messages.
    let text: String
}

extension FilterToken {
    /// How a message names this token: `'>='`, `"todo"`, `AND`, `the end of the filter`.
    var quoted: String {
        switch kind {
        case .end: "the end of the filter"
        case .keyword(let keyword): keyword.rawValue
        case .string: text
        default: "'\(text)'"
        }
    }
}
