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
    /// A filter is bounded before it is parsed and while it is, so a hostile or generated one
    /// fails with a clear error instead of exhausting the stack or SQLite's limits: at most
    /// ``maximumLength`` characters, ``maximumDepth`` levels of parentheses and `NOT`,
    /// ``maximumConditions`` conditions and ``maximumValues`` values in `IN` lists.
    ///
    /// - Throws: `search.invalid_filter` with the 1-based column of the problem in its context;
    ///   `search.filter_too_large` when a limit is exceeded.
    public init(parsing expression: String) throws {
        let length = expression.count
        guard length <= Self.maximumLength else {
            throw MaxError(
                .filterTooLarge,
                "the filter is \(length) characters long; the limit is \(Self.maximumLength)",
                hint: "shorten it, or split the search into several",
                context: ["limit": "length", "maximum": String(Self.maximumLength)])
        }
        var parser = FilterParser(expression: expression, tokens: try FilterLexer.tokenize(expression))
        self = try parser.parse()
    }

    /// The longest filter expression accepted, in characters.
    public static let maximumLength = 65_536
    /// The deepest nesting of parentheses and `NOT` accepted.
    public static let maximumDepth = 32
    /// The most conditions (comparisons, `IN` and `IS` tests) one filter may hold.
    public static let maximumConditions = 256
    /// The most values all the `IN` lists of one filter may hold together.
    public static let maximumValues = 1_000
}

/// A recursive-descent parser over the lexer's tokens.
struct FilterParser {
    let expression: String
    let tokens: [FilterToken]
    private var position = 0
    private var depth = 0
    private var conditions = 0
    private var values = 0

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
            let not = advance()
            if current.kind == .end { throw fail("expected a condition after NOT", at: current) }
            try enterNesting(at: not)
            defer { depth -= 1 }
            return .not(try parseFactor())
        case .openParen:
            let open = advance()
            if current.kind == .closeParen { throw fail("expected a condition inside '()'", at: current) }
            try enterNesting(at: open)
            defer { depth -= 1 }
            let inner = try parseExpression()
            guard current.kind == .closeParen else {
                if current.kind == .end {
                    throw fail("this '(' is never closed", at: open, hint: "add the missing ')'")
                }
                throw fail("expected ')' or AND/OR, found \(current.quoted)", at: current)
            }
            _ = advance()
            return inner
        default:
            return try parseComparison()
        }
    }

    /// Counts one more level of `(` or `NOT`, refusing to go past ``Filter/maximumDepth``.
    private mutating func enterNesting(at token: FilterToken) throws {
        depth += 1
        guard depth <= Filter.maximumDepth else {
            throw tooLarge(
                "the filter nests parentheses and NOT more than \(Filter.maximumDepth) levels deep", at: token,
                limit: "depth", maximum: Filter.maximumDepth,
                hint: "flatten it: a AND b AND c needs no parentheses, and NOT (a OR b) is NOT a AND NOT b")
        }
    }

    private func tooLarge(_ message: String, at token: FilterToken, limit: String, maximum: Int, hint: String)
        -> MaxError
    {
        var error = MaxError.invalidFilter(message, expression: expression, column: token.column, hint: hint)
        error.code = .filterTooLarge
        error.context["limit"] = limit
        error.context["maximum"] = String(maximum)
        return error
    }

    private mutating func parseComparison() throws -> Filter {
        conditions += 1
        guard conditions <= Filter.maximumConditions else {
            throw tooLarge(
                "the filter has more than \(Filter.maximumConditions) conditions", at: current, limit: "conditions",
                maximum: Filter.maximumConditions,
                hint: "match many values of one field with IN (…), or split the search into several")
        }
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
            return .oneOf(field, try parseValueList())
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

    private mutating func parseValueList() throws -> [FilterValue] {
        guard current.kind == .openParen else {
            throw fail("expected '(' after IN", at: current, hint: #"write IN ("a", "b")"#)
        }
        let open = advance()
        if current.kind == .closeParen { throw fail("IN needs at least one value", at: current) }
        var list = [try parseListValue(after: open)]
        while current.kind == .comma {
            let comma = advance()
            list.append(try parseListValue(after: comma))
        }
        guard current.kind == .closeParen else {
            if current.kind == .end {
                throw fail("the list after IN is never closed", at: open, hint: "add the missing ')'")
            }
            throw fail("expected ',' or ')' in the IN list, found \(current.quoted)", at: current)
        }
        _ = advance()
        return list
    }

    private mutating func parseListValue(after token: FilterToken) throws -> FilterValue {
        values += 1
        guard values <= Filter.maximumValues else {
            throw tooLarge(
                "the IN lists of the filter hold more than \(Filter.maximumValues) values", at: current,
                limit: "values", maximum: Filter.maximumValues, hint: "split the search into several")
        }
        return try parseValue(after: token)
    }
}
