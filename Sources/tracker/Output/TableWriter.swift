// Formats result tables for people (aligned columns) and scripts (CSV, JSON).
import Foundation
import TrackerStore

enum TableWriter {
    /// The table in `format`, ending with a newline (empty tables print their header, or `[]`).
    static func render(_ table: ResultTable, as format: OutputFormat) -> String {
        switch format {
        case .table: return aligned(table)
        case .csv: return csv(table)
        case .json: return json(table) + "\n"
        case .markdown: return markdown(table)
        }
    }

    /// Columns padded to their widest cell; numbers right-aligned; reals to 6 significant digits.
    static func aligned(_ table: ResultTable) -> String {
        aligned(header: table.columns, cells: table.rows.map { $0.map(humanText) },
                rightAligned: numericColumns(table))
    }

    /// Text cells padded to each column's widest cell, `rightAligned` columns padded on the left.
    static func aligned(header: [String], cells: [[String]], rightAligned: [Bool]) -> String {
        var widths = header.map(\.count)
        for row in cells { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        func line(_ values: [String]) -> String {
            var line = values.enumerated().map { index, value in
                let padding = String(repeating: " ", count: widths[index] - value.count)
                return rightAligned[index] ? padding + value : value + padding
            }.joined(separator: "  ")
            while line.last?.isWhitespace == true { line.removeLast() }
            return line
        }
        var lines = [line(header), line(widths.map { String(repeating: "-", count: $0) })]
        lines += cells.map(line)
        return lines.joined(separator: "\n") + "\n"
    }

    /// A GitHub-flavoured Markdown table, numbers right-aligned, reals as in the aligned table.
    static func markdown(_ table: ResultTable) -> String {
        markdown(header: table.columns, cells: table.rows.map { $0.map(humanText) },
                 rightAligned: numericColumns(table))
    }

    /// A GitHub-flavoured Markdown table of text cells; `|` is escaped and line breaks become spaces.
    static func markdown(header: [String], cells: [[String]], rightAligned: [Bool]) -> String {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
        func line(_ values: [String]) -> String { "| " + values.map(escape).joined(separator: " | ") + " |" }
        var lines = [line(header), "|" + rightAligned.map { $0 ? " ---: |" : " --- |" }.joined()]
        lines += cells.map(line)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Columns whose every value is a number or NULL (and that have rows).
    static func numericColumns(_ table: ResultTable) -> [Bool] {
        table.columns.indices.map { index in
            !table.rows.isEmpty && table.rows.allSatisfy { row in
                switch row[index] { case .integer, .real, .null: true; default: false }
            }
        }
    }

    static func humanText(_ value: SQLValue) -> String {
        switch value {
        case .null: return ""
        case .integer(let integer): return String(integer)
        case .real(let real): return formatReal(real)
        case .text(let text): return text.utf8.contains(10) ? text.replacingOccurrences(of: "\n", with: " ") : text
        case .blob(let bytes): return "<\(bytes.count) bytes>"
        }
    }

    /// A real with at most 6 significant digits and no trailing zeros: 0.961111, 12.3457, 1.5e-07.
    static func formatReal(_ real: Double) -> String {
        // C's formatter, and the zeros trimmed in its buffer: Foundation's String(format:) and String edits cost
        // microseconds a call, which shows over thousands of rows.
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
            let length = Int(withVaList([real]) { vsnprintf(buffer.baseAddress!, 32, "%.6g", $0) })
            var end = min(length, 31)
            let text = UnsafeBufferPointer(rebasing: buffer[0..<end])
            if text.contains(46 /* . */) && !text.contains(101 /* e */) {
                while end > 0 && buffer[end - 1] == 48 /* 0 */ { end -= 1 }
                if end > 0 && buffer[end - 1] == 46 { end -= 1 }
            }
            buffer[end] = 0
            return String(cString: buffer.baseAddress!)
        }
    }

    /// RFC 4180 CSV: a header line, then one line per row; reals in full precision.
    static func csv(_ table: ResultTable) -> String {
        func field(_ text: String) -> String {
            text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        var lines = [table.columns.map(field).joined(separator: ",")]
        for row in table.rows {
            lines.append(row.map { value in
                switch value {
                case .real(let real): return "\(real)"
                case .blob(let bytes): return Data(bytes).base64EncodedString()
                default: return field(humanText(value))
                }
            }.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A JSON array with one object per row, keys in column order; blobs as base64 strings.
    static func json(_ table: ResultTable) -> String {
        let objects = table.rows.map { row in
            "{" + zip(table.columns, row).map { "\(JSONText.string($0)):\(JSONText.value($1))" }.joined(separator: ",") + "}"
        }
        return "[" + objects.joined(separator: ",\n ") + "]"
    }
}

/// JSON text for values, written by hand so keys keep the columns' order.
enum JSONText {
    static func value(_ value: SQLValue) -> String {
        switch value {
        case .null: return "null"
        case .integer(let integer): return String(integer)
        case .real(let real): return real.isFinite ? "\(real)" : "null"
        case .text(let text): return string(text)
        case .blob(let bytes): return string(Data(bytes).base64EncodedString())
        }
    }

    /// `text` as a JSON string literal.
    static func string(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }

    /// `{"key": value, ...}` from ordered pairs of already-encoded JSON values.
    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { "\(string($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }
}
