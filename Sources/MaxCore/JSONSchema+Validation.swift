extension JSONSchema {
    /// Validates `instance` against `schema` (already checked), appending what is wrong.
    static func validate(
        _ instance: JSONValue, against schema: JSONValue, at path: String, into violations: inout [Violation],
        limit: Int
    ) {
        func fail(_ message: String, at where: String? = nil) {
            if violations.count < limit { violations.append(Violation(path: `where` ?? path, message: message)) }
        }
        if case .bool(let allowed) = schema {
            if !allowed { fail("is not allowed") }
            return
        }
        guard let keywords = schema.objectValue, violations.count < limit else { return }

        if let type = keywords["type"] {
            let names = type.stringValue.map { [$0] } ?? type.arrayValue?.compactMap(\.stringValue) ?? []
            guard names.contains(where: { matches(instance, type: $0) }) else {
                fail("expected " + names.map(article).joined(separator: " or ") + ", not \(describe(instance))")
                return  // the other keywords would only repeat it
            }
        }
        if let allowed = keywords["enum"]?.arrayValue, !allowed.contains(where: { equal($0, instance) }) {
            fail("must be one of " + allowed.map(\.jsonText).joined(separator: ", "))
        }
        if let constant = keywords["const"], !equal(constant, instance) {
            fail("must be \(constant.jsonText)")
        }
        if let number = instance.doubleValue, instance.boolValue == nil {
            checkBounds(number, keywords, fail)
        }
        if let text = instance.stringValue {
            checkString(text, keywords, fail)
        }
        if let items = instance.arrayValue {
            if let minimum = keywords["minItems"]?.intValue, items.count < minimum {
                fail("must have at least \(minimum) item\(minimum == 1 ? "" : "s")")
            }
            if let maximum = keywords["maxItems"]?.intValue, items.count > maximum {
                fail("must have at most \(maximum) item\(maximum == 1 ? "" : "s")")
            }
            if let itemSchema = keywords["items"] {
                for (index, item) in items.enumerated() {
                    validate(
                        item, against: itemSchema, at: pointer(path, String(index)), into: &violations, limit: limit)
                }
            }
        }
        if let members = instance.objectValue {
            for name in keywords["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
                fail("is required", at: pointer(path, name))
            }
            let properties = keywords["properties"]?.objectValue ?? [:]
            for name in members.keys.sorted() {
                let value = members[name] ?? .null
                if let property = properties[name] {
                    validate(value, against: property, at: pointer(path, name), into: &violations, limit: limit)
                } else if let additional = keywords["additionalProperties"] {
                    if case .bool(false) = additional {
                        fail("is not an allowed property", at: pointer(path, name))
                    } else {
                        validate(value, against: additional, at: pointer(path, name), into: &violations, limit: limit)
                    }
                }
            }
        }
        if let options = keywords["anyOf"]?.arrayValue {
            let matching = options.filter { validateQuietly(instance, $0) }
            if matching.isEmpty { fail("does not match any of the \(options.count) allowed shapes") }
        }
        if let options = keywords["oneOf"]?.arrayValue {
            let matching = options.filter { validateQuietly(instance, $0) }.count
            if matching == 0 {
                // One shape: say what is wrong with it, which is more useful than "matches none".
                if options.count == 1 {
                    validate(instance, against: options[0], at: path, into: &violations, limit: limit)
                } else {
                    fail("does not match any of the \(options.count) allowed shapes")
                }
            } else if matching > 1 {
                fail("matches \(matching) of the allowed shapes, where exactly one must match")
            }
        }
    }

    private static func validateQuietly(_ instance: JSONValue, _ schema: JSONValue) -> Bool {
        var violations: [Violation] = []
        validate(instance, against: schema, at: "", into: &violations, limit: 1)
        return violations.isEmpty
    }

    private static func checkBounds(
        _ number: Double, _ keywords: [String: JSONValue], _ fail: (String, String?) -> Void
    ) {
        func text(_ value: JSONValue) -> String { value.jsonText }
        if let bound = keywords["minimum"], let minimum = bound.doubleValue, number < minimum {
            fail("must be at least \(text(bound))", nil)
        }
        if let bound = keywords["maximum"], let maximum = bound.doubleValue, number > maximum {
            fail("must be at most \(text(bound))", nil)
        }
        if let bound = keywords["exclusiveMinimum"], let minimum = bound.doubleValue, number <= minimum {
            fail("must be greater than \(text(bound))", nil)
        }
        if let bound = keywords["exclusiveMaximum"], let maximum = bound.doubleValue, number >= maximum {
            fail("must be less than \(text(bound))", nil)
        }
    }

    private static func checkString(_ text: String, _ keywords: [String: JSONValue], _ fail: (String, String?) -> Void)
    {
        let length = text.unicodeScalars.count  // JSON Schema counts code points
        if let minimum = keywords["minLength"]?.intValue, length < minimum {
            fail("must be at least \(minimum) character\(minimum == 1 ? "" : "s") long", nil)
        }
        if let maximum = keywords["maxLength"]?.intValue, length > maximum {
            fail("must be at most \(maximum) character\(maximum == 1 ? "" : "s") long", nil)
        }
        if let pattern = keywords["pattern"]?.stringValue, let regex = try? Regex(pattern),
            (try? regex.firstMatch(in: text)) == nil
        {
            fail("must match the pattern \(pattern)", nil)
        }
        if let format = keywords["format"]?.stringValue, !JSONSchema.conforms(text, to: format) {
            fail("must be \(formatDescription(format))", nil)
        }
    }

    static func matches(_ instance: JSONValue, type: String) -> Bool {
        switch (type, instance) {
        case ("null", .null), ("boolean", .bool), ("object", .object), ("array", .array), ("string", .string),
            ("number", .int), ("number", .double), ("integer", .int):
            true
        case ("integer", .double(let value)): value.rounded() == value && value.isFinite
        default: false
        }
    }

    private static func article(_ type: String) -> String {
        switch type {
        case "null": "null"
        case "integer", "object", "array": "an \(type)"
        case "boolean": "a boolean"
        default: "a \(type)"
        }
    }

    private static func describe(_ instance: JSONValue) -> String {
        switch instance {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// Equality as JSON Schema means it: `1` and `1.0` are equal.
    static func equal(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.int, .double), (.double, .int), (.double, .double): lhs.doubleValue == rhs.doubleValue
        case (.array(let left), .array(let right)):
            left.count == right.count && zip(left, right).allSatisfy { equal($0, $1) }
        case (.object(let left), .object(let right)):
            left.count == right.count && left.allSatisfy { key, value in right[key].map { equal(value, $0) } ?? false }
        default: lhs == rhs
        }
    }
}
