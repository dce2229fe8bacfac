// Escaping text for XML and HTML, and writing numbers into markup deterministically.
import Foundation

/// Text and numbers as they go into SVG and HTML.
public enum XMLText {
    /// `text` safe inside an element or a quoted attribute: `& < > " '` as entities, and the characters XML 1.0
    /// forbids (control characters other than tab, newline and return; U+FFFE, U+FFFF) replaced by U+FFFD.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            case "\t", "\n", "\r": escaped.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF || scalar.value == 0x7F {
                    escaped += "\u{FFFD}"
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return escaped
    }

    /// A coordinate with at most two decimals, trailing zeros dropped ("12.5", "3", "-0.25"); the same value always
    /// gives the same text.
    public static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        return Ticks.trimmed(value, decimals: 2)
    }

    /// `identifier` with anything but ASCII letters, digits, `-` and `_` made `_` (for SVG and HTML ids).
    public static func identifier(_ identifier: String) -> String {
        let kept = identifier.unicodeScalars.map { scalar -> Character in
            let value = scalar.value
            let isAllowed = (0x30...0x39).contains(value) || (0x41...0x5A).contains(value)
                || (0x61...0x7A).contains(value) || value == 0x2D || value == 0x5F
            return isAllowed ? Character(scalar) : "_"
        }
        return kept.isEmpty ? "figure" : String(kept)
    }
}
