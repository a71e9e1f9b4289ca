extension Schema {
    /// Checks that the schema can be stored and queried.
    ///
    /// A valid schema has a namespace of lowercase letters, digits, `-` and `_`; entity type names
    /// that are identifiers and unique; field names that are identifiers, unique within their type,
    /// and do not start with `_` (meta fields do); refs and collections that point at types in the
    /// schema; a collection's inverse that is a ref of its members back to its owner; roots that
    /// are among its entities; and composite indexes over row fields.
    ///
    /// - Throws: `schema.invalid`, naming every problem found.
    public func validate() throws {
        var problems: [String] = []
        if namespace.isEmpty
            || !namespace.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_") })
        {
            problems.append("namespace '\(namespace)' must be lowercase letters, digits, '-' or '_'")
        }
        var seenTypes: Set<EntityType> = []
        for def in entities {
            if !Self.isIdentifier(def.name) {
                problems.append(
                    "entity type '\(def.name)' is not an identifier (a letter, then letters, digits or '_')")
            }
            if def.name.lowercased().hasPrefix("_max") || def.name.lowercased().hasPrefix("sqlite_") {
                problems.append("entity type '\(def.name)' uses a reserved prefix")
            }
            if !seenTypes.insert(def.type).inserted {
                problems.append("entity type '\(def.name)' is declared twice")
            }
            problems += fieldProblems(in: def)
        }
        for root in roots where !seenTypes.contains(root) {
            problems.append("root '\(root)' is not an entity type of the schema")
        }
        guard problems.isEmpty else {
            throw MaxError(
                .invalidSchema,
                "the \(namespace) schema is invalid: " + problems.joined(separator: "; "),
                context: ["namespace": namespace]
            )
        }
    }

    private func fieldProblems(in def: EntityDef) -> [String] {
        var problems: [String] = []
        var seenFields: Set<String> = []
        for field in def.fields {
            let path = "\(def.name).\(field.name)"
            if !Self.isIdentifier(field.name) || field.name.hasPrefix("_") {
                problems.append("field '\(path)' must be an identifier that does not start with '_'")
            }
            if !seenFields.insert(field.name.lowercased()).inserted {
                problems.append("field '\(path)' is declared twice (names are case-insensitive)")
            }
            if let target = field.type.target, definition(of: target) == nil {
                problems.append("field '\(path)' points at '\(target)', which is not in the schema")
            }
            if let inverse = field.inverse {
                let back = field.type.target.flatMap { definition(of: $0)?.field(named: inverse) }
                if case .collection = field.type, case .ref(let owner)? = back?.type, owner == def.type {
                } else {
                    problems.append(
                        "collection '\(path)' names '\(inverse)' as its inverse, which is not a ref of its members to \(def.name)"
                    )
                }
            }
        }
        for index in def.indexes {
            if index.isEmpty { problems.append("an index of '\(def.name)' has no fields") }
            for name in index where def.field(named: name)?.type.isStoredInRow != true && name != MetaField.id.rawValue
            {
                problems.append("index of '\(def.name)' names '\(name)', which is not a field stored in its row")
            }
        }
        return problems
    }

    /// Whether `name` is a letter or `_`, then letters, digits or `_` (ASCII).
    public static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII,
            first.properties.isAlphabetic || first == "_"
        else { return false }
        return name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_")
        }
    }
}
