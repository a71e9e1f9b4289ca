extension MaxError {
    /// Context keys with a meaning every renderer knows.
    public enum ContextKey {
        /// The text an error points into (a filter expression), shown with a caret under ``column``.
        public static let expression = "expression"
        /// The 1-based column in ``expression`` the error is about.
        public static let column = "column"
    }

    /// The expression and a caret under the column the error is about, when the error has both.
    ///
    /// ```
    ///   status = "todo" AND priority >=
    ///                                   ^
    /// ```
    public var excerpt: String? {
        guard let expression = context[ContextKey.expression],
            let column = context[ContextKey.column].flatMap(Int.init), column >= 1
        else { return nil }
        let singleLine = expression.replacingNewlines()
        return "  \(singleLine)\n  \(String(repeating: " ", count: column - 1))^"
    }
}

extension String {
    fileprivate func replacingNewlines() -> String {
        String(map { $0.isNewline ? " " : $0 })
    }
}
