public import MaxCore

extension MaxError.Code {
    /// `max connector certify` was given no URL of the source to put its proxy in front of.
    public static let certificationNoSource = Self(domain: "certify", name: "no_source", category: .validationError)
    /// A connector's certification did not pass (the report says which checks failed).
    public static let certificationFailed = Self(domain: "certify", name: "failed", category: .permanent)
}
