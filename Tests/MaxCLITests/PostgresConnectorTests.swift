import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// The PostgreSQL connector through the `max` executable, against a throwaway cluster of the
/// machine's own PostgreSQL (skipped, saying why, when its server binaries are not installed).
@Suite(.enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.missingMessage)))
struct PostgresConnectorTests {
    /// Tables with every supported type, NULLs and unicode, a composite key, foreign keys (one of
    /// them composite), a table keyed by a unique index, one with no key, and 100,000 events.
    static let schema = """
        CREATE TABLE customers (
            id serial PRIMARY KEY, name text NOT NULL, email varchar(200), vip boolean, balance numeric(12,2),
            exact numeric, small smallint, score double precision, born date, created_at timestamptz,
            local_time timestamp, profile jsonb, settings json, tags text[], lucky int[], uid uuid, code char(4),
            mood mood, at_time time, updated_at timestamptz NOT NULL DEFAULT now());
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int REFERENCES customers, placed timestamp);
        CREATE TABLE order_lines (
            order_id bigint REFERENCES orders, line_no int, product text, qty int, PRIMARY KEY (order_id, line_no));
        CREATE TABLE line_notes (
            id int PRIMARY KEY, order_id bigint, line_no int, note text,
            CONSTRAINT note_line FOREIGN KEY (order_id, line_no) REFERENCES order_lines);
        CREATE TABLE "Weird Names" (code text NOT NULL UNIQUE, "Value/1" int, _hidden text);
        CREATE TABLE no_key (a int, b text);
        CREATE TABLE events (
            id bigint PRIMARY KEY, customer_id int REFERENCES customers, at timestamptz, amount numeric(10,2),
            label text, payload jsonb);
        """

    static let rows = """
        INSERT INTO customers (name, email, vip, balance, exact, small, score, born, created_at, local_time, profile,
                               settings, tags, lucky, uid, code, mood, at_time)
        VALUES ('Zoë Ångström', 'zoe@example.com', true, 1234.56, 12345678901234567890.123, 7, 0.1,
                '1990-02-03', '2026-01-02 03:04:05.678+00', '2026-05-06 07:08:09.5', '{"a": [1, 2], "ü": null}',
                '{"k":  "v"}', '{red,"with space"}', '{1,2,3}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'ab',
                'happy', '12:34:56'),
               ('石田 🍣', NULL, false, -0.5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{}', NULL, NULL, NULL,
                NULL, NULL),
               ('Null Everything', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                NULL, NULL, NULL);
        INSERT INTO orders VALUES (1, 1, '2026-03-01 10:00:00'), (2, 2, NULL), (3, NULL, '2026-03-02 11:30:00');
        INSERT INTO order_lines VALUES (1, 1, 'tea', 2), (1, 2, 'cake', 1), (2, 1, 'a/b%c', 5);
        INSERT INTO line_notes VALUES (1, 1, 2, 'with cream'), (2, 2, 1, 'slashes'), (3, NULL, NULL, 'orphan');
        INSERT INTO "Weird Names" VALUES ('x/y', 1, 'h'), ('plain', NULL, NULL);
        INSERT INTO no_key VALUES (1, 'one');
        INSERT INTO events
            SELECT n, 1 + n % 3, timestamptz '2026-01-01 00:00:00+00' + n * interval '1 second', (n % 1000) / 10.0,
                   'event ' || n, jsonb_build_object('n', n, 'even', n % 2 = 0)
            FROM generate_series(1, 100000) AS n;
        """

    /// What each table should hold, as Max writes it, computed by the server: the test's own
    /// statement of the documented mapping (ids, refs, dates at millisecond precision in UTC).
    static let expected: [(type: String, fields: [String], sql: String)] = [
        (
            "customers",
            [
                "name", "email", "vip", "balance", "exact", "small", "score", "born", "created_at", "local_time",
                "profile",
                "settings", "tags", "lucky", "uid", "code", "mood", "at_time",
            ],
            """
            SELECT (json_build_object('_id', id::text, 'name', name, 'email', email, 'vip', vip,
                'balance', balance::float8, 'exact', exact::text, 'small', small, 'score', score,
                'born', to_char(born, 'YYYY-MM-DD"T"00:00:00.000"Z"'),
                'created_at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'local_time', to_char(local_time, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'profile', profile,
                'settings', settings, 'tags', to_json(tags), 'lucky', to_json(lucky), 'uid', uid::text, 'code', code,
                'mood', mood::text, 'at_time', at_time::text))
            FROM customers
            """
        ),
        (
            "orders", ["customer_id", "placed"],
            """
            SELECT (json_build_object('_id', id::text, 'customer_id', customer_id::text,
                'placed', to_char(placed, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))) FROM orders
            """
        ),
        (
            "order_lines", ["order_id", "line_no", "product", "qty"],
            """
            SELECT (json_build_object('_id', order_id || '/' || line_no, 'order_id', order_id::text,
                'line_no', line_no, 'product', product, 'qty', qty)) FROM order_lines
            """
        ),
        (
            "line_notes", ["order_id", "line_no", "note", "note_line"],
            """
            SELECT (json_build_object('_id', id::text, 'order_id', order_id, 'line_no', line_no,
                'note', note, 'note_line', order_id || '/' || line_no)) FROM line_notes
            """
        ),
        (
            "Weird_Names", ["code", "Value_1", "hidden"],
            """
            SELECT (json_build_object('_id', code, 'code', code, 'Value_1', "Value/1", 'hidden', _hidden))
            FROM "Weird Names"
            """
        ),
        (
            "events", ["customer_id", "at", "amount", "label", "payload"],
            """
            SELECT (json_build_object('_id', id::text, 'customer_id', customer_id::text,
                'at', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'amount', amount::float8,
                'label', label, 'payload', payload)) FROM events
            """
        ),
    ]

    /// Expects every table's stored records to equal the server's, record for record.
    static func expectEqual(_ project: TemporaryDirectory, _ server: PostgresTestServer, database: String) async throws
    {
        // Numbers compare by value (the server prints 1.0 as 1).
        func numeric(_ value: JSONValue) -> JSONValue {
            if case .int(let number) = value { return .double(Double(number)) }
            return value
        }
        for table in expected {
            let stored = try await StoredRecords.of(project, "pg", table.type, table.fields).mapValues {
                JSONValue.object(($0.objectValue ?? [:]).mapValues(numeric))
            }
            var wanted: [String: JSONValue] = [:]
            for line in try await server.psql(table.sql, database: database).split(separator: "\n") {
                let record = try JSONValue(parsing: String(line))
                guard let id = record["_id"]?.stringValue else { continue }
                wanted[id] = .object(
                    (record.objectValue ?? [:]).filter { $0.key != "_id" && $0.value != .null }.mapValues {
                        numeric(StoredRecords.normalised($0))
                    })
            }
            StoredRecords.expectSame(table.type, stored: stored, wanted: wanted)
        }
    }

    /// A project with the database `shop` connected as `pg`.
    static func connected(_ server: PostgresTestServer, extra: [String] = []) async throws -> TemporaryDirectory {
        let project = try TemporaryDirectory(prefix: "postgres")
        _ = try await runMax(["init", project.url.path])
        let connected = try await runMax(
            [
                "-C", project.url.path, "connect", "postgres", "--name", "pg", "--config", "host=127.0.0.1",
                "--config", "port=\(server.port)", "--config", "database=shop", "--config", "user=max",
                "--credential", "password=env:PGTEST_PASSWORD",
            ] + extra, environment: ["PGTEST_PASSWORD": server.password])
        try #require(connected.status == 0, "\(connected.output)")
        return project
    }

    static func createShop(_ server: PostgresTestServer) async throws {
        try await server.psql("CREATE DATABASE shop")
        try await server.psql("CREATE TYPE mood AS ENUM ('happy', 'sad');\n" + schema + rows, database: "shop")
    }

    @Test func aDatabaseSyncsEqualToItsTablesAndFollowsItsChanges() async throws {
        try await PostgresTestServer.with { server in
            try await Self.createShop(server)
            let project = try await Self.connected(server)
            let config = try String(contentsOf: project.file("max.json"), encoding: .utf8)
            #expect(!config.contains(server.password), "the password stays out of max.json")

            let full = try await runMax(["-C", project.url.path, "sync", "pg"])
            try #require(full.status == 0, "\(full.output)")
            #expect(full.stderr.contains("note: public.no_key is left out: it has no primary key"), "\(full.stderr)")
            try await Self.expectEqual(project, server, database: "shop")
            #expect(!full.output.contains(server.password))

            // Refs follow the foreign keys: the events of customer 1.
            let count = try await runMax([
                "-C", project.url.path, "count", "pg", "events", "--filter", #"customer_id = "1""#,
            ])
            #expect(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "33333", "\(count.output)")
            let schema = try await runMax(["-C", project.url.path, "schema", "pg", "-o", "json"])
            #expect(schema.stdout.contains("ref<customers>"), "\(schema.stdout.prefix(400))")

            // Upstream: inserts, updates and deletes (events by xmin, customers by updated_at), a
            // new column, a new table.
            try await server.psql(
                """
                INSERT INTO events VALUES (100001, 2, now(), 1.5, 'late', '{}'), (100002, NULL, NULL, NULL, 'ünï', NULL);
                UPDATE events SET label = 'changed', amount = 99.99 WHERE id IN (5, 50000);
                DELETE FROM events WHERE id IN (7, 99999);
                ALTER TABLE customers ADD COLUMN tier text;
                UPDATE customers SET tier = 'gold', name = 'Zoë A.', updated_at = now() + interval '1 second' WHERE id = 1;
                DELETE FROM line_notes WHERE id = 3;
                UPDATE order_lines SET qty = 3 WHERE order_id = 1 AND line_no = 2;
                CREATE TABLE late_table (id int PRIMARY KEY, v text);
                INSERT INTO late_table VALUES (1, 'new');
                """, database: "shop")
            let incremental = try await runMax(["-C", project.url.path, "sync", "pg"])
            try #require(incremental.status == 0, "\(incremental.output)")
            #expect(incremental.stdout.hasPrefix("Synced pg (changes only)"), "\(incremental.stdout)")
            #expect(incremental.stderr.contains("note: customers: new field tier"), "\(incremental.stderr)")
            #expect(incremental.stderr.contains("note: new entity types: late_table"), "\(incremental.stderr)")
            try await Self.expectEqual(project, server, database: "shop")
            let tier = try await StoredRecords.of(project, "pg", "customers", ["tier"])
            #expect(tier["1"]?["tier"] == "gold")
            let late = try await StoredRecords.of(project, "pg", "late_table", ["v"])
            #expect(late == ["1": ["v": "new"]])

            // max runs shows how many rows the incremental run read: the changed ones, not 100,000.
            let runs = try await runMax(["-C", project.url.path, "runs", "pg", "-o", "json"])
            let latest = try #require(try JSONValue(parsing: runs.stdout).arrayValue?.first)
            #expect(latest["kind"] == "incremental")
            let read = try #require(latest["entities"]?.intValue)
            #expect((9...40).contains(read), "rows read by the incremental run: \(read)")
        }
    }

    @Test func aTypeChangeUpstreamIsAClearErrorUntilAFullSync() async throws {
        try await PostgresTestServer.with { server in
            try await server.psql("CREATE DATABASE shop")
            try await server.psql(
                "CREATE TABLE items (id int PRIMARY KEY, size int); INSERT INTO items VALUES (1, 10), (2, 20);",
                database: "shop")
            let project = try await Self.connected(server)
            let first = try await runMax(["-C", project.url.path, "sync", "pg"])
            try #require(first.status == 0, "\(first.output)")

            try await server.psql(
                "ALTER TABLE items ALTER COLUMN size TYPE text; UPDATE items SET size = 'XL' WHERE id = 2",
                database: "shop")
            let refused = try await runMax(["-C", project.url.path, "sync", "pg"])
            #expect(refused.status == 1, "\(refused.output)")
            #expect(
                refused.stderr.contains("error[schema.changed]: items.size changed type at the source"),
                "\(refused.stderr)")
            #expect(refused.stderr.contains("max sync pg --full"), "\(refused.stderr)")

            let full = try await runMax(["-C", project.url.path, "sync", "pg", "--full"])
            #expect(full.status == 0, "\(full.output)")
            let items = try await StoredRecords.of(project, "pg", "items", ["size"])
            #expect(items == ["1": ["size": "10"], "2": ["size": "XL"]])
        }
    }

    @Test func badConnectionsAndMissingTablesAreClearErrors() async throws {
        try await PostgresTestServer.with { server in
            try await server.psql("CREATE DATABASE shop")
            try await server.psql("CREATE TABLE items (id int PRIMARY KEY)", database: "shop")
            let project = try TemporaryDirectory(prefix: "postgres-errors")
            _ = try await runMax(["init", project.url.path])
            func connect(_ config: [String], password: String) async throws -> Outcome {
                try await runMax(
                    [
                        "-C", project.url.path, "connect", "postgres", "--name", "pg", "--config", "host=127.0.0.1",
                        "--config", "database=shop", "--config", "user=max", "--credential",
                        "password=env:PGTEST_PASSWORD",
                    ] + config.flatMap { ["--config", $0] },
                    environment: ["PGTEST_PASSWORD": password])
            }
            let wrong = try await connect(["port=\(server.port)"], password: "not-the-password")
            #expect(wrong.status == 1, "\(wrong.output)")
            #expect(wrong.stderr.contains("error[postgres.authentication_failed]"), "\(wrong.stderr)")
            #expect(wrong.stderr.contains("refused the user max"), "\(wrong.stderr)")

            let unreachable = try await connect(["port=1"], password: server.password)
            #expect(unreachable.status == 1, "\(unreachable.output)")
            #expect(unreachable.stderr.contains("error[postgres.unreachable]: cannot reach PostgreSQL at 127.0.0.1:1"))

            let tls = try await connect(["port=\(server.port)", "sslmode=verify-full"], password: server.password)
            #expect(tls.status == 1, "\(tls.output)")
            #expect(tls.stderr.contains("error[postgres.tls_failed]"), "\(tls.stderr)")
            #expect(tls.stderr.contains("does not accept TLS"), "\(tls.stderr)")

            let missing = try await connect(["port=\(server.port)", "tables=public.nope"], password: server.password)
            #expect(missing.status == 2, "\(missing.output)")
            #expect(missing.stderr.contains("public.items"), "the tables there are: \(missing.stderr)")

            // A table named in max.json that is gone by the time of a sync.
            let connected = try await connect(
                ["port=\(server.port)", "tables=public.items"], password: server.password)
            try #require(connected.status == 0, "\(connected.output)")
            // Before a first sync the tables are not known yet, and the error says why.
            let early = try await runMax(["-C", project.url.path, "count", "pg", "items"])
            #expect(early.status == 4, "\(early.output)")
            #expect(early.stderr.contains("pg has never been synced: run \"max sync pg\" first"), "\(early.stderr)")
            try await server.psql("DROP TABLE items", database: "shop")
            let sync = try await runMax(["-C", project.url.path, "sync", "pg"])
            #expect(sync.status == 4, "\(sync.output)")
            #expect(
                sync.stderr.contains("error[postgres.table_not_found]: there is no table public.items"),
                "\(sync.stderr)")
            for outcome in [wrong, unreachable, tls, missing, connected, sync] {
                #expect(!outcome.output.contains(server.password), "the password never shows")
            }
        }
    }
}
