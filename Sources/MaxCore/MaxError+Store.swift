extension MaxError.Code {
    /// An entity input names a field its type does not declare (any store).
    public static let storageUnknownField = Self(domain: "storage", name: "unknown_field", category: .validationError)
    /// An entity input gives a field a value of the wrong type (any store).
    public static let storageTypeMismatch = Self(domain: "storage", name: "type_mismatch", category: .validationError)
}
