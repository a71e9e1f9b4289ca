public import Foundation

/// ISO-8601 formatting and parsing of dates, the one way Max writes and reads them.
///
/// Output is UTC with milliseconds (`2026-11-23T19:26:00.000Z`). Input is RFC 3339: that, the same
/// without fractional seconds or with any offset (`+02:00`), and a bare date (`2026-11-23`, midnight
/// UTC).
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

    /// Parses an RFC 3339 date-time (`2026-11-23T19:26:00Z`, with or without a fraction of a
    /// second, with `Z` or an offset such as `+02:00`) or a bare date (`2026-11-23`, midnight UTC);
    /// `nil` for anything else.
    ///
    /// Strict: a date that does not exist (`2026-02-30`), a time without its zone, or trailing text
    /// is refused rather than rolled over or cut short. Read by hand, several times faster than
    /// Foundation's parser, which a sync reading millions of timestamps needs.
    public static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { secondsSince1970(of: $0) }.map(Date.init(timeIntervalSince1970:))
    }

    /// Reads `YYYY-MM-DD`, optionally followed by `THH:MM:SS`, a fraction (`.` and 1 to 9
    /// digits) and `Z` or `±HH:MM`; `nil` for anything else, including out-of-range fields.
    static func secondsSince1970(of bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var index = 0
        func digits(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for offset in 0..<count {
                let digit = Int(bytes[index + offset]) &- 48
                guard digit >= 0, digit <= 9 else { return nil }
                value = value * 10 + digit
            }
            index += count
            return value
        }
        func expect(_ character: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == character else { return false }
            index += 1
            return true
        }
        guard let year = digits(4), expect(UInt8(ascii: "-")), let month = digits(2), (1...12).contains(month),
            expect(UInt8(ascii: "-")), let day = digits(2), day >= 1, day <= daysIn(month, of: year)
        else { return nil }
        let days = daysSince1970(year: year, month: month, day: day)
        if index == bytes.count { return Double(days * 86_400) }
        guard expect(UInt8(ascii: "T")) || expect(UInt8(ascii: "t")), let hour = digits(2), hour < 24,
            expect(UInt8(ascii: ":")),
            let minute = digits(2), minute < 60, expect(UInt8(ascii: ":")), let second = digits(2), second < 60
        else { return nil }
        var fraction = 0.0
        if expect(UInt8(ascii: ".")) {
            var numerator = 0
            var denominator = 1
            while index < bytes.count, denominator < 1_000_000_000, let digit = digits(1) {
                numerator = numerator * 10 + digit
                denominator *= 10
            }
            guard denominator > 1 else { return nil }
            fraction = Double(numerator) / Double(denominator)
        }
        var offset = 0
        if expect(UInt8(ascii: "Z")) || expect(UInt8(ascii: "z")) {
            offset = 0
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let hours = digits(2), hours < 24, expect(UInt8(ascii: ":")), let minutes = digits(2), minutes < 60
            else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let whole = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Double(whole) + fraction
    }

    private static let withoutFractionalSeconds = Date.ISO8601FormatStyle()

    private static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    private static func daysIn(_ month: Int, of year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the given date of the proleptic Gregorian calendar (Howard
    /// Hinnant's `days_from_civil`).
    private static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

}
