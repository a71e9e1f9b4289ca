public import MaxCore

extension MaxError.Code {
    /// A filter expression exceeds a limit: its length, nesting depth, number of conditions or of
    /// values (see ``Filter/maximumDepth`` and its neighbours).
    public static let filterTooLarge = Self(domain: "search", name: "filter_too_large", category: .validationError)
    /// A filter expression does not parse.
    public static let invalidFilter = Self(domain: "search", name: "invalid_filter", category: .validationError)
    /// A filter, ordering or selection names a field the entity type does not have.
    public static let unknownField = Self(domain: "search", name: "unknown_field", category: .validationError)
    /// A filter compares a field with a value of the wrong type, or uses an operator the field's
    /// type does not support.
    public static let typeMismatch = Self(domain: "search", name: "type_mismatch", category: .validationError)
    /// An `--order-by` specification does not parse or names a field that cannot be ordered by.
    public static let invalidOrder = Self(domain: "search", name: "invalid_order", category: .validationError)
    /// A `--fields` selection does not parse.
    public static let invalidSelection = Self(
        domain: "search", name: "invalid_fields", category: .validationError)
    /// A cursor is malformed, or was made for a different ordering.
    public static let invalidCursor = Self(domain: "search", name: "invalid_cursor", category: .validationError)
    /// A page size is out of range.
    public static let invalidLimit = Self(domain: "search", name: "invalid_limit", category: .validationError)
    /// A count's `--group-by` is not a list of field names.
    public static let invalidGroupBy = Self(domain: "search", name: "invalid_group_by", category: .validationError)
}

extension MaxError {
    /// A `search.invalid_filter` error pointing at `column` of `expression`.
    static func invalidFilter(_ message: String, expression: String, column: Int, hint: String? = nil) -> MaxError {
        MaxError(
            .invalidFilter,
            "\(message) at column \(column)",
            hint: hint,
            context: [ContextKey.expression: expression, ContextKey.column: String(column)]
        )
    }
}
