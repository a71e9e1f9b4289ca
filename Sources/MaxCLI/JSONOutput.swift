import MaxCore
import MaxRuntime

/// Prints the API's typed results as JSON: the same objects `max serve` and MCP answer with.
enum JSONOutput {
    /// `value` pretty-printed on standard output (`-o json`).
    static func pretty(_ value: some Encodable) throws {
        Terminal.out(try APICoding.json(value).prettyJSONText)
    }

    /// `value` on one line on standard output (`-o ndjson`).
    static func line(_ value: some Encodable) throws {
        Terminal.out(try APICoding.json(value).jsonText)
    }

    /// Each of `values` on its own line.
    static func lines(_ values: [some Encodable]) throws {
        for value in values { try line(value) }
    }
}
