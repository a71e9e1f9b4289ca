extension MaxError: Codable {
    private enum CodingKeys: String, CodingKey {
        case code, category, message, hint, context, cause
    }

    /// Decodes an error as another Max node encoded it, with the same code and context.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let dotted = try container.decode(String.self, forKey: .code)
        let category = try container.decodeIfPresent(Category.self, forKey: .category) ?? .internal
        let parts = dotted.split(separator: ".", maxSplits: 1)
        let code = Code(
            domain: parts.count == 2 ? String(parts[0]) : "remote",
            name: String(parts.last ?? "unknown"),
            category: category
        )
        self.init(
            code,
            try container.decode(String.self, forKey: .message),
            hint: try container.decodeIfPresent(String.self, forKey: .hint),
            context: try container.decodeIfPresent([String: String].self, forKey: .context) ?? [:],
            cause: try container.decodeIfPresent(MaxError.self, forKey: .cause)
        )
    }

    /// Encodes the code, category, message, hint, context and cause chain.
    ///
    /// A cause that is not a `MaxError` is encoded as an internal error carrying its description.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code.description, forKey: .code)
        try container.encode(code.category, forKey: .category)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(hint, forKey: .hint)
        if !context.isEmpty { try container.encode(context, forKey: .context) }
        if let cause {
            let nested = cause as? MaxError ?? MaxError(.internalError, String(describing: cause))
            try container.encode(nested, forKey: .cause)
        }
    }
}
