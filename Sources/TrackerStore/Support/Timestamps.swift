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

extension Timestamp {
    /// The date of a stored timestamp (`2026-11-29T06:01:02.345Z`, milliseconds optional), or nil when malformed.
    static func date(_ text: String) -> Date? {
        let parts = text.split(whereSeparator: { "-T:.Z".contains($0) }).map { Int($0) }
        guard parts.count >= 6, parts.allSatisfy({ $0 != nil }), text.hasSuffix("Z") else { return nil }
        var fields = tm()
        fields.tm_year = Int32(parts[0]! - 1900)
        fields.tm_mon = Int32(parts[1]! - 1)
        fields.tm_mday = Int32(parts[2]!)
        fields.tm_hour = Int32(parts[3]!)
        fields.tm_min = Int32(parts[4]!)
        fields.tm_sec = Int32(parts[5]!)
        let seconds = timegm(&fields)
        let milliseconds = parts.count > 6 ? Double(parts[6]!) / 1000 : 0
        return Date(timeIntervalSince1970: Double(seconds) + milliseconds)
    }
}
