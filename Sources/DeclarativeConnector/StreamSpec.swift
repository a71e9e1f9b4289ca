/// A stream: a request whose pages of records become entities of one type.
public struct StreamSpec: Codable, Sendable, Hashable {
    /// The stream's name, used by `parent` and in messages.
    public var name: String
    /// The entity type its records become.
    public var entity: String
    /// What one of its entities is.
    public var summary: String?
    /// The stream whose every record this one is read for (issues per repository); the root when absent.
    public var parent: String?
    /// The collection field on the parent's entity (or the root) that holds this stream's entities;
    /// the stream's name when absent.
    public var field: String?
    /// The request, whose templates read `{{parent.id}}`, `{{page.…}}` and `{{since}}`.
    ///
    /// A stream without one only holds what other streams `emits`.
    public var request: RequestSpec?
    /// Where the records are in each response (a path such as `data.issues.nodes`); empty or absent
    /// for the whole response (an array, or one object).
    public var records: String?
    /// How pages follow one another.
    public var pagination: PaginationSpec?
    /// The record's id: a path, or a template over `record` and `parent` (`{{parent.full_name}}#{{record.number}}`).
    public var id: String?
    /// The fields, by name.
    public var fields: [String: FieldSpec]
    /// Indexes over several fields, such as `[["status", "updatedAt"]]`.
    public var indexes: [[String]]?
    /// Records to skip (a pull request in GitHub's issues listing).
    public var skip: [RecordCondition]?
    /// Records to keep when a config list is given (only the repositories named).
    public var only: [RecordFilter]?
    /// Objects inside each record that are entities of another stream too (an issue's author).
    public var emits: [EmitSpec]?
    /// How incremental syncs read only what changed.
    public var incremental: IncrementalSpec?
    /// How incremental syncs find what was deleted: `reconcile` re-reads the whole stream and deletes
    /// what it no longer lists (the default for a stream without `incremental`), `tombstone` deletes a
    /// record whose `deletedField` is set, `none` leaves deletions to the next full sync.
    public var deletions: String?
    /// For `deletions: tombstone`: the field whose non-null value means the record was deleted or archived.
    public var deletedField: String?
    /// The request that reads one record by `{{id}}` (for a change log's events).
    public var get: RequestSpec?
    /// The field of a record that refs its parent, for a change log's records (`project`).
    public var parentField: String?
    /// Records per page asked for (`{{page.size}}`); 100 when absent.
    public var pageSize: Int?

    /// The collection field on the parent.
    public var collectionField: String { field ?? name }
}

/// How one field of an entity is read from a record.
public struct FieldSpec: Codable, Sendable, Hashable {
    /// `string`, `int`, `double`, `bool`, `date`, `json`, `ref` or `refs`.
    public var type: String
    /// Where the value is in the record (a path); the field's name when absent.
    public var path: String?
    /// A template over `record` and `parent` instead of a path.
    public var template: String?
    /// For `ref` and `refs`: the entity type referred to.
    public var to: String?
    /// For `refs`: the path of the id inside each element of the array (`id`); the element itself when absent.
    public var item: String?
    /// Whether to index it.
    public var indexed: Bool?
    /// What it holds.
    public var summary: String?
}

/// A condition on a record.
public struct RecordCondition: Codable, Sendable, Hashable {
    /// The path in the record.
    public var path: String
    /// Holds when the value is present and not null.
    public var present: Bool?
    /// Holds when the value, as text, equals this.
    public var equals: String?
}

/// Keeps only records whose value at `path` is in a config list, when the list is not empty.
public struct RecordFilter: Codable, Sendable, Hashable {
    /// The path in the record.
    public var path: String
    /// The config key holding the list (or one value).
    public var config: String
}

/// An object inside each record that is an entity of another stream.
public struct EmitSpec: Codable, Sendable, Hashable {
    /// The path of the object (or array of objects) in the record.
    public var path: String
    /// The stream whose fields and id read it.
    public var stream: String
}

/// How incremental syncs read only what changed in a stream.
public struct IncrementalSpec: Codable, Sendable, Hashable {
    /// The path of the record's last-change time (`updated_at`).
    public var cursorField: String
    /// `ascending` (the default: the request filters by `{{since}}`) or `descending` (the listing is
    /// newest first and has no filter; reading stops at the first record older than the position).
    public var order: String?
    /// Seconds subtracted from the position, for clocks that differ and writes in flight.
    public var lookback: Int?
}

/// How pages follow one another.
public struct PaginationSpec: Codable, Sendable, Hashable {
    /// `none`, `link` (RFC 8288 `Link: <…>; rel="next"`), `nextURL` (a URL in the body), `cursor` (a
    /// token in the body, sent back as a parameter or GraphQL variable), `keyset` (the last record's
    /// key, at `path`, sent back as `param`), `offset` or `page`.
    public var type: String
    /// For `nextURL` and `cursor`: the path of the URL or token in the body.
    public var path: String?
    /// For `cursor`: the path of a Boolean that says whether more pages follow (GraphQL
    /// `pageInfo.hasNextPage`); without it, more follow while the token is present.
    public var hasMorePath: String?
    /// For `cursor`, `offset` and `page`: the query parameter (or GraphQL variable, with `variable: true`) carrying the position.
    public var param: String?
    /// Whether `param` is a GraphQL variable rather than a query parameter.
    public var variable: Bool?
    /// For `page`: the first page's number (1 when absent).
    public var startAt: Int?
    /// The most pages read from one request; a stream that goes on fails instead of looping.
    public var maxPages: Int?
}
