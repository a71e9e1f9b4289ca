public import Foundation

/// ISO-8601 formatting and parsing of dates, the one way Max writes and reads them.
///
/// Output is UTC with milliseconds (`2026-11-23T19:26:00.000Z`). Input accepts that, the same
/// without fractional seconds, any offset (`+02:00`), and a bare date (`2026-11-23`, midnight UTC).
public enum ISO8601 {
    /// Formats `date` as UTC with milliseconds.
    public static func format(_ date: Date) -> String {
        // Round to the millisecond first: formatting a double truncates, so a date read back from
        // milliseconds (…00.123) would print as …00.122.
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = milliseconds / 1000
        var fraction = milliseconds % 1000
        if fraction < 0 {
            seconds -= 1
            fraction += 1000
        }
        let whole = Date(timeIntervalSince1970: Double(seconds)).formatted(withoutFractionalSeconds)
        let digits = String(fraction)
        return whole.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// Parses an ISO-8601 date-time or date; `nil` when `text` is neither.
    public static func parse(_ text: String) -> Date? {
        if let date = try? withFractionalSeconds.parse(text) { return date }
        if let date = try? withoutFractionalSeconds.parse(text) { return date }
        if let date = try? dateOnly.parse(text) { return date }
        return nil
    }

    private static let withFractionalSeconds = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let withoutFractionalSeconds = Date.ISO8601FormatStyle()
    private static let dateOnly = Date.ISO8601FormatStyle().year().month().day()
}
