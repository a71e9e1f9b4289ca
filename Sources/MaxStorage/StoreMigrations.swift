import GRDB

/// The migrations of Max's own tables (entity tables are created from the schema instead).
///
/// Append-only: once released, a migration is never edited, only followed by another.
enum StoreMigrations {
    /// Applies the migrations that `writer` lacks.
    ///
    /// `DatabaseMigrator` reads which migrations are applied before it takes the write lock, so it is
    /// not safe for two processes opening a new file at once: ``EntityStore/open(at:schema:busyTimeout:)``
    /// holds a ``DirectoryLock`` around it.
    static func migrate(_ writer: any DatabaseWriter) throws {
        try migrator().migrate(writer)
    }

    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: entity types, links, sync state") { db in
            try db.execute(
                sql: """
                    CREATE TABLE _max_entity_types (
                        name TEXT PRIMARY KEY NOT NULL,
                        definition TEXT NOT NULL,
                        updated_at INTEGER NOT NULL
                    );
                    CREATE TABLE _max_links (
                        owner_type TEXT NOT NULL,
                        field TEXT NOT NULL,
                        owner_id TEXT NOT NULL,
                        target_id TEXT NOT NULL,
                        PRIMARY KEY (owner_type, field, owner_id, target_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX _max_links_by_target ON _max_links (owner_type, field, target_id);
                    CREATE TABLE _max_sync_runs (
                        id TEXT PRIMARY KEY NOT NULL,
                        kind TEXT NOT NULL,
                        status TEXT NOT NULL,
                        started_at INTEGER NOT NULL,
                        finished_at INTEGER,
                        entities_written INTEGER NOT NULL DEFAULT 0,
                        error TEXT
                    );
                    CREATE TABLE _max_sync_tasks (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        run_id TEXT NOT NULL REFERENCES _max_sync_runs(id) ON DELETE CASCADE,
                        parent_id INTEGER REFERENCES _max_sync_tasks(id) ON DELETE CASCADE,
                        kind TEXT NOT NULL,
                        entity_type TEXT,
                        entity_id TEXT,
                        field TEXT,
                        payload TEXT NOT NULL,
                        state TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        not_before INTEGER,
                        page_cursor TEXT,
                        entities_written INTEGER NOT NULL DEFAULT 0,
                        error_code TEXT,
                        error_message TEXT,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    );
                    CREATE INDEX _max_sync_tasks_by_state ON _max_sync_tasks (run_id, state, not_before);
                    CREATE INDEX _max_sync_tasks_by_parent ON _max_sync_tasks (parent_id);
                    CREATE TABLE _max_sync_checkpoints (
                        scope TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL,
                        updated_at INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2: when each collection link was last seen") { db in
            // Sweeps remove links their owner's last full listing did not return, whatever the
            // member's own freshness (a task moved between projects leaves the old one).
            try db.execute(sql: "ALTER TABLE _max_links ADD COLUMN seen_at INTEGER")
        }
        migrator.registerMigration("v3: what each sync run asked of its source") { db in
            try db.execute(
                sql: """
                    ALTER TABLE _max_sync_runs ADD COLUMN requests INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE _max_sync_runs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE _max_sync_runs ADD COLUMN rate_limited INTEGER NOT NULL DEFAULT 0;
                    """)
        }
        return migrator
    }
}
