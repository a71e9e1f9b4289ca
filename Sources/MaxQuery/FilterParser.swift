import MaxCore

extension Filter {
    /// Parses a filter expression.
    ///
    /// The grammar (keywords are case-insensitive; AND binds tighter than OR, NOT tighter than AND):
    ///
    /// ```
    /// expr       := term (OR term)*
    /// term       := factor (AND factor)*
    /// factor     := NOT factor | '(' expr ')' | comparison
    /// comparison := field op value | field IN '(' value (',' value)* ')' | field IS [NOT] NULL
    /// op         := '=' | '!=' | '>' | '>=' | '<' | '<=' | '~='
    /// value      := "double quoted" | 'single quoted' | number | true | false
    /// ```
    ///
    /// - Throws: `search.invalid_filter` with the 1-based column of the problem in its context.
    public init(parsing expression: String) throws {
        var parser = FilterParser(expression: expression, tokens: try FilterLexer.tokenize(expression))
        self = try parser.parse()
    }
}

/// A recursive-descent parser over the lexer's tokens.
struct FilterParser {
    let expression: String
    let tokens: [FilterToken]
    private var position = 0

    init(expression: String, tokens: [FilterToken]) {
        self.expression = expression
        self.tokens = tokens
    }

    private var current: FilterToken { tokens[position] }

    private mutating func advance() -> FilterToken {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private func fail(_ message: String, at token: FilterToken, hint: String? = nil) -> MaxError {
        .invalidFilter(message, expression: expression, column: token.column, hint: hint)
    }

    mutating func parse() throws -> Filter {
        if current.kind == .end {
            throw fail("the filter is empty", at: current, hint: #"write a condition such as status = "todo""#)
        }
        let filter = try parseExpression()
        switch current.kind {
        case .end:
            return filter
        case .closeParen:
            throw fail("unexpected ')' with no '(' to close", at: current)
        default:
            throw fail(
                "unexpected \(current.quoted); expected AND, OR or the end of the filter", at: current,
                hint: "quote text values, and join conditions with AND or OR")
        }
    }

    private mutating func parseExpression() throws -> Filter {
        var operands = [try parseTerm()]
        while current.kind == .keyword(.or) {
            _ = advance()
            operands.append(try parseTerm())
        }
        return operands.count == 1 ? operands[0] : .or(operands)
    }

    private mutating func parseTerm() throws -> Filter {
        var operands = [try parseFactor()]
        while current.kind == .keyword(.and) {
            _ = advance()
            operands.append(try parseFactor())
        }
        return operands.count == 1 ? operands[0] : .and(operands)
    }

    private mutating func parseFactor() throws -> Filter {
        switch current.kind {
        case .keyword(.not):
            _ = advance()
            if current.kind == .end { throw fail("expected a condition after NOT", at: current) }
            return .not(try parseFactor())
        case .openParen:
            let open = advance()
            if current.kind == .closeParen { throw fail("expected a condition inside '()'", at: current) }
            let inner = try parseExpression()
            guard current.kind == .closeParen else {
                if current.kind == .end {
                    throw fail("expected ')' to close the '(' at column \(open.column)", at: current)
                }
                throw fail("expected ')' or AND/OR, found \(current.quoted)", at: current)
            }
            _ = advance()
            return inner
        default:
            return try parseComparison()
        }
    }

    private mutating func parseComparison() throws -> Filter {
        let fieldToken = advance()
        let field: FieldName
        switch fieldToken.kind {
        case .identifier(let name):
            field = FieldName(name, column: fieldToken.column)
        case .end:
            throw fail("expected a condition", at: fieldToken)
        case .keyword(let keyword):
            throw fail("expected a field name, found the keyword \(keyword.rawValue)", at: fieldToken)
        case .string, .integer, .double:
            throw fail(
                "expected a field name, found the value \(fieldToken.text)", at: fieldToken,
                hint: #"a condition starts with the field: status = "todo""#)
        default:
            throw fail("expected a field name, found \(fieldToken.quoted)", at: fieldToken)
        }

        let opToken = advance()
        switch opToken.kind {
        case .comparison(let op):
            return .compare(field, op, try parseValue(after: opToken))
        case .keyword(.in):
            return .oneOf(field, try parseValueList(after: opToken))
        case .keyword(.is):
            var negated = false
            if current.kind == .keyword(.not) {
                _ = advance()
                negated = true
            }
            guard current.kind == .keyword(.null) else {
                throw fail("expected NULL after IS\(negated ? " NOT" : "")", at: current)
            }
            _ = advance()
            return negated ? .isNotNull(field) : .isNull(field)
        case .keyword(.not) where current.kind == .keyword(.in):
            throw fail("'NOT IN' is written NOT (\(field.name) IN (…))", at: opToken)
        default:
            throw fail(
                "expected an operator (=, !=, >, >=, <, <=, ~=, IN, IS) after '\(field.name)', found \(opToken.quoted)",
                at: opToken)
        }
    }

    private mutating func parseValue(after opToken: FilterToken) throws -> FilterValue {
        let token = advance()
        switch token.kind {
        case .string(let value): return .string(value)
        case .integer(let value): return .integer(value)
        case .double(let value): return .double(value)
        case .keyword(.true): return .bool(true)
        case .keyword(.false): return .bool(false)
        case .keyword(.null):
            throw fail(
                "NULL is not a value", at: token,
                hint: "test for a missing value with IS NULL or IS NOT NULL")
        case .identifier(let word):
            throw fail(
                "expected a value after '\(opToken.text)', found the bare word \(word)", at: token,
                hint: "quote text values: \"\(word)\"")
        default:
            throw fail("expected a value after '\(opToken.text)'", at: token)
        }
    }

    private mutating func parseValueList(after inToken: FilterToken) throws -> [FilterValue] {
        guard current.kind == .openParen else {
            throw fail("expected '(' after IN", at: current, hint: #"write IN ("a", "b")"#)
        }
        let open = advance()
        if current.kind == .closeParen { throw fail("IN needs at least one value", at: current) }
        var values = [try parseValue(after: open)]
        while current.kind == .comma {
            let comma = advance()
            values.append(try parseValue(after: comma))
        }
        guard current.kind == .closeParen else {
            if current.kind == .end {
                throw fail("expected ')' to close the list after IN at column \(inToken.column)", at: current)
            }
            throw fail("expected ',' or ')' in the IN list, found \(current.quoted)", at: current)
        }
        _ = advance()
        return values
    }
}
