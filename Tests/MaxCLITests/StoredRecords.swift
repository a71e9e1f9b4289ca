import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// What a connector's tests compare with its source: the stored records of one type, by id.
enum StoredRecords {
    /// The records of `type` in `installation`, by id, with `fields`: nulls left out, dates as
    /// instants (sources write whole seconds, Max milliseconds).
    static func of(_ folder: TemporaryDirectory, _ installation: String, _ type: String, _ fields: [String])
        async throws -> [String: JSONValue]
    {
        let outcome = try await runMax([
            "-C", folder.url.path, "search", installation, type, "-a", "-o", "ndjson", "--fields",
            (["_id"] + fields).joined(separator: ","),
        ])
        try #require(outcome.status == 0, "\(outcome.stderr)")
        var rows: [String: JSONValue] = [:]
        for line in outcome.stdout.split(separator: "\n") {
            let row = try JSONValue(parsing: String(line))
            guard let id = row["_id"]?.stringValue else { continue }
            rows[id] = .object(
                (row.objectValue ?? [:]).filter { $0.key != "_id" && $0.value != .null }.mapValues(normalised))
        }
        return rows
    }

    /// A date as the instant it names, anything else as it is.
    static func normalised(_ value: JSONValue) -> JSONValue {
        if let text = value.stringValue, text.count >= 20, let date = ISO8601.parse(text) {
            return .string(ISO8601.format(date))
        }
        return value
    }

    /// Expects `stored` to hold exactly `wanted`, naming the first record that differs.
    static func expectSame(_ type: String, stored: [String: JSONValue], wanted: [String: JSONValue]) {
        #expect(stored.count == wanted.count, "\(type): \(stored.count) stored, \(wanted.count) at the source")
        for (id, record) in wanted.sorted(by: { $0.key < $1.key }) where stored[id] != record {
            Issue.record(
                "\(type) \(id): stored \(stored[id]?.jsonText ?? "nothing"), the source has \(record.jsonText)")
            return
        }
    }
}
