// Parsing comma-separated classification data (whole-number features, then the class) byte by byte.
import Foundation
import TrackerEngine

/// A data file or data set specification that cannot be read, said in one line naming the file and the problem.
public struct DatasetFormatError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// The setting at fault when it is not the data itself (e.g. "label_column", "shape"); nil: the data.
    public let setting: String?

    public init(description: String, setting: String? = nil) {
        self.description = description
        self.setting = setting
    }
}

enum CSVClassification {
    /// Parses lines of `featureCount` whole numbers in `0...maximumValue` followed by a class label in
    /// `0..<classCount`, separated by commas. Feature `v` becomes `v / maximumValue` (correctly rounded
    /// Float division), so features lie in [0, 1].
    ///
    /// Reads bytes directly, with no String or Float parsing (mnist-5k's 3.9 M fields take about 20 ms in a
    /// release build): a field is 1 to 9 ASCII digits (no sign, point, exponent or spaces); lines end in LF or
    /// CRLF and the last may have no line end; empty lines are skipped. Line numbers in errors count every line
    /// from 1. A fast path accepts well-formed lines; a line it rejects is re-read field by field to name the
    /// first problem, in this order: field count, features from the left, label.
    ///
    /// Example: `parse(Array("0,16,1\n".utf8), name: "toy", featureCount: 2, classCount: 2, maximumValue: 16)`
    /// is one sample with features [0, 1] and label 1.
    ///
    /// - Precondition: `featureCount` ≥ 1, `classCount` ≥ 1, `maximumValue` in 1...65535.
    /// - Throws: ``DatasetFormatError`` naming the line for a wrong field count, a field that is not a whole
    ///   number in range, a label outside `0..<classCount`, or input with no samples.
    static func parse(_ bytes: [UInt8], name: String, featureCount: Int, classCount: Int,
                      maximumValue: Int) throws -> Dataset {
        precondition(featureCount >= 1 && classCount >= 1 && (1...65535).contains(maximumValue),
                     "feature count \(featureCount), class count \(classCount), maximum \(maximumValue)")
        let format = Format(name: name, featureCount: featureCount, classCount: classCount,
                            maximumValue: maximumValue)
        let scaled = (0...maximumValue).map { Float($0) / Float(maximumValue) }
        // At most one sample per line: the line count bounds the output.
        let lineCount = bytes.withUnsafeBufferPointer { input in
            var count = 1
            var search = 0
            while let newline = index(of: lineFeed, in: input, from: search) {
                count += 1
                search = newline + 1
            }
            return count
        }
        var labels: [Int32] = []
        labels.reserveCapacity(lineCount)
        let features = try bytes.withUnsafeBufferPointer { input in
            try scaled.withUnsafeBufferPointer { scaled in
                try [Float](unsafeUninitializedCapacity: lineCount * featureCount) { output, initialized in
                    initialized = 0
                    var lineStart = 0
                    var lineNumber = 0
                    while lineStart < input.count {
                        lineNumber += 1
                        let lineEnd = index(of: lineFeed, in: input, from: lineStart) ?? input.count
                        defer { lineStart = lineEnd + 1 }
                        var contentEnd = lineEnd
                        if contentEnd > lineStart && input[contentEnd - 1] == carriageReturn { contentEnd -= 1 }
                        if contentEnd == lineStart { continue }
                        // Fast path: each field is 1...maximumDigits digits in range, ending in a comma (the label:
                        // in the line end). Anything else goes to `diagnose`, which names the first problem.
                        var cursor = lineStart
                        var written = initialized
                        let lineFeaturesEnd = written + featureCount
                        while written < lineFeaturesEnd {
                            // Most pixels are 0, in runs: "0,0,0,0," (one 8-byte compare) skips the digit loop.
                            if lineFeaturesEnd - written >= 4 && contentEnd - cursor > 8
                                && UnsafeRawPointer(input.baseAddress! + cursor).loadUnaligned(as: UInt64.self)
                                    == fourZeroFields {
                                output[written] = 0
                                output[written + 1] = 0
                                output[written + 2] = 0
                                output[written + 3] = 0
                                written += 4
                                cursor += 8
                                continue
                            }
                            let (value, end) = readDigits(input, from: cursor, to: contentEnd)
                            guard end - cursor >= 1 && end - cursor <= maximumDigits && end < contentEnd
                                    && input[end] == comma && value <= maximumValue else {
                                throw format.diagnose(input[lineStart..<contentEnd], lineNumber: lineNumber)
                            }
                            output[written] = scaled[value]
                            written += 1
                            cursor = end + 1
                        }
                        let (label, end) = readDigits(input, from: cursor, to: contentEnd)
                        guard end - cursor >= 1 && end - cursor <= maximumDigits && end == contentEnd
                                && label < classCount else {
                            throw format.diagnose(input[lineStart..<contentEnd], lineNumber: lineNumber)
                        }
                        labels.append(Int32(label))
                        initialized = written
                    }
                }
            }
        }
        guard !labels.isEmpty else { throw DatasetFormatError(description: "\(name): no samples") }
        return try Dataset(name: name, featureCount: featureCount, classCount: classCount, features: features,
                           labels: labels)
    }

    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let comma = UInt8(ascii: ",")
    private static let zero = UInt8(ascii: "0")
    /// "0,0,0,0," read as a little-endian UInt64.
    private static let fourZeroFields = UInt64(littleEndian: 0x2C30_2C30_2C30_2C30)
    /// The most digits a field may have: enough for any Int32 label below 10⁹, few enough that the digit loop
    /// cannot overflow before the length check rejects a longer field.
    private static let maximumDigits = 9
    private typealias Bytes = Slice<UnsafeBufferPointer<UInt8>>

    /// The value of the ASCII digits from `start` up to the first other byte or `end`, and where they stop.
    /// Wraps silently past 18 digits: callers reject fields longer than `maximumDigits`.
    @inline(__always)
    private static func readDigits(_ input: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int)
        -> (value: Int, end: Int) {
        var cursor = start
        var value = 0
        while cursor < end {
            let digit = input[cursor] &- zero
            guard digit < 10 else { break }
            value = value &* 10 &+ Int(digit)
            cursor += 1
        }
        return (value, cursor)
    }

    /// The index of the first `byte` in `buffer` at or after `start`, or nil (memchr: fast in debug builds too).
    private static func index(of byte: UInt8, in buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < buffer.count, let base = buffer.baseAddress,
              let found = memchr(base + start, Int32(byte), buffer.count - start) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// What a line should hold, for error messages.
    private struct Format {
        let name: String
        let featureCount: Int
        let classCount: Int
        let maximumValue: Int

        /// The first problem of a line the fast path rejected (without its line end): the field count, then
        /// each feature from the left, then the label.
        func diagnose(_ line: Bytes, lineNumber: Int) -> DatasetFormatError {
            let fields = line.split(separator: comma, omittingEmptySubsequences: false)
            guard fields.count == featureCount + 1 else {
                return DatasetFormatError(description: "\(name): line \(lineNumber) has \(fields.count) fields, "
                                          + "expected \(featureCount + 1)")
            }
            for (position, field) in fields.enumerated() {
                let value = wholeNumber(field)
                if position < featureCount, value.map({ $0 > maximumValue }) ?? true {
                    return DatasetFormatError(description: "\(name): line \(lineNumber), field \(position + 1): "
                                              + "'\(quoted(field))' is not a whole number in 0...\(maximumValue)")
                }
                if position == featureCount, value.map({ $0 >= classCount }) ?? true {
                    return DatasetFormatError(description: "\(name): line \(lineNumber): label '\(quoted(field))' "
                                              + "is not a class in 0..<\(classCount)")
                }
            }
            preconditionFailure("line \(lineNumber) was rejected but has no problem")  // fast path and diagnosis disagree
        }

        /// The field's value if it is 1 to `maximumDigits` ASCII digits, else nil.
        private func wholeNumber(_ field: Bytes) -> Int? {
            guard (1...maximumDigits).contains(field.count), field.allSatisfy({ (zero...zero + 9).contains($0) })
            else { return nil }
            return field.reduce(0) { $0 * 10 + Int($1 - zero) }
        }

        /// At most 24 bytes of the field, control characters escaped, so the message stays one short line.
        private func quoted(_ field: Bytes) -> String {
            let text = String(decoding: field.prefix(24), as: UTF8.self).unicodeScalars
                .map { $0.escaped(asASCII: false) }.joined()
            return field.count > 24 ? text + "…" : text
        }
    }
}
