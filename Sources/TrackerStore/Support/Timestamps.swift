// UTC timestamps as stored in the database: ISO-8601 with milliseconds, readable by SQLite's date functions.
import Foundation

enum Timestamp {
    /// `2026-11-29T06:01:02.345Z` for `date` (UTC, milliseconds truncated).
    static func string(_ date: Date = Date()) -> String {
        let since1970 = date.timeIntervalSince1970
        var seconds = time_t(since1970.rounded(.down))
        let milliseconds = min(999, Int((since1970 - Double(seconds)) * 1000))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), milliseconds)
    }
}
