import Foundation
import MaxCore

extension LocalNode {
    /// A guide for AI agents to this project, generated from what is there now: its installations,
    /// their entity types and fields, the filter grammar, output formats, pagination, and the rule
    /// to sync or invoke only with the user's consent (`max llm-bootstrap`).
    public func agentGuide() async throws -> String {
        var lines: [String] = [
            "# Max: a guide for agents",
            "",
            "Max keeps local copies of the user's tools (SaaS APIs, local tools) and answers queries from them:",
            "instant, no rate limits, no API calls. Read freely; never sync or invoke without the user's consent.",
            "",
            "## This project (\(workspace.project.root.path))",
            "",
        ]
        let installations = try workspace.installations()
        if installations.isEmpty {
            lines.append("No installations yet. The user connects one with `max connect <connector>`.")
        }
        for (name, record) in installations {
            let state = try? await MaxNodes(local: self).installation(InstallationRequest(installation: name))
            let sync =
                state.map {
                    "\($0.status), \($0.entities ?? 0) entities"
                        + ($0.lastSync.map { ", last synced \(ISO8601.format($0))" } ?? "")
                }
                ?? "unreadable"
            lines.append("### \(name) (\(record.connector); \(sync))")
            lines.append("")
            if let schema = try? await Self.schema(of: name, in: workspace) {
                for entity in schema.entities where !schema.roots.contains(entity.type) {
                    let fields = entity.fields.map { "\($0.name) (\($0.type.displayName))" }.joined(separator: ", ")
                    lines.append("- `\(entity.name)`: \(fields)")
                }
            }
            lines.append("")
        }
        lines += [
            "## Reading",
            "",
            "- Count first when you only need how many: `max count <installation> <EntityType> --filter '<expr>'`.",
            "- Search: `max search <installation> <EntityType> --filter '<expr>' --fields a,b --order-by field:desc --limit 50 -o ndjson`.",
            "  `-o ndjson` prints one JSON object per line, then `{\"_meta\": {\"hasMore\": …, \"cursor\": …}}`;",
            "  pass `--after <cursor>` for the next page, or `--all` to stream every page. `-o json` and `-o csv` exist too.",
            "- `--fields` takes field names, or `.props` (all fields, the default), `.meta` (_id and timestamps), `.all`.",
            "  A ref's target's field is `ref.field` (`--fields title,assignee.displayName`), through as many refs as needed.",
            "- `max schema <installation>` lists the types and fields; `max ls` the installations and their sync status.",
            "",
            "## Filters",
            "",
            "- Comparisons: `=`, `!=`, `>`, `>=`, `<`, `<=`; `~=` contains (any case); `IN (\"a\", \"b\")`; `IS NULL`, `IS NOT NULL`.",
            "- Combine with `AND`, `OR`, `NOT` and parentheses; `OR` binds loosest.",
            "- Strings in \"double\" or 'single' quotes; numbers and `true`/`false` bare; dates as ISO-8601 strings",
            "  (`dueDate < \"2026-12-01\"`); a ref compares with the target's id (`assignee = \"usr_…\"`).",
            "- A name with dots follows refs and collections: `assignee.role = \"admin\"`; a collection holds when any",
            "  member does (`tasks.status = \"todo\"`). `max schema` lists what each type can follow.",
            "- A value must fit its field's type: a wrong one is an error naming the column, not an empty result.",
            "",
            "## SQL",
            "",
            "Questions a filter cannot ask (GROUP BY, joins, several installations at once) take one read-only",
            "statement: `max sql [<installation>…] \"<SELECT …>\" -o json` (or the MCP tool max_sql). Each entity type",
            "is a view named after it (`AcmeTask`, or `acme.AcmeTask` to join installations); its columns are `_id`, the",
            "fields (dates as ISO-8601 text in UTC, refs as the target's `_id`, JSON as text for `json_each`), `_synced_at`,",
            "`_deleted_at` and `_deleted`; a collection field is a view `Type_field` (`owner_id`, `member_id`). Entities",
            "deleted upstream appear only when the statement names `_deleted` or `_deleted_at`. No writes; at most",
            "`--max-rows` rows (10,000) and `--timeout` seconds (10). For example, over this project:",
            "",
        ]
        let examples = await sqlExamples()
        lines += examples.isEmpty ? ["(None yet: sync an installation first.)"] : examples.map { "    \($0)" }
        lines += [
            "",
            "## Acting (only with the user's consent)",
            "",
            "- `max sync <installation>` refreshes the local copy from the source.",
            "- `max ops <installation>` lists operations and their input schemas; `max invoke <installation> <operation>",
            "  --input '<json>' --idempotency-key <key>` runs one. Always pass an idempotency key, so a retry never acts twice.",
            "",
            "## Errors",
            "",
            "Errors read `error[<code>]: <message>` with a `hint:` saying what to do; exit codes: 0 ok, 1 failed, 2 bad input,",
            "3 partial, 4 not found. With `-o json|ndjson` the error is also one JSON line on stderr.",
            "",
            "Agents that speak MCP can use `max mcp` instead (tools max_ls, max_schema, max_search, max_count, max_sql, …).",
        ]
        return lines.joined(separator: "\n")
    }
}
