import Foundation
import MaxCore
import MaxPostgresStore
import MaxQuery
import MaxStorage
import MaxStore

extension LocalNode {
    /// Runs one read-only statement over installations' local data, through views named after
    /// their entity types (``SQLViews``): in their SQLite files, or in the project's PostgreSQL
    /// database, with the same views and limits.
    ///
    /// - Throws: `api.invalid_request` for limits out of range; `installation.not_found`;
    ///   `remote.unsupported` for an installation another node serves; `sql.*`; `storage.*`.
    public func sql(_ request: SQLRequest) async throws -> SQLResult {
        let maxRows = request.maxRows ?? SQLRequest.defaultMaxRows
        guard (1...SQLRequest.maximumMaxRows).contains(maxRows) else {
            throw MaxError.invalidRequest("maxRows must be between 1 and \(SQLRequest.maximumMaxRows), not \(maxRows)")
        }
        let timeout = request.timeout ?? SQLRequest.defaultTimeout
        guard (1...SQLRequest.maximumTimeout).contains(timeout) else {
            throw MaxError.invalidRequest(
                "timeout must be between 1 and \(SQLRequest.maximumTimeout) seconds, not \(timeout)")
        }
        let limits = SQLLimits(maxRows: maxRows, timeout: .seconds(timeout))
        // Each once, in the order given: the first names the views that are unique.
        var names = request.installationNames.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        if names.isEmpty {
            names = try workspace.installations().filter { $0.record.remoteURL == nil }.map(\.name)
            guard !names.isEmpty else {
                throw MaxError(
                    .installationNotFound, "the project has no installation to query",
                    hint: "connect a source first: max connect <connector>")
            }
        }
        for name in names { _ = try localRecord(name) }
        if let shared = try workspace.storage().postgres {
            var sources: [SQLViews.Source] = []
            for name in names {
                let store = try await workspace.readingStore(name, keepingOpen: keptReaders)
                sources.append(SQLViews.Source(name: name, schema: await store.storedSchema, databaseSchema: name))
            }
            let settings = try shared.settings(for: names[0], connections: 1)
            let rows = try await PostgresReadOnlySQL.run(
                request.query, over: sources, settings: settings, limits: limits)
            return SQLResult(columns: rows.columns, rows: rows.rows)
        }
        let rows = try await ReadOnlySQLite.run(
            request.query, over: try names.map { ($0, try workspace.project.dataURL($0)) }, limits: limits)
        return SQLResult(columns: rows.columns, rows: rows.rows)
    }
}

extension LocalNode {
    /// The views `max sql` reads over this node's installations, for agents.
    ///
    /// One line each with its columns and their types (`acme.AcmeTask (_id text, title text, …)`),
    /// as the `max_sql` tool's input schema shows them (its `query` parameter's description).
    public func sqlViewsDescription() async -> String {
        let dialect: SQLDialect = ((try? workspace.storage().postgres) ?? nil) == nil ? .sqlite : .postgres
        return SQLViews(await sqlSources(), dialect: dialect, includeDeleted: false).description
    }

    /// Each local installation with its stored schema (an installation never synced has none).
    func sqlSources() async -> [SQLViews.Source] {
        var sources: [SQLViews.Source] = []
        for (name, record) in (try? workspace.installations()) ?? [] where record.remoteURL == nil {
            guard let schema = try? await Self.schema(of: name, in: workspace) else { continue }
            sources.append(SQLViews.Source(name: name, schema: schema, databaseSchema: name))
        }
        return sources
    }

    /// A few statements over this project's views, made from its schemas: counts by a field,
    /// a join through a ref, counts per month, a JSON array's values (for the first installation
    /// with data), and two installations joined.
    func sqlExamples() async -> [String] {
        let sources = await sqlSources()
        let postgres = ((try? workspace.storage().postgres) ?? nil) != nil
        /// The entity type with the most fields that is not a root.
        func main(_ source: SQLViews.Source) -> EntityDef? {
            source.schema.entities.filter { !source.schema.roots.contains($0.type) }
                .max { $0.fields.count < $1.fields.count }
        }
        var examples: [String] = []
        if let source = sources.first, let def = main(source) {
            let space = SQLViews.qualifier(source.name)
            let name = "\(space).\(def.name)"
            let strings = def.rowFields.filter { $0.type == .string }
            if let field = strings.first(where: \.isIndexed) ?? strings.last {
                examples.append(
                    "SELECT \(field.name), count(*) AS n FROM \(name) GROUP BY \(field.name) ORDER BY n DESC")
            }
            if let ref = def.rowFields.first(where: { $0.type.target != nil }),
                let target = ref.type.target.flatMap({ source.schema.definition(of: $0) }),
                let label = target.rowFields.first(where: { $0.type == .string })
            {
                examples.append(
                    "SELECT r.\(label.name), count(*) AS n FROM \(name) e JOIN \(space).\(target.name) r ON r._id = e.\(ref.name) GROUP BY r.\(label.name) ORDER BY n DESC LIMIT 10"
                )
            }
            if let date = def.rowFields.first(where: { $0.type == .date }) {
                examples.append(
                    "SELECT substr(\(date.name), 1, 7) AS month, count(*) AS n FROM \(name) GROUP BY month ORDER BY month"
                )
            }
            if let json = def.rowFields.first(where: { $0.type == .json }) {
                examples.append(
                    postgres
                        ? "SELECT j, count(*) AS n FROM \(name) e, jsonb_array_elements_text(e.\(json.name)) j GROUP BY j ORDER BY n DESC"
                        : "SELECT j.value, count(*) AS n FROM \(name) e, json_each(e.\(json.name)) j GROUP BY j.value ORDER BY n DESC"
                )
            }
        }
        if sources.count >= 2, let left = main(sources[0]), let right = main(sources[1]),
            let text = right.rowFields.last(where: { $0.type == .string })
        {
            examples.append(
                "SELECT a._id, b._id FROM \(SQLViews.qualifier(sources[0].name)).\(left.name) a JOIN \(SQLViews.qualifier(sources[1].name)).\(right.name) b ON b.\(text.name) LIKE '%' || a._id || '%'"
            )
        }
        return examples
    }
}
