import Foundation
import GRDB

/// SQL functions Max registers on every connection.
enum TextFunctions {
    /// `max_icontains(haystack, needle)`: whether `needle` occurs in `haystack`, ignoring case, with full Unicode case
    /// folding.
    ///
    /// Used for `~=` when the needle is not plain ASCII (ASCII needles use SQLite's faster `instr(lower(…))`).
    static let containsIgnoringCase = DatabaseFunction("max_icontains", argumentCount: 2, pure: true) { values in
        guard let haystack = String.fromDatabaseValue(values[0]),
            let needle = String.fromDatabaseValue(values[1])
        else { return false }
        return haystack.range(of: needle, options: [.caseInsensitive]) != nil
    }
}
