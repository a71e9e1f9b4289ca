import MaxCore
import MaxQuery
import Testing

struct FilterParserTests {
    @Test(arguments: [
        // Comparisons, one per operator.
        (#"status = "todo""#, Filter.compare("status", .equal, "todo")),
        (#"status != "todo""#, .compare("status", .notEqual, "todo")),
        ("priority > 3", .compare("priority", .greater, 3)),
        ("priority >= 3", .compare("priority", .greaterOrEqual, 3)),
        ("priority < 3", .compare("priority", .less, 3)),
        ("priority <= 3", .compare("priority", .lessOrEqual, 3)),
        (#"title ~= "100%_done""#, .compare("title", .contains, "100%_done")),
        // Values: quoting, escapes, numbers, Booleans.
        ("status = 'todo'", .compare("status", .equal, "todo")),
        (#"title = "say \"hi\"""#, .compare("title", .equal, #"say "hi""#)),
        (#"title = 'it\'s'"#, .compare("title", .equal, "it's")),
        (#"title = 'say "hi"'"#, .compare("title", .equal, #"say "hi""#)),
        (#"title = "a\\b""#, .compare("title", .equal, #"a\b"#)),
        (#"title = "tab\there\nline\r""#, .compare("title", .equal, "tab\there\nline\r")),
        (#"title = "caf\u00e9""#, .compare("title", .equal, "café")),
        (#"title = "naïve 日本""#, .compare("title", .equal, "naïve 日本")),
        (#"title = """#, .compare("title", .equal, "")),
        ("priority = -1", .compare("priority", .equal, -1)),
        ("estimate = 2.5", .compare("estimate", .equal, 2.5)),
        ("estimate = 1e3", .compare("estimate", .equal, 1000.0)),
        ("estimate = -2.5E-1", .compare("estimate", .equal, -0.25)),
        ("done = true", .compare("done", .equal, true)),
        ("done = FALSE", .compare("done", .equal, false)),
        // IN and IS.
        (#"status IN ("a", 'b')"#, .oneOf("status", ["a", "b"])),
        ("priority in (1,2, 3)", .oneOf("priority", [1, 2, 3])),
        ("assignee IS NULL", .isNull("assignee")),
        ("assignee is not null", .isNotNull("assignee")),
        // Precedence: NOT > AND > OR.
        (
            "a = 1 OR b = 2 AND c = 3",
            .or([.compare("a", .equal, 1), .and([.compare("b", .equal, 2), .compare("c", .equal, 3)])])
        ),
        (
            "a = 1 AND b = 2 OR c = 3",
            .or([.and([.compare("a", .equal, 1), .compare("b", .equal, 2)]), .compare("c", .equal, 3)])
        ),
        ("NOT a = 1 AND b = 2", .and([.not(.compare("a", .equal, 1)), .compare("b", .equal, 2)])),
        (
            "(a = 1 OR b = 2) AND c = 3",
            .and([.or([.compare("a", .equal, 1), .compare("b", .equal, 2)]), .compare("c", .equal, 3)])
        ),
        (
            "a = 1 AND b = 2 AND c = 3",
            .and([.compare("a", .equal, 1), .compare("b", .equal, 2), .compare("c", .equal, 3)])
        ),
        (
            "a = 1 or b = 2 Or c = 3",
            .or([.compare("a", .equal, 1), .compare("b", .equal, 2), .compare("c", .equal, 3)])
        ),
        ("NOT NOT a = 1", .not(.not(.compare("a", .equal, 1)))),
        ("NOT (a = 1 OR b = 2)", .not(.or([.compare("a", .equal, 1), .compare("b", .equal, 2)]))),
        ("((a = 1))", .compare("a", .equal, 1)),
        // Layout.
        (#"status="todo""#, .compare("status", .equal, "todo")),
        ("  \t_id   =   'x'  ", .compare("_id", .equal, "x")),
        ("due_date2 > 1", .compare("due_date2", .greater, 1)),
    ])
    func parses(_ expression: String, _ expected: Filter) throws {
        #expect(try Filter(parsing: expression) == expected)
    }

    @Test(arguments: [
        ("", 1, "the filter is empty"),
        ("   ", 4, "the filter is empty"),
        ("status = ", 10, "expected a value after '='"),
        (#"status = "todo" AND priority >="#, 32, "expected a value after '>='"),
        (#"status == "x""#, 8, "'==' is not an operator"),
        (#"status <> "x""#, 8, "'<>' is not an operator"),
        (#"status ! "x""#, 8, "unexpected character '!'"),
        (#"title ~ "x""#, 7, "unexpected character '~'"),
        (#"status = "todo"#, 10, "the string that starts here is not closed"),
        ("status = 'todo", 10, "the string that starts here is not closed"),
        (#"title = "bad \q""#, 14, #"unknown escape '\q'"#),
        (#"title = "\u12""#, 10, "'\\u' must be followed by four hex digits"),
        (#"title = "end\"#, 13, "the filter ends in the middle of an escape"),
        ("status = todo", 10, "found the bare word todo"),
        ("status = NULL", 10, "NULL is not a value"),
        (#"= "x""#, 1, "expected a field name, found '='"),
        (#""x" = status"#, 1, "expected a field name, found the value \"x\""),
        ("AND = 1", 1, "expected a field name, found the keyword AND"),
        (#"status "todo""#, 8, "expected an operator"),
        ("status", 7, "expected an operator"),
        (#"status IN "a""#, 11, "expected '(' after IN"),
        ("status IN ()", 12, "IN needs at least one value"),
        (#"status IN ("a" "b")"#, 16, "expected ',' or ')' in the IN list"),
        (#"status IN ("a""#, 11, "the list after IN is never closed at column 11"),
        (#"status IN ("a",)"#, 16, "expected a value after ','"),
        (#"status IS "x""#, 11, "expected NULL after IS"),
        ("status IS NOT 3", 15, "expected NULL after IS NOT"),
        (#"(status = "a""#, 1, "this '(' is never closed at column 1"),
        (#"status = "a" AND ((priority = 1)"#, 18, "this '(' is never closed at column 18"),
        (#"(status = "a" "b")"#, 15, "expected ')' or AND/OR"),
        (#"status = "a")"#, 13, "unexpected ')' with no '(' to close"),
        (#"status = "a" status = "b""#, 14, "expected AND, OR or the end of the filter"),
        ("NOT", 4, "expected a condition after NOT"),
        ("()", 2, "expected a condition inside '()'"),
        (#"status = "a" AND"#, 17, "expected a condition"),
        (#"status = "a" OR"#, 16, "expected a condition"),
        ("priority = 12abc", 12, "'12a…' is not a number"),
        ("priority = -", 12, "expected a digit after '-'"),
        ("priority = 1.2.3", 12, "'1.2.3' is not a number"),
        (#"status = "x" # note"#, 14, "unexpected character '#'"),
        (#"status NOT IN ("a")"#, 8, "'NOT IN' is written NOT (status IN (…))"),
        ("priority > ,", 12, "expected a value after '>'"),
    ])
    func reportsErrorsWithTheirColumn(_ expression: String, _ column: Int, _ message: String) throws {
        let error = try #require(throws: MaxError.self) { try Filter(parsing: expression) }
        #expect(error.code == .invalidFilter)
        #expect(error.category == .validationError)
        #expect(error.message.contains(message), "\(error.message)")
        #expect(error.message.hasSuffix("at column \(column)"), "\(error.message)")
        #expect(error.context[MaxError.ContextKey.column] == String(column))
        #expect(error.context[MaxError.ContextKey.expression] == expression)
        let caretLine = try #require(error.excerpt?.split(separator: "\n", omittingEmptySubsequences: false).last)
        #expect(caretLine == Substring(String(repeating: " ", count: column + 1) + "^"))
    }

    @Test func errorsCarryHintsForCommonMistakes() throws {
        let bareWord = try #require(throws: MaxError.self) { try Filter(parsing: "status = todo") }
        #expect(bareWord.hint == #"quote text values: "todo""#)
        let doubleEquals = try #require(throws: MaxError.self) { try Filter(parsing: "a == 1") }
        #expect(doubleEquals.hint == "use '=' to compare for equality")
        let null = try #require(throws: MaxError.self) { try Filter(parsing: "a = null") }
        #expect(null.hint == "test for a missing value with IS NULL or IS NOT NULL")
    }

    @Test func theSpecExampleRendersWithACaret() throws {
        let expression = #"status = "todo" AND priority >= "#
        let error = try #require(throws: MaxError.self) { try Filter(parsing: expression) }
        #expect(error.description.hasPrefix("search.invalid_filter: expected a value after '>=' at column 33"))
        #expect(error.excerpt == "  \(expression)\n  \(String(repeating: " ", count: 32))^")
    }

    @Test func valuesPrintAsTheLanguageWritesThem() {
        #expect(FilterValue.string(#"a "b" \c"#).description == #""a \"b\" \\c""#)
        #expect(FilterValue.integer(3).description == "3")
        #expect(FilterValue.bool(true).description == "true")
    }
}
