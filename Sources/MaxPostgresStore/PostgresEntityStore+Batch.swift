public import Foundation
import MaxCore
import MaxQuery
public import MaxStore

extension PostgresEntityStore {
    /// Applies a sync task's writes in one transaction, as the SQLite store's writer does:
    /// upserts, links added, memberships set, tombstones, sweeps of stale collection members, and
    /// exact sets (every live entity of a type not among the ids is tombstoned).
    ///
    /// - Throws: `storage.unknown_field`, `storage.type_mismatch` (nothing is written);
    ///   `storage.postgres_failed`.
    public func write(_ batch: EntityWriteBatch, at date: Date = Date()) async throws {
        try await transaction(try Self.statements(for: batch, in: schema, now: date.epochMilliseconds))
    }

    /// The statements of a batch, in the order the SQLite writer applies its parts.
    static func statements(for batch: EntityWriteBatch, in schema: Schema, now: Int64) throws -> [SQLStatement] {
        var statements: [SQLStatement] = []
        statements += try upserts(batch.upserts, in: schema, now: now)
        for links in batch.links {
            _ = try collection(links.field, of: links.owner.type, holding: links.targets.first?.type, in: schema)
            // A collection read through its members' ref keeps no links: their upserts set it.
            if inverse(of: links.field, in: links.owner.type, schema) != nil { continue }
            statements += linkRows(
                ownerType: links.owner.type.name, field: links.field, ownerID: links.owner.id,
                targets: links.targets.map(\.id), now: now)
        }
        for membership in batch.memberships {
            _ = try collection(membership.field, of: membership.ownerType, holding: membership.member.type, in: schema)
            if inverse(of: membership.field, in: membership.ownerType, schema) != nil { continue }
            statements.append(
                SQLStatement(
                    sql: "DELETE FROM _max_links WHERE owner_type = $1 AND field = $2 AND target_id = $3",
                    values: [.text(membership.ownerType.name), .text(membership.field), .text(membership.member.id)]))
            statements += membership.owners.map {
                link(
                    owner: Ref(membership.ownerType, $0), field: membership.field, target: membership.member.id,
                    now: now)
            }
        }
        statements += try deletions(batch.deletions, in: schema, now: now)
        for sweep in batch.sweeps {
            let target = try collection(sweep.field, of: sweep.owner.type, holding: nil, in: schema)
            let since = sweep.notSyncedSince.epochMilliseconds
            if let inverse = inverse(of: sweep.field, in: sweep.owner.type, schema) {
                // The members are the entities whose ref names the owner: those not stored again
                // by this run's listing were deleted upstream.
                statements.append(
                    SQLStatement(
                        sql: """
                            UPDATE \(dialect.quote(target.name)) SET "_deleted_at" = $1
                            WHERE \(dialect.quote(inverse)) = $2 AND "_deleted_at" IS NULL
                            AND ("_synced_at" IS NULL OR "_synced_at" < $3)
                            """,
                        values: [.int(now), .text(sweep.owner.id), .int(since)]))
                continue
            }
            let owner: [SQLValue] = [.text(sweep.owner.type.name), .text(sweep.field), .text(sweep.owner.id)]
            statements.append(
                SQLStatement(
                    sql: """
                        UPDATE \(dialect.quote(target.name)) SET "_deleted_at" = $1
                        WHERE "_deleted_at" IS NULL AND ("_synced_at" IS NULL OR "_synced_at" < $2) AND "_id" IN (
                          SELECT target_id FROM _max_links WHERE owner_type = $3 AND field = $4 AND owner_id = $5)
                        """,
                    values: [.int(now), .int(since)] + owner))
            statements.append(
                SQLStatement(
                    sql: """
                        DELETE FROM _max_links WHERE owner_type = $1 AND field = $2 AND owner_id = $3
                        AND (seen_at IS NULL OR seen_at < $4)
                        """,
                    values: owner + [.int(since)]))
        }
        for set in batch.exactSets {
            guard let def = schema.definition(of: set.type) else { throw unknownType(set.type) }
            statements.append(
                SQLStatement(
                    sql: "CREATE TEMP TABLE IF NOT EXISTS _max_exact (id text COLLATE \"C\" PRIMARY KEY)", values: []))
            statements.append(SQLStatement(sql: "DELETE FROM _max_exact", values: []))
            statements += set.ids.map {
                SQLStatement(sql: "INSERT INTO _max_exact (id) VALUES ($1) ON CONFLICT DO NOTHING", values: [.text($0)])
            }
            let gone =
                "SELECT \"_id\" FROM \(dialect.quote(def.name)) WHERE \"_deleted_at\" IS NULL AND \"_id\" NOT IN (SELECT id FROM _max_exact)"
            for (owner, field) in holders(of: set.type, in: schema) {
                statements.append(
                    SQLStatement(
                        sql: "DELETE FROM _max_links WHERE owner_type = $1 AND field = $2 AND target_id IN (\(gone))",
                        values: [.text(owner), .text(field)]))
            }
            statements.append(
                SQLStatement(
                    sql: """
                        UPDATE \(dialect.quote(def.name)) SET "_deleted_at" = $1
                        WHERE "_deleted_at" IS NULL AND "_id" NOT IN (SELECT id FROM _max_exact)
                        """,
                    values: [.int(now)]))
        }
        return statements
    }

    /// Links `targets` into a collection, a thousand rows a statement (one round trip each, not
    /// one per member); a link already there is marked seen now.
    static func linkRows(ownerType: String, field: String, ownerID: String, targets: [String], now: Int64)
        -> [SQLStatement]
    {
        // One statement cannot touch a row twice: each target once.
        var seen: Set<String> = []
        let unique = targets.filter { seen.insert($0).inserted }
        return stride(from: 0, to: unique.count, by: 1000).map { start in
            let chunk = unique[start..<min(start + 1000, unique.count)]
            let rows = chunk.indices.map { "($1, $2, $3, $\($0 - start + 5), $4)" }.joined(separator: ", ")
            return SQLStatement(
                sql: """
                    INSERT INTO _max_links (owner_type, field, owner_id, target_id, seen_at) VALUES \(rows)
                    ON CONFLICT (owner_type, field, owner_id, target_id) DO UPDATE SET seen_at = excluded.seen_at
                    """,
                values: [.text(ownerType), .text(field), .text(ownerID), .int(now)] + chunk.map { .text($0) })
        }
    }

    private static func link(owner: Ref, field: String, target: String, now: Int64) -> SQLStatement {
        SQLStatement(
            sql: """
                INSERT INTO _max_links (owner_type, field, owner_id, target_id, seen_at) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (owner_type, field, owner_id, target_id) DO UPDATE SET seen_at = excluded.seen_at
                """,
            values: [.text(owner.type.name), .text(field), .text(owner.id), .text(target), .int(now)])
    }

    /// The inverse ref of collection `field` of `owner`, when it is read through one.
    static func inverse(of field: String, in owner: EntityType, _ schema: Schema) -> String? {
        schema.definition(of: owner)?.field(named: field)?.inverse
    }

    /// The target type's definition of collection `field` of `owner`, checked to hold `member`.
    private static func collection(
        _ field: String, of owner: EntityType, holding member: EntityType?, in schema: Schema
    ) throws -> EntityDef {
        guard let def = schema.definition(of: owner) else { throw unknownType(owner) }
        guard case .collection(let target) = def.field(named: field)?.type, member == nil || member == target,
            let targetDef = schema.definition(of: target)
        else {
            throw MaxError(
                .storageUnknownField,
                "\(def.name) has no collection field '\(field)'" + (member.map { " of \($0)" } ?? ""),
                context: ["entityType": def.name, "field": field])
        }
        return targetDef
    }
}
