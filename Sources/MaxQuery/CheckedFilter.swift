public import MaxCore

/// A filter checked against an entity type: every field resolved, every value converted to the field's type.
///
/// This is what storage compiles to SQL.
public indirect enum CheckedFilter: Sendable, Hashable {
    /// Every operand holds.
    case and([CheckedFilter])
    /// At least one operand holds.
    case or([CheckedFilter])
    /// The operand does not hold.
    case not(CheckedFilter)
    /// `field op value`; for a collection, `=` means "has the member" and `!=` "lacks the member".
    case compare(Field, ComparisonOperator, FieldValue)
    /// The field equals one of the values; for a collection, has one of them as a member.
    case oneOf(Field, [FieldValue])
    /// The field is null; for a collection, it has no members.
    case isNull(Field)
    /// The field is not null; for a collection, it has members.
    case isNotNull(Field)
    /// The hop's field leads to an entity (its ref's target, or one of its collection's members),
    /// not deleted, for which the operand holds: `assignee.role = "admin"`.
    case follow(Hop, CheckedFilter)
}

extension EntityDef {
    /// The declared or meta field named `name` (`_id`, `_synced_at`, `_deleted_at`), if any.
    public func queryableField(named name: String) -> Field? {
        if let meta = MetaField(rawValue: name) { return meta.field }
        return field(named: name)
    }

    /// The names a filter or selection may use, for "valid fields are …" hints.
    public var queryableFieldNames: [String] {
        [MetaField.id.rawValue] + fields.map(\.name) + [MetaField.syncedAt.rawValue, MetaField.deletedAt.rawValue]
    }
}

extension Filter {
    /// Resolves the filter's fields against `entity` and converts its values to their types.
    ///
    /// A name with dots follows refs and collections through `schema` (`assignee.role`,
    /// `project.owner.email`, `members.email`): the condition holds when the hop leads to an
    /// entity, not deleted, for which the rest holds.
    ///
    /// - Parameters:
    ///   - entity: The entity type being searched.
    ///   - schema: The types refs lead to; without one, no name may have dots.
    ///   - expression: The text the filter was parsed from, so errors can point into it.
    /// - Returns: The filter with resolved fields and typed values.
    /// - Throws: `search.unknown_field` (listing the valid fields, and naming the hop that is
    ///   wrong) or `search.type_mismatch` (saying what the field takes, or that it cannot be followed).
    public func checked(against entity: EntityDef, in schema: Schema? = nil, expression: String? = nil) throws
        -> CheckedFilter
    {
        let checker = FilterChecker(entity: entity, schema: schema, expression: expression)
        return try checker.check(self)
    }
}

private struct FilterChecker {
    let entity: EntityDef
    let schema: Schema?
    let expression: String?

    func check(_ filter: Filter) throws -> CheckedFilter {
        switch filter {
        case .and(let operands): return .and(try operands.map(check))
        case .or(let operands): return .or(try operands.map(check))
        case .not(let operand): return .not(try check(operand))
        case .isNull(let name):
            let (field, path) = try resolve(name)
            return following(path, .isNull(path?.leaf ?? field))
        case .isNotNull(let name):
            let (field, path) = try resolve(name)
            return following(path, .isNotNull(path?.leaf ?? field))
        case .compare(let name, let op, let value):
            let (resolved, path) = try resolve(name)
            let field = path?.leaf ?? resolved
            try checkOperator(op, on: field, at: name)
            return following(path, .compare(field, op, try convert(value, for: field, op: op, at: name)))
        case .oneOf(let name, let values):
            let (resolved, path) = try resolve(name)
            let field = path?.leaf ?? resolved
            try checkOperator(.equal, on: field, at: name, written: "IN")
            return following(
                path, .oneOf(field, try values.map { try convert($0, for: field, op: .equal, at: name) }))
        }
    }

    /// `condition` on the leaf, reached through the path's hops.
    private func following(_ path: FieldPath?, _ condition: CheckedFilter) -> CheckedFilter {
        (path?.hops ?? []).reversed().reduce(condition) { inner, hop in .follow(hop, inner) }
    }

    private func error(
        _ code: MaxError.Code, _ message: String, at name: FieldName, column: Int? = nil, hint: String?
    ) -> MaxError {
        let column = column ?? name.column
        var context = ["entityType": entity.name, "field": name.name]
        if let expression, column > 0 {
            context[MaxError.ContextKey.expression] = expression
            context[MaxError.ContextKey.column] = String(column)
        }
        let position = expression != nil && column > 0 ? " at column \(column)" : ""
        return MaxError(code, message + position, hint: hint, context: context)
    }

    private func resolve(_ name: FieldName) throws -> (Field, FieldPath?) {
        try PathResolver(entity: entity, schema: schema).resolve(name.name, column: name.column) {
            code, message, hint, column in
            error(code, message, at: name, column: column, hint: hint)
        }
    }

    private func checkOperator(
        _ op: ComparisonOperator, on field: Field, at name: FieldName, written: String? = nil
    ) throws {
        let allowed: Bool
        switch field.type {
        case .string, .ref: allowed = true
        case .int, .double, .date: allowed = op != .contains
        case .bool: allowed = op == .equal || op == .notEqual
        case .json: allowed = op == .contains
        case .collection: allowed = op == .equal || op == .notEqual
        }
        guard !allowed else { return }
        let supported: String
        switch field.type {
        case .int, .double, .date: supported = "=, !=, >, >=, <, <=, IN and IS NULL"
        case .bool: supported = "=, != and IS NULL"
        case .json: supported = "~= and IS NULL"
        case .collection: supported = "= (has member), != (lacks member), IN and IS NULL (empty)"
        case .string, .ref: supported = "every operator"
        }
        let opText = written ?? "'\(op.rawValue)'"
        throw error(
            .typeMismatch, "\(opText) cannot be used on '\(field.name)', a \(field.type.displayName) field", at: name,
            hint: "\(field.type.displayName) fields support \(supported)")
    }

    private func convert(_ value: FilterValue, for field: Field, op: ComparisonOperator, at name: FieldName)
        throws -> FieldValue
    {
        func mismatch(_ expected: String, example: String) -> MaxError {
            error(
                .typeMismatch,
                "'\(field.name)' is a \(field.type.displayName) field and cannot be compared with \(value.kindPhrase) (\(value))",
                at: name, hint: "compare it with \(expected), for example \(field.name) \(op.rawValue) \(example)")
        }
        if op == .contains {
            guard case .string(let text) = value else { throw mismatch("a quoted string", example: "\"text\"") }
            return .string(text)
        }
        switch (field.type, value) {
        case (.string, .string(let text)): return .string(text)
        case (.string, _): throw mismatch("a quoted string", example: "\"\(value)\"")
        case (.int, .integer(let number)): return .int(number)
        case (.int, .double(let number)), (.double, .double(let number)): return .double(number)
        case (.double, .integer(let number)): return .double(Double(number))
        case (.int, _), (.double, _): throw mismatch("an unquoted number", example: "3")
        case (.bool, .bool(let flag)): return .bool(flag)
        case (.bool, _): throw mismatch("true or false", example: "true")
        case (.date, .string(let text)):
            guard let date = ISO8601.parse(text) else {
                throw mismatch("an ISO-8601 date in quotes", example: "\"2026-01-31\" or \"2026-01-31T09:00:00Z\"")
            }
            return .date(date)
        case (.date, _): throw mismatch("an ISO-8601 date in quotes", example: "\"2026-01-31\"")
        case (.ref(let target), .string(let id)), (.collection(let target), .string(let id)):
            return .ref(Ref(target, id))
        case (.ref, _), (.collection, _): throw mismatch("the target's id in quotes", example: "\"id\"")
        case (.json, _): throw mismatch("~= and a quoted string", example: "\"text\"")
        }
    }
}
