// Users' CSV files: a label column and numeric feature columns, parsed line by line from streamed chunks.
import Foundation
import TrackerEngine

/// Whether a CSV file's first line names its columns.
public enum CSVHeader: String, Sendable, CaseIterable, Codable {
    /// A header when any field of the first line is not a number.
    case auto
    case yes
    case no
}

/// Which CSV column holds the labels: `last`, `first`, a 1-based column number, or a header name.
public enum LabelColumn: Sendable, Equatable, CustomStringConvertible {
    case first, last
    /// 1-based.
    case number(Int)
    case name(String)

    /// Parses "last", "first", "3" (1-based) or a header name.
    public init(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch trimmed.lowercased() {
        case "last": self = .last
        case "first": self = .first
        default: self = Int(trimmed).map { .number($0) } ?? .name(trimmed)
        }
    }

    public var description: String {
        switch self {
        case .first: "first"
        case .last: "last"
        case .number(let number): "\(number)"
        case .name(let name): name
        }
    }
}

/// A CSV file read as samples: one label column (whole numbers ≥ 0) and every other column a feature, taken as
/// the number it is (no scaling). Fields are separated by commas (by tabs in a `.tsv` file, or when the first line
/// has tabs and no commas; by semicolons when it has only those); lines end in LF or CRLF; empty lines are
/// skipped; spaces around a field and one pair of double quotes are ignored. Numbers are read by `strtof` (decimal,
/// exponent), plain integers by a fast path; NaN and infinities are refused.
struct CSVFile {
    let path: String
    let labelColumn: LabelColumn
    let header: CSVHeader

    /// Reads the file, streamed chunk by chunk (gzip inflated on the way).
    ///
    /// - Throws: ``DatasetFormatError`` naming the file and, for a bad field, its line and column: an empty file
    ///   or one with only a header, a non-numeric or non-finite cell, a line with another number of fields, a
    ///   label that is not a whole number ≥ 0; with `setting` "label_column" for a label column the file does
    ///   not have.
    func read(chunkSize: Int = ByteChunks.chunkSize) throws(DatasetFormatError) -> (samples: FeatureArray, labels: [Int32]) {
        var parser = LineParser(path: path, labelColumn: labelColumn, header: header,
                                delimiter: path.lowercased().replacingOccurrences(of: ".gz", with: "").hasSuffix(".tsv")
                                    ? UInt8(ascii: "\t") : nil)
        do {
            try ByteChunks.forEach(in: path, chunkSize: chunkSize) { try parser.consume($0) }
            try parser.finish()
        } catch {
            throw error as? DatasetFormatError ?? DatasetFormatError(description: "\(path): \(error)")
        }
        guard !parser.labels.isEmpty else {
            throw DatasetFormatError(description: "\(path): no samples"
                                     + (parser.columnCount == nil ? " (the file is empty)" : " (only a header line)"))
        }
        let featureCount = parser.columnCount! - 1
        return (FeatureArray(sampleShape: .features(featureCount), count: parser.labels.count,
                             features: parser.features), parser.labels)
    }

    /// Splits streamed chunks into lines and lines into fields.
    private struct LineParser {
        let path: String
        let labelColumn: LabelColumn
        let header: CSVHeader
        var delimiter: UInt8?
        var lineNumber = 0
        var carry: [UInt8] = []
        /// Fields per line, set by the first non-empty line.
        var columnCount: Int?
        var labelIndex = 0
        var features: [Float] = []
        var labels: [Int32] = []

        init(path: String, labelColumn: LabelColumn, header: CSVHeader, delimiter: UInt8?) {
            self.path = path
            self.labelColumn = labelColumn
            self.header = header
            self.delimiter = delimiter
        }

        mutating func consume(_ chunk: UnsafeRawBufferPointer) throws {
            var start = 0
            while let newline = Self.index(of: UInt8(ascii: "\n"), in: chunk, from: start) {
                if carry.isEmpty {
                    try line(UnsafeRawBufferPointer(rebasing: chunk[start..<newline]))
                } else {
                    carry.append(contentsOf: chunk[start..<newline])
                    let whole = carry
                    carry.removeAll(keepingCapacity: true)
                    try whole.withUnsafeBytes { (bytes) in try line(bytes) }
                }
                start = newline + 1
            }
            carry.append(contentsOf: chunk[start...])
        }

        mutating func finish() throws {
            guard !carry.isEmpty else { return }
            let last = carry
            carry = []
            try last.withUnsafeBytes { (bytes) in try line(bytes) }
        }

        /// One line, without its LF.
        private mutating func line(_ raw: UnsafeRawBufferPointer) throws {
            lineNumber += 1
            var end = raw.count
            while end > 0 && (raw[end - 1] == UInt8(ascii: "\r") || raw[end - 1] == UInt8(ascii: " ")
                              || raw[end - 1] == UInt8(ascii: "\t")) {
                end -= 1
            }
            guard end > 0 else { return }
            let content = UnsafeRawBufferPointer(rebasing: raw[..<end])
            guard let columnCount else { return try firstLine(content) }
            try sample(content, columnCount: columnCount)
        }

        /// Decides the delimiter, the header and the label column from the first non-empty line.
        private mutating func firstLine(_ content: UnsafeRawBufferPointer) throws {
            if delimiter == nil {
                let has = { (byte: Character) in content.contains(UInt8(ascii: byte.unicodeScalars.first!)) }
                delimiter = has(",") ? UInt8(ascii: ",") : has("\t") ? UInt8(ascii: "\t")
                    : has(";") ? UInt8(ascii: ";") : UInt8(ascii: ",")
            }
            let fields = split(content)
            let isHeader = switch header {
            case .yes: true
            case .no: false
            case .auto: fields.contains { Self.number(UnsafeRawBufferPointer(rebasing: content[$0])) == nil }
            }
            let names = isHeader ? fields.map { Self.text(UnsafeRawBufferPointer(rebasing: content[$0])) } : []
            func settingError(_ problem: String) -> DatasetFormatError {
                DatasetFormatError(description: "\(path): \(problem)", setting: "label_column")
            }
            guard fields.count >= 2 else {
                throw DatasetFormatError(description: "\(path): line \(lineNumber) has \(fields.count) field; a "
                                         + "sample needs a label and at least one feature (fields are separated by "
                                         + "commas, tabs or semicolons)")
            }
            switch labelColumn {
            case .last: labelIndex = fields.count - 1
            case .first: labelIndex = 0
            case .number(let number):
                guard (1...fields.count).contains(number) else {
                    throw settingError("label column \(number) is not one of its \(fields.count) columns")
                }
                labelIndex = number - 1
            case .name(let name):
                guard isHeader else {
                    throw settingError("label column '\(name)' needs a header line, and the first line is numbers")
                }
                guard let index = names.firstIndex(of: name) else {
                    let listed = names.prefix(8).joined(separator: ", ") + (names.count > 8 ? ", …" : "")
                    throw settingError("no column named '\(name)' (columns: \(listed))")
                }
                labelIndex = index
            }
            columnCount = fields.count
            if !isHeader { try sample(content, columnCount: fields.count) }
        }

        /// One data line: its features and its label.
        private mutating func sample(_ content: UnsafeRawBufferPointer, columnCount: Int) throws {
            let delimiter = self.delimiter!
            var fieldCount = 1
            var search = 0
            while let found = Self.index(of: delimiter, in: content, from: search) {
                fieldCount += 1
                search = found + 1
            }
            guard fieldCount == columnCount else {
                throw DatasetFormatError(description: "\(path): line \(lineNumber) has \(fieldCount) fields, expected "
                                         + "\(columnCount)")
            }
            var column = 0
            var start = 0
            while true {
                let end = Self.index(of: delimiter, in: content, from: start) ?? content.count
                let field = UnsafeRawBufferPointer(rebasing: content[start..<end])
                guard let value = Self.number(field), value.isFinite else {
                    let shown = Self.quoted(field)
                    let what = Self.number(field) == nil ? "is not a number" : "is not a finite number"
                    throw DatasetFormatError(description: "\(path): line \(lineNumber), column \(column + 1): "
                                             + "\(column == labelIndex ? "label " : "")'\(shown)' \(what)")
                }
                if column == labelIndex {
                    guard value >= 0, value == value.rounded(), value < 2_147_483_648 else {
                        throw DatasetFormatError(description: "\(path): line \(lineNumber), column \(column + 1): "
                                                 + "label '\(Self.quoted(field))' is "
                                                 + (value < 0 ? "negative" : value == value.rounded()
                                                    ? "too large" : "not a whole number"))
                    }
                    labels.append(Int32(value))
                } else {
                    features.append(value)
                }
                column += 1
                guard end < content.count else { break }
                start = end + 1
            }
        }

        /// The ranges of the fields of `content`.
        private func split(_ content: UnsafeRawBufferPointer) -> [Range<Int>] {
            var ranges: [Range<Int>] = []
            var start = 0
            while true {
                let end = Self.index(of: delimiter!, in: content, from: start) ?? content.count
                ranges.append(start..<end)
                guard end < content.count else { return ranges }
                start = end + 1
            }
        }

        /// The field without surrounding spaces and one pair of double quotes.
        private static func trimmed(_ field: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
            var start = 0
            var end = field.count
            while start < end && (field[start] == 0x20 || field[start] == 0x09) { start += 1 }
            while end > start && (field[end - 1] == 0x20 || field[end - 1] == 0x09) { end -= 1 }
            if end - start >= 2 && field[start] == 0x22 && field[end - 1] == 0x22 {
                start += 1
                end -= 1
            }
            return UnsafeRawBufferPointer(rebasing: field[start..<end])
        }

        /// The field's text, trimmed, for header names.
        private static func text(_ field: UnsafeRawBufferPointer) -> String {
            String(decoding: trimmed(field), as: UTF8.self)
        }

        /// At most 24 characters of the field, for messages.
        private static func quoted(_ field: UnsafeRawBufferPointer) -> String {
            let text = String(decoding: field.prefix(24), as: UTF8.self).unicodeScalars
                .map { $0.escaped(asASCII: false) }.joined()
            return field.count > 24 ? text + "…" : text
        }

        /// The number in the field, or nil if it is not one (empty, or not entirely a number). Plain integers of up
        /// to 18 digits take a fast path (Float(Int) rounds correctly); anything else goes to `strtof`.
        static func number(_ raw: UnsafeRawBufferPointer) -> Float? {
            let field = trimmed(raw)
            guard !field.isEmpty else { return nil }
            var index = 0
            let negative = field[0] == UInt8(ascii: "-")
            if negative || field[0] == UInt8(ascii: "+") { index = 1 }
            var value = 0
            let digitsStart = index
            while index < field.count, field[index] &- 0x30 < 10, index - digitsStart < 18 {
                value = value * 10 + Int(field[index] &- 0x30)
                index += 1
            }
            if index == field.count && index > digitsStart { return Float(negative ? -value : value) }
            guard field.count < 256 else { return nil }
            return withUnsafeTemporaryAllocation(of: CChar.self, capacity: field.count + 1) { buffer in
                for position in 0..<field.count { buffer[position] = CChar(bitPattern: field[position]) }
                buffer[field.count] = 0
                var end: UnsafeMutablePointer<CChar>?
                let parsed = strtof(buffer.baseAddress!, &end)
                return end == buffer.baseAddress! + field.count ? parsed : nil
            }
        }

        /// The index of the first `byte` in `buffer` at or after `start`, or nil (memchr).
        static func index(of byte: UInt8, in buffer: UnsafeRawBufferPointer, from start: Int) -> Int? {
            guard start < buffer.count, let base = buffer.baseAddress,
                  let found = memchr(base + start, Int32(byte), buffer.count - start) else { return nil }
            return base.distance(to: UnsafeRawPointer(found))
        }
    }
}
