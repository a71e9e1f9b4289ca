public import MaxCore

/// How long a project keeps what was deleted: `max.json`'s `"retention"`.
///
/// ```json
/// "retention": {"deletedInstallations": "7d", "audit": "365d"}
/// ```
///
/// - `deletedInstallations`: how long a disconnected installation's data and logs are kept,
///   restorable with `max restore`, before a purge removes them (default 7 days; `"0s"` purges at
///   once). Its credentials are wiped at once, whatever this says.
/// - `audit`: how long audit events are kept before a purge removes them (default: kept).
///
/// Purges run with `max purge`, at each `max disconnect` and `max restore`, and hourly in
/// `max serve`.
public struct ProjectRetention: Sendable, Hashable {
    /// How long deleted installations are kept.
    public var deletedInstallations: Duration
    /// How long audit events are kept; `nil` for ever.
    public var audit: Duration?

    /// The default: deleted installations for 7 days, audit events for ever.
    public static let standard = ProjectRetention(deletedInstallations: .seconds(7 * 86_400), audit: nil)

    /// Retention periods.
    public init(deletedInstallations: Duration, audit: Duration?) {
        self.deletedInstallations = deletedInstallations
        self.audit = audit
    }

    /// The retention of `max.json`'s `"retention"` value (the default when absent).
    ///
    /// - Throws: `project.invalid_config` naming the key at fault.
    public init(json: JSONValue?, path: String = "max.json") throws {
        self = .standard
        guard let json else { return }
        func invalid(_ key: String, _ problem: String) -> MaxError {
            MaxError(
                .invalidProjectFile, "\(path): retention\(key.isEmpty ? "" : ".\(key)") \(problem)",
                hint:
                    #"write durations such as "7d", "12h" or "0s": "retention": {"deletedInstallations": "7d", "audit": "365d"}"#,
                context: ["key": "retention\(key.isEmpty ? "" : ".\(key)")"])
        }
        guard let object = json.objectValue else { throw invalid("", "must be an object") }
        for key in object.keys where !["deletedInstallations", "audit"].contains(key) {
            throw invalid(key, "is not a retention key (deletedInstallations, audit)")
        }
        func duration(_ key: String) throws -> Duration? {
            guard let value = object[key] else { return nil }
            guard let text = value.stringValue, let duration = SyncSchedule.duration(text) else {
                throw invalid(key, "must be a duration such as \"7d\", \"12h\" or \"0s\"")
            }
            return duration
        }
        if let kept = try duration("deletedInstallations") { deletedInstallations = kept }
        audit = try duration("audit")
    }
}
