import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// `ISO8601.parse` reads RFC 3339 by hand; these check it against Foundation's parser, and that it
/// refuses what Foundation would roll over or cut short.
struct ISO8601Tests {
    private static let foundation = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let foundationWhole = Date.ISO8601FormatStyle()

    @Test func agreesWithFoundationOnRandomInstantsAndOffsets() throws {
        var random = SplitMix64(seed: 8601)
        let offsets = ["Z", "+00:00", "+02:00", "-05:30", "+14:00", "-12:00"]
        for _ in 0..<2000 {
            // 1900-01-01 to 2100-01-01, to the millisecond.
            let milliseconds = Int64.random(in: -2_208_988_800_000...4_102_444_800_000, using: &random)
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            let utc = ISO8601.format(date)
            for offset in offsets {
                let text = offset == "Z" ? utc : try shifted(utc, offset)
                let expected = try Self.foundation.parse(text)
                let parsed = try #require(ISO8601.parse(text), "\(text)")
                #expect(abs(parsed.timeIntervalSince1970 - expected.timeIntervalSince1970) < 0.0005, "\(text)")
            }
            let whole = String(utc.prefix(19)) + "Z"
            #expect(ISO8601.parse(whole) == (try Self.foundationWhole.parse(whole)), "\(whole)")
        }
    }

    @Test(arguments: [
        ("2024-02-29T12:00:00Z", 1_709_208_000.0),
        ("2000-02-29", 951_782_400.0),
        ("2024-02-29t12:00:00z", 1_709_208_000.0),
        ("1969-12-31T23:59:59.5Z", -0.5),
        ("2026-11-24T10:00:00.123456789+01:00", 1_795_510_800.123456789),
    ])
    func readsEdgeCases(_ text: String, _ seconds: Double) throws {
        let date = try #require(ISO8601.parse(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 1e-6)
    }

    @Test(arguments: [
        "2023-02-29", "2026-04-31", "2026-00-10", "2026-11-24T24:00:00Z", "2026-11-24T10:60:00Z",
        "2026-11-24T10:00:61Z", "2026-11-24T10:00:00", "2026-11-24T10:00:00.Z", "2026-11-24 10:00:00Z",
        "2026-11-24T10:00:00Zjunk", "20261124", "", "2026-11-24T10:00:00+2:00",
    ])
    func rejectsWhatIsNotADate(_ text: String) {
        #expect(ISO8601.parse(text) == nil, "\(text)")
    }

    /// `utc` (…Z) written as the same instant at `offset` (±HH:MM).
    private func shifted(_ utc: String, _ offset: String) throws -> String {
        let sign = offset.hasPrefix("-") ? -1.0 : 1.0
        let parts = offset.dropFirst().split(separator: ":").compactMap { Double($0) }
        let seconds = sign * (parts[0] * 3600 + parts[1] * 60)
        let date = try #require(ISO8601.parse(utc)).addingTimeInterval(seconds)
        return String(ISO8601.format(date).dropLast()) + offset
    }
}
