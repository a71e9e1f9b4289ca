import MaxCore
import MaxQuery

/// The DDL of a store's tables: a table per entity type (`_id` its primary key, a typed column
/// per row field, `_synced_at`, `_deleted_at`) and `_max_links` for collections, in the
/// installation's schema.
///
/// Text compares byte by byte (`COLLATE "C"`), as SQLite's does, so both stores order alike;
/// dates are epoch milliseconds and JSON its text, as in SQLite.
enum PostgresTables {
    static let dialect = SQLDialect.postgres

    /// The statements that make `schema`'s tables, each safe to run again: a new field is a new
    /// column; rows keep their data.
    static func statements(for schema: Schema, namespace: String) -> [String] {
        let space = dialect.quote(namespace)
        var statements = [
            "CREATE SCHEMA IF NOT EXISTS \(space)",
            """
            CREATE TABLE IF NOT EXISTS \(space)._max_links (
              owner_type text COLLATE "C" NOT NULL, field text COLLATE "C" NOT NULL,
              owner_id text COLLATE "C" NOT NULL, target_id text COLLATE "C" NOT NULL, seen_at bigint NOT NULL,
              PRIMARY KEY (owner_type, field, owner_id, target_id))
            """,
            "CREATE INDEX IF NOT EXISTS _max_links_by_target ON \(space)._max_links (owner_type, field, target_id)",
            """
            CREATE TABLE IF NOT EXISTS \(space)._max_sync_runs (
              id text COLLATE "C" PRIMARY KEY, kind text NOT NULL, status text NOT NULL, started_at bigint NOT NULL,
              finished_at bigint, entities_written bigint NOT NULL DEFAULT 0, error text)
            """,
            // What a run asked of its source, and the worker driving it (its lease renewed as tasks'
            // are; a run whose driver stopped renewing is taken over).
            """
            ALTER TABLE \(space)._max_sync_runs ADD COLUMN IF NOT EXISTS requests bigint NOT NULL DEFAULT 0,
              ADD COLUMN IF NOT EXISTS retries bigint NOT NULL DEFAULT 0,
              ADD COLUMN IF NOT EXISTS rate_limited bigint NOT NULL DEFAULT 0,
              ADD COLUMN IF NOT EXISTS claimed_by text, ADD COLUMN IF NOT EXISTS lease_until bigint
            """,
            // A source's request budget, shared by every worker: a token bucket in the database.
            """
            CREATE TABLE IF NOT EXISTS \(space)._max_rate_buckets (
              key text COLLATE "C" PRIMARY KEY, tokens double precision NOT NULL, updated_at double precision NOT NULL)
            """,
            // A task is claimed by one worker under a lease: `claimed_by` and `attempts` fence its
            // completion, and a lease that runs out makes it claimable by another.
            """
            CREATE TABLE IF NOT EXISTS \(space)._max_sync_tasks (
              id bigserial PRIMARY KEY, run_id text COLLATE "C" NOT NULL, parent_id bigint, kind text NOT NULL,
              entity_type text, entity_id text, field text, payload text NOT NULL, state text NOT NULL,
              attempts integer NOT NULL DEFAULT 0, not_before bigint, page_cursor text,
              entities_written bigint NOT NULL DEFAULT 0, error_code text, error_message text,
              claimed_by text, lease_until bigint, updated_at bigint NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS _max_sync_tasks_by_state ON \(space)._max_sync_tasks (run_id, state, id)",
            """
            CREATE TABLE IF NOT EXISTS \(space)._max_sync_checkpoints (
              scope text COLLATE "C" PRIMARY KEY, value text NOT NULL, updated_at bigint NOT NULL)
            """,
        ]
        for def in schema.entities {
            let table = "\(space).\(dialect.quote(def.name))"
            statements.append(
                """
                CREATE TABLE IF NOT EXISTS \(table) (
                  "_id" text COLLATE "C" PRIMARY KEY, "_synced_at" bigint, "_deleted_at" bigint)
                """)
            for field in def.fields where field.type.isStoredInRow {
                statements.append(
                    "ALTER TABLE \(table) ADD COLUMN IF NOT EXISTS \(dialect.quote(field.name)) \(columnType(field.type))"
                )
            }
            statements += indexes(of: def, namespace: namespace).map(\.create)
        }
        return statements
    }

    /// Every `table.column` the statements make: what an opened store checks is there.
    static func columns(of schema: Schema) -> Set<String> {
        var columns: Set<String> = [
            "_max_links.seen_at", "_max_sync_runs.lease_until", "_max_sync_runs.rate_limited",
            "_max_sync_tasks.lease_until", "_max_sync_checkpoints.value", "_max_rate_buckets.tokens",
        ]
        for def in schema.entities {
            columns.formUnion(["_id", "_synced_at", "_deleted_at"].map { "\(def.name).\($0)" })
            for field in def.fields where field.type.isStoredInRow { columns.insert("\(def.name).\(field.name)") }
        }
        return columns
    }

    /// The secondary indexes of `def`'s table: each indexed field and ref, with `_deleted_at`.
    static func indexes(of def: EntityDef, namespace: String) -> [(create: String, drop: String)] {
        let table = "\(dialect.quote(namespace)).\(dialect.quote(def.name))"
        return def.fields.filter { $0.isIndexed || isRef($0.type) }.map { field in
            let name = dialect.quote("\(def.name)__\(field.name)")
            return (
                "CREATE INDEX IF NOT EXISTS \(name) ON \(table) (\(dialect.quote(field.name)), \"_deleted_at\")",
                "DROP INDEX IF EXISTS \(dialect.quote(namespace)).\(name)"
            )
        }
    }

    private static func isRef(_ type: FieldType) -> Bool {
        if case .ref = type { return true }
        return false
    }

    /// The column type of a field type.
    static func columnType(_ type: FieldType) -> String {
        switch type {
        case .string, .json, .ref, .collection: "text COLLATE \"C\""
        case .int, .date: "bigint"
        case .double: "double precision"
        case .bool: "boolean"
        }
    }
}
