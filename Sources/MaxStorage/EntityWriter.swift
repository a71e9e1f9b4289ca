import Foundation
import GRDB
import MaxCore
import MaxStore

/// Applies ``EntityWriteBatch``es inside a write transaction.
///
/// Inputs are validated against the schema (every field declared, every value of the field's
/// type) before anything is written; a bad input fails the whole transaction. Consecutive inputs
/// of one type with the same fields share one prepared statement.
struct EntityWriter {
    let definitions: [EntityType: EntityDef]
    let schema: Schema
    /// Types being bulk-loaded without their key index: inserted without `ON CONFLICT`.
    var loading: Set<EntityType> = []

    /// Applies `batch` and returns how many entities it upserted or tombstoned.
    @discardableResult
    func apply(_ batch: EntityWriteBatch, in db: Database, at date: Date) throws -> Int {
        let now = date.storedMilliseconds
        try upsert(batch.upserts, in: db, now: now)
        for links in batch.links {
            try addLinks(links, in: db, now: now)
        }
        for membership in batch.memberships {
            try setMembership(membership, in: db, now: now)
        }
        for ref in batch.deletions {
            let def = try definition(of: ref.type)
            try db.cachedStatement(
                sql: "UPDATE \(def.name.quoted) SET \"_deleted_at\" = ? WHERE \"_id\" = ? AND \"_deleted_at\" IS NULL"
            ).execute(arguments: [now, ref.id])
            // A deleted entity leaves every collection that held it.
            for (owner, field) in try collections(holding: ref.type) {
                try db.cachedStatement(
                    sql: "DELETE FROM _max_links WHERE owner_type = ? AND field = ? AND target_id = ?"
                )
                .execute(arguments: [owner.name, field, ref.id])
            }
        }
        for sweep in batch.sweeps {
            try apply(sweep, in: db, now: now)
        }
        var tombstoned = 0
        for set in batch.exactSets {
            tombstoned += try apply(set, in: db, now: now)
        }
        return batch.upserts.count + batch.deletions.count + tombstoned
    }

    /// Tombstones the live entities of the set's type whose ids it does not hold; returns how many.
    ///
    /// They leave every collection too. The ids go through a temporary table, so a set of any size
    /// is one statement per table.
    private func apply(_ set: EntityWriteBatch.ExactSet, in db: Database, now: Int64) throws -> Int {
        let table = try definition(of: set.type).name.quoted
        try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS _max_exact (id TEXT PRIMARY KEY) WITHOUT ROWID")
        try db.execute(sql: "DELETE FROM temp._max_exact")
        let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO temp._max_exact (id) VALUES (?)")
        for id in set.ids {
            try insert.execute(arguments: [id])
        }
        let gone = """
            SELECT "_id" FROM \(table) WHERE "_deleted_at" IS NULL AND "_id" NOT IN (SELECT id FROM temp._max_exact)
            """
        for (owner, field) in try collections(holding: set.type) {
            try db.execute(
                sql: "DELETE FROM _max_links WHERE owner_type = ? AND field = ? AND target_id IN (\(gone))",
                arguments: [owner.name, field])
        }
        try db.execute(
            sql: """
                UPDATE \(table) SET "_deleted_at" = ?
                WHERE "_deleted_at" IS NULL AND "_id" NOT IN (SELECT id FROM temp._max_exact)
                """,
            arguments: [now])
        let count = db.changesCount
        try db.execute(sql: "DELETE FROM temp._max_exact")
        return count
    }

    /// The collection fields kept as links (with their owner types) that hold entities of `type`.
    ///
    /// Collections read through an inverse ref need nothing: a tombstoned member is not live, so
    /// it is no member.
    private func collections(holding type: EntityType) throws -> [(EntityType, String)] {
        schema.entities.flatMap { def in
            def.collectionFields.compactMap { field -> (EntityType, String)? in
                guard case .collection(let target) = field.type, target == type, field.inverse == nil else {
                    return nil
                }
                return (def.type, field.name)
            }
        }
    }

    private func setMembership(_ membership: EntityWriteBatch.Membership, in db: Database, now: Int64) throws {
        let def = try definition(of: membership.ownerType)
        guard let field = def.field(named: membership.field), case .collection(let target) = field.type,
            target == membership.member.type
        else {
            throw MaxError(
                .storageUnknownField,
                "\(def.name) has no collection field '\(membership.field)' of \(membership.member.type)",
                context: ["entityType": def.name, "field": membership.field])
        }
        // Read through the member's ref: its upsert moved it.
        guard field.inverse == nil else { return }
        try db.cachedStatement(sql: "DELETE FROM _max_links WHERE owner_type = ? AND field = ? AND target_id = ?")
            .execute(arguments: [def.name, membership.field, membership.member.id])
        for owner in membership.owners {
            try insertLinks(
                owner: Ref(membership.ownerType, owner), field: membership.field, targets: [membership.member], in: db,
                now: now)
        }
    }

    /// Tombstones the members of a collection not stored since the sweep's time, and removes the
    /// links the owner's listing did not return in this run (their `seen_at` is older), so a member
    /// that moved to another owner leaves this one whatever order the listings ran in.
    private func apply(_ sweep: EntityWriteBatch.Sweep, in db: Database, now: Int64) throws {
        let def = try definition(of: sweep.owner.type)
        guard let field = def.field(named: sweep.field), case .collection(let targetType) = field.type else {
            throw MaxError(
                .storageUnknownField, "\(def.name) has no collection field '\(sweep.field)'",
                context: ["entityType": def.name, "field": sweep.field])
        }
        let target = try definition(of: targetType).name.quoted
        let since = sweep.notSyncedSince.storedMilliseconds
        if let inverse = field.inverse {
            // The members are the entities whose ref names the owner: those this run's listing
            // did not store again were deleted upstream (one that moved names its new owner).
            if !loading.contains(targetType) {
                try db.execute(
                    sql: """
                        UPDATE \(target) SET "_deleted_at" = ?
                        WHERE \(inverse.quoted) = ? AND "_deleted_at" IS NULL AND ("_synced_at" IS NULL OR "_synced_at" < ?)
                        """,
                    arguments: [now, sweep.owner.id, since])
            }
            return
        }
        let members = "SELECT target_id FROM _max_links WHERE owner_type = ? AND field = ? AND owner_id = ?"
        // A table loaded from empty in this run holds nothing older than it: nothing to tombstone.
        if !loading.contains(targetType) {
            try db.execute(
                sql: """
                    UPDATE \(target) SET "_deleted_at" = ?
                    WHERE "_deleted_at" IS NULL AND ("_synced_at" IS NULL OR "_synced_at" < ?) AND "_id" IN (\(members))
                    """,
                arguments: [now, since, def.name, sweep.field, sweep.owner.id])
        }
        try db.execute(
            sql: """
                DELETE FROM _max_links WHERE owner_type = ? AND field = ? AND owner_id = ?
                AND (seen_at IS NULL OR seen_at < ?)
                """,
            arguments: [def.name, sweep.field, sweep.owner.id, since])
    }

    private func definition(of type: EntityType) throws -> EntityDef {
        if let def = definitions[type] { return def }
        return try schema.requireDefinition(of: type)
    }

    /// The statement shared by a run of inputs: their type and the row fields they set, in order.
    private struct Group {
        let def: EntityDef
        let fields: [Field]
        let binder: StatementBinder
        let collections: [Field]
        var hasCollections: Bool { !collections.isEmpty }
    }

    private func upsert(_ inputs: [EntityInput], in db: Database, now: Int64) throws {
        var group: Group?
        for input in inputs {
            var reusable = false
            if let current = group, current.def.type == input.ref.type {
                reusable = try bind(input, to: current, now: now)
            }
            if !reusable {
                let def = try definition(of: input.ref.type)
                let fresh = try makeGroup(for: input, def: def, in: db)
                guard try bind(input, to: fresh, now: now) else {
                    throw MaxError(.internalError, "an input does not match the statement made for it")
                }
                group = fresh
            }
            guard let group else { continue }
            try group.binder.statement.execute()
            if group.hasCollections {
                try replaceCollections(of: input, def: group.def, in: db, now: now)
            }
        }
    }

    /// Binds `input`'s values in `group`'s column order.
    ///
    /// - Returns: false, having bound nothing useful, when the input's fields are not exactly the
    ///   group's row fields (plus, possibly, collections).
    /// - Throws: `storage.type_mismatch` for a value that does not fit its field.
    private func bind(_ input: EntityInput, to group: Group, now: Int64) throws -> Bool {
        let binder = group.binder
        binder.reset()
        try binder.bind(text: input.ref.id, at: 1)
        var index: Int32 = 2
        for field in group.fields {
            guard let value = input[field.name] else { return false }
            guard value.fits(field.type) else { throw mismatch(input, field, value) }
            try binder.bind(value, at: index)
            index += 1
        }
        try binder.bind(integer: now, at: index)
        if input.count == group.fields.count { return true }
        // More fields than the group's: acceptable only if every extra is a collection of the type.
        return input.count - group.fields.count == group.collections.count(where: { input[$0.name] != nil })
    }

    private func makeGroup(for input: EntityInput, def: EntityDef, in db: Database) throws -> Group {
        var fields: [Field] = []
        for name in input.values.map(\.name).sorted() {
            guard let field = def.field(named: name) else {
                throw MaxError(
                    .storageUnknownField, "\(def.name) has no field '\(name)' (entity \(input.ref.id))",
                    hint: "the connector produced a field its schema does not declare",
                    context: ["entityType": def.name, "field": name])
            }
            if field.type.isStoredInRow { fields.append(field) }
        }
        let columns = [MetaField.id.rawValue] + fields.map(\.name) + [MetaField.syncedAt.rawValue]
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        let updates =
            (fields.map(\.name) + [MetaField.syncedAt.rawValue]).map { "\($0.quoted) = excluded.\($0.quoted)" }
            + ["\(MetaField.deletedAt.rawValue.quoted) = NULL"]
        var sql = """
            INSERT INTO \(def.name.quoted) (\(columns.map(\.quoted).joined(separator: ", "))) VALUES (\(placeholders))
            """
        if !loading.contains(def.type) {
            sql += " ON CONFLICT(\(MetaField.id.rawValue.quoted)) DO UPDATE SET \(updates.joined(separator: ", "))"
        }
        let statement = try db.cachedStatement(sql: sql)
        StatementBinder.prepare(statement)
        return Group(def: def, fields: fields, binder: StatementBinder(statement), collections: def.collectionFields)
    }

    private func replaceCollections(of input: EntityInput, def: EntityDef, in db: Database, now: Int64) throws {
        for field in def.collectionFields {
            guard let value = input[field.name] else { continue }
            guard case .refs(let refs) = value, value.fits(field.type) else { throw mismatch(input, field, value) }
            // Read through the members' ref: what they say is the collection.
            guard field.inverse == nil else { continue }
            try db.cachedStatement(sql: "DELETE FROM _max_links WHERE owner_type = ? AND field = ? AND owner_id = ?")
                .execute(arguments: [def.name, field.name, input.ref.id])
            try insertLinks(owner: input.ref, field: field.name, targets: refs, in: db, now: now)
        }
    }

    private func addLinks(_ links: EntityWriteBatch.Links, in db: Database, now: Int64) throws {
        let def = try definition(of: links.owner.type)
        guard let field = def.field(named: links.field), case .collection(let target) = field.type else {
            throw MaxError(
                .storageUnknownField, "\(def.name) has no collection field '\(links.field)'",
                context: ["entityType": def.name, "field": links.field])
        }
        if let wrong = links.targets.first(where: { $0.type != target }) {
            throw MaxError(
                .storageTypeMismatch,
                "\(def.name).\(links.field) holds \(target) entities, not \(wrong.type) (\(wrong.id))",
                context: ["entityType": def.name, "field": links.field])
        }
        // Read through the members' ref, which their upserts (in the same batch) set.
        guard field.inverse == nil else { return }
        try insertLinks(owner: links.owner, field: links.field, targets: links.targets, in: db, now: now)
    }

    private func insertLinks(owner: Ref, field: String, targets: [Ref], in db: Database, now: Int64) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO _max_links (owner_type, field, owner_id, target_id, seen_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT DO UPDATE SET seen_at = excluded.seen_at
                """)
        for target in targets {
            statement.setUncheckedArguments([owner.type.name, field, owner.id, target.id, now])
            try statement.execute()
        }
    }

    private func mismatch(_ input: EntityInput, _ field: Field, _ value: FieldValue) -> MaxError {
        MaxError(
            .storageTypeMismatch,
            "\(input.ref.type).\(field.name) is a \(field.type.displayName) field, but entity \(input.ref.id) gives it a \(value.kindName)",
            hint: "the connector produced a value its schema does not declare",
            context: ["entityType": input.ref.type.name, "field": field.name])
    }
}
