/// An event log: incremental syncs read the events after the last position and apply them.
public struct ChangeLogSpec: Codable, Sendable, Hashable {
    /// The request for the events after `{{position}}`.
    public var request: RequestSpec
    /// The request that returns the log's current end (for a full sync's starting position).
    public var head: RequestSpec
    /// The path of the current end in the head's answer.
    public var headPath: String
    /// Where the events are in each answer.
    public var records: String
    /// The path of the position after the page, in each answer; `null` on the last page.
    public var nextPath: String
    /// The path of an event's own position, used when `nextPath` is null.
    public var positionPath: String
    /// The path of an event's entity kind.
    public var typePath: String
    /// The entity kind of each stream that the log reports: kind to stream name.
    public var types: [String: String]
    /// The path of an event's entity id.
    public var idPath: String
    /// The path of an event's action.
    public var actionPath: String
    /// Actions that mean the entity was deleted.
    public var deleteActions: [String]
}
