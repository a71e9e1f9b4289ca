public import Foundation
public import MaxCore

/// A disconnected installation kept for the project's retention
/// (``ProjectRetention/deletedInstallations``), restorable with `max restore` until a purge
/// removes it.
///
/// It lives in `.max/deleted/<name>@<time>/`: this record (`deleted.json`), the installation's
/// folder without its credentials (`installation/`) and its logs (`logs/`). On a project that
/// stores in PostgreSQL its tables stay in the database, in a schema renamed to ``schema``.
public struct DeletedInstallation: Codable, Sendable, Hashable {
    /// The installation's name.
    public var name: String
    /// Its id.
    public var id: String
    /// Its connector, as `max.json` recorded it.
    public var connector: String
    /// Its entry in `max.json`, as it was (never a secret: `max.json` holds none).
    public var entry: JSONValue
    /// When it was deleted.
    public var deletedAt: Date
    /// When a purge may remove it.
    public var purgeAfter: Date
    /// Who deleted it (`cli:<user>`).
    public var deletedBy: String
    /// The PostgreSQL schema its tables were moved to, on a project that stores there.
    public var schema: String?
    /// Its folder's name under `.max/deleted/`.
    public var folder: String
}

/// What deleting an installation did.
public struct Deletion: Sendable {
    /// The installation as kept for its retention; `nil` when nothing was kept (purged at once)
    /// or its data stayed where it was (`--keep-data`).
    public var kept: DeletedInstallation?
    /// The kinds of its OAuth tokens revoked at the provider (empty when its connector declares
    /// no revocation endpoint).
    public var revoked: [String]
    /// The provider that revoked them, or refused to.
    public var provider: String?
    /// Why a token could not be revoked, if one could not: the installation is deleted either way.
    public var revocationError: MaxError?
}

/// What a purge removed (or, in a dry run, would remove).
public struct PurgeReport: Codable, Sendable {
    /// The deleted installations removed for good.
    public var installations: [DeletedInstallation]
    /// The audit events removed for good.
    public var auditEvents: Int
}

/// What `max disconnect` does with the installation's data.
public enum DeletionMode: Sendable {
    /// Keep it for the project's retention, restorable (the default).
    case retain
    /// Leave it where it is, to connect again under the same name.
    case keepData
    /// Remove it at once.
    case purge
}
