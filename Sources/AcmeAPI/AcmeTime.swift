import Foundation

/// Acme's timestamps: ISO-8601 in UTC with milliseconds, as the original API writes them.
enum AcmeTime {
    /// Seeded data is dated from this instant on: 2025-01-01T00:00:00Z.
    static let seedEpoch = Date(timeIntervalSince1970: 1_735_689_600)

    static func format(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let whole = Date(timeIntervalSince1970: Double(milliseconds / 1000))
        let fraction = String(milliseconds % 1000)
        let base = whole.formatted(Date.ISO8601FormatStyle())
        return base.dropLast() + "." + String(repeating: "0", count: 3 - fraction.count) + fraction + "Z"
    }

    static func now() -> String { format(Date()) }

    /// A valid ISO-8601 date or date-time, or nil.
    static func isValid(_ text: String) -> Bool {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)) != nil
            || (try? Date.ISO8601FormatStyle().parse(text)) != nil
            || (try? Date.ISO8601FormatStyle().year().month().day().parse(text)) != nil
    }
}
