import Foundation
public import MaxCore
import MaxPostgresStore
import MaxQuery
import MaxStorage
import MaxStore
import MaxSync

/// What `max storage migrate` copied for one installation, and what it checked.
public struct MigrationReport: Sendable {
    /// One entity type's rows, in both stores.
    public struct TypeCount: Sendable {
        /// The type.
        public let type: String
        /// Live entities.
        public let live: Int
        /// Tombstones.
        public let deleted: Int
    }

    /// The installation.
    public let installation: String
    /// Each type's counts, equal in both stores.
    public let types: [TypeCount]
    /// How many records were read back from both stores and compared.
    public let sampled: Int
    /// Where it went: `host:port/database`, schema.
    public let target: String

    /// Every entity copied.
    public var total: Int { types.reduce(0) { $0 + $1.live + $1.deleted } }
}

extension MaxWorkspace {
    /// Copies installations' SQLite stores into the project's PostgreSQL database and checks the
    /// copy: every type's live and deleted counts equal, and a sample of records read back equal.
    ///
    /// `max.json` must already name the database (`storage.postgres`); the SQLite files stay
    /// where they are. What is copied: every entity (tombstones too) with its fields and
    /// collections, the change feed's position (so the next sync applies only the changes), and
    /// the last completed run (so `max ls` shows when the data was synced). Not copied: the other
    /// runs, and each row's own sync and deletion times (they become the copy's).
    ///
    /// - Parameters:
    ///   - names: The installations; every one with a SQLite store when empty.
    ///   - replace: Drop what the database holds for an installation first, instead of refusing.
    ///   - progress: Told of each installation as it starts.
    /// - Returns: One report per installation copied.
    /// - Throws: `storage.shared_storage_required` when `max.json` does not name a PostgreSQL
    ///   database; `storage.migrate_target_not_empty`; `storage.migrate_mismatch` when the copy
    ///   does not check out; the stores' errors.
    public func migrateToPostgres(
        _ names: [String] = [], replace: Bool = false, progress: @Sendable (String) -> Void = { _ in }
    ) async throws -> [MigrationReport] {
        guard let target = try storage().postgres else {
            throw MaxError(
                .sharedStorageRequired, "max.json does not say which PostgreSQL database to migrate to",
                hint:
                    #"add "storage": {"postgres": {"host": …, "database": …, "user": …, "password": "env:PGPASSWORD"}} to max.json, then run this again"#
            )
        }
        let file = try project.load()
        for name in names where file.installations[name] == nil { _ = try record(name) }
        var reports: [MigrationReport] = []
        for name in names.isEmpty ? file.installations.keys.sorted() : names {
            let url = try project.dataURL(name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                if !names.isEmpty {
                    throw MaxError(
                        .storeNotFound, "\(name) has no SQLite store to migrate: it has never been synced here",
                        hint: "max sync \(name) syncs it into PostgreSQL directly", context: ["installation": name])
                }
                continue
            }
            progress(name)
            reports.append(try await migrate(name, from: url, to: target, replace: replace))
        }
        return reports
    }

    private func migrate(_ name: String, from url: URL, to target: PostgresStorage, replace: Bool) async throws
        -> MigrationReport
    {
        let source = try EntityStore.openForReading(at: url)
        let settings = try target.settings(for: name, connections: 2)
        if replace { try await PostgresEntityStore.dropNamespace(settings) }
        let copy = try await PostgresEntityStore.open(settings, schema: source.schema)
        do {
            let report = try await migrate(name, source, into: copy, target: target)
            await copy.close()
            return report
        } catch {
            await copy.close()
            throw error
        }
    }

    private func migrate(_ name: String, _ source: EntityStore, into copy: PostgresEntityStore, target: PostgresStorage)
        async throws -> MigrationReport
    {
        let types = source.schema.entityTypes
        var held = try await copy.latestRun() != nil
        for type in types where !held { held = try await copy.count(try Query(type, includeDeleted: true)) > 0 }
        guard !held else {
            throw MaxError(
                .migrateTargetNotEmpty,
                "\(target.address) already holds data of \(name) (schema \(name)): migrating would mix two copies",
                hint: "max storage migrate --to postgres \(name) --replace drops it first",
                context: ["installation": name])
        }
        let now = Date()
        for type in types {
            var inputs: [EntityInput] = []
            var deleted: [Ref] = []
            func flush() async throws {
                try await copy.upsert(inputs, at: now)
                try await copy.markDeleted(deleted, at: now)
                inputs = []
                deleted = []
            }
            let all = try Query(type, selection: .all, includeDeleted: true)
            for try await record in source.pages(of: all, batchSize: 2000) {
                let values = record.values.filter { !$0.name.hasPrefix("_") }
                inputs.append(EntityInput(record.ref, values: values))
                if let tombstone = record["_deleted_at"], tombstone != .null { deleted.append(record.ref) }
                if inputs.count == 2000 { try await flush() }
            }
            try await flush()
        }
        if let position = try await source.checkpoint(SyncEngine.changesScope) {
            try await copy.setCheckpoint(SyncEngine.changesScope, position)
        }
        if let last = try await source.latestRun(withStatus: .completed) {
            let claim = TaskClaim(worker: Self.workerID("migrate"), lease: .seconds(60))
            _ = try await copy.beginRun(id: last.id, kind: last.kind, claim: claim, at: last.startedAt)
            _ = try await copy.finishRun(
                last.id, status: .completed, error: nil, entitiesWritten: last.entitiesWritten, claim: claim,
                at: last.finishedAt ?? last.startedAt)
        }
        return try await verify(name, source, copy, target: target)
    }

    /// Counts per type, and a sample of records of each read back from both.
    private func verify(_ name: String, _ source: EntityStore, _ copy: PostgresEntityStore, target: PostgresStorage)
        async throws -> MigrationReport
    {
        var counts: [MigrationReport.TypeCount] = []
        var sampled = 0
        func mismatch(_ what: String) -> MaxError {
            MaxError(
                .migrateMismatch, "the copy of \(name) in \(target.address) differs from its SQLite store: \(what)",
                hint: "the SQLite store is untouched; run max storage migrate --to postgres \(name) --replace again",
                context: ["installation": name])
        }
        for type in source.schema.entityTypes {
            let live = try await source.count(try Query(type))
            let all = try await source.count(try Query(type, includeDeleted: true))
            let copiedLive = try await copy.count(try Query(type))
            let copiedAll = try await copy.count(try Query(type, includeDeleted: true))
            guard live == copiedLive, all == copiedAll else {
                throw mismatch(
                    "\(type): \(live) live and \(all - live) deleted, but \(copiedLive) and \(copiedAll - copiedLive) copied"
                )
            }
            counts.append(.init(type: type.name, live: live, deleted: all - live))
            // Up to 25 records spread evenly over the type, by id.
            let step = max(1, all / 25)
            var index = 0
            for try await record in source.pages(
                of: try Query(type, selection: .all, includeDeleted: true), batchSize: 2000)
            {
                defer { index += 1 }
                guard index % step == 0 else { continue }
                let byID = try Query(
                    type, filter: "_id = \(JSONValue.string(record.ref.id).jsonText)", selection: .all,
                    includeDeleted: true)
                guard let other = try await copy.page(byID).items.first else {
                    throw mismatch("\(type) \(record.ref.id) is missing")
                }
                let fields = { (record: EntityRecord) in record.values.filter { !$0.name.hasPrefix("_") }.map(\.value) }
                guard fields(record) == fields(other),
                    (record["_deleted_at"] == .null) == (other["_deleted_at"] == .null)
                else { throw mismatch("\(type) \(record.ref.id) has other values") }
                sampled += 1
            }
        }
        return MigrationReport(
            installation: name, types: counts, sampled: sampled, target: "\(target.address), schema \(name)")
    }
}

extension MaxError.Code {
    /// `max storage migrate` found the installation's data in the database already.
    public static let migrateTargetNotEmpty = Self(
        domain: "storage", name: "migrate_target_not_empty", category: .conflict)
    /// A migrated copy's counts or sampled records differ from the original's.
    public static let migrateMismatch = Self(domain: "storage", name: "migrate_mismatch", category: .internal)
}
