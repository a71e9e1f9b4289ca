import MaxCore

/// What a persisted sync task asks for: stored as the task's JSON payload, so a resumed run can
/// pick it up.
struct SyncTaskPayload: Codable, Sendable {
    /// The plan step the task belongs to.
    var step: Int
    /// The entities to load fields of (`load_fields`), or the collection's owner (`load_collection`).
    var ids: [String]
    /// The fields to load (`load_fields`).
    var fields: [String]?

    static let loadFields = "load_fields"
    static let loadCollection = "load_collection"
}
