// Reading activation matrices (samples × units) from .npy, .npz and .csv files, for `tracker correlate` and `ingest`.
//
// A reader of its own beside TrackerDatasets' (which decodes training data into Float): this one reads one 2-D float
// or integer array and keeps float64 as float64, since statistics of float64 activations are computed in float64
// end to end (1e6 + 1e-3 noise does not survive a round to Float). Archives are read by ZIPFoundation, as there.
import Foundation
import ZIPFoundation

/// A (samples, units) matrix of activations, row-major, in the precision it was stored in.
public struct ActivationMatrix: Sendable, Equatable {
    public enum Values: Sendable, Equatable {
        case float32([Float])
        /// float64 files, integer files and CSV text.
        case float64([Double])
    }

    public let samples: Int
    public let units: Int
    public let values: Values

    public init(samples: Int, units: Int, values: Values) {
        self.samples = samples
        self.units = units
        self.values = values
    }

    /// "float32" or "float64".
    public var precision: String {
        if case .float32 = values { return "float32" }
        return "float64"
    }

    /// The first non-finite value as (row, column), both from 0, and how many there are; nil when all are finite.
    public var firstNonFinite: (row: Int, column: Int, count: Int)? {
        var first: Int?
        var count = 0
        switch values {
        case .float32(let values):
            for (index, value) in values.enumerated() where !value.isFinite {
                count += 1
                if first == nil { first = index }
            }
        case .float64(let values):
            for (index, value) in values.enumerated() where !value.isFinite {
                count += 1
                if first == nil { first = index }
            }
        }
        guard let first, units > 0 else { return nil }
        return (first / units, first % units, count)
    }
}

/// An activation file that cannot be read, in one line naming the file.
public struct ActivationFileError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let problem: String

    public init(_ path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}

public enum ActivationFile {
    /// Reads a 2-D array from `path`: `.npy`; `.npz` (the array named `array`, or the only one); `.csv` (numbers
    /// separated by commas, one row per sample, an optional header line of names).
    ///
    /// - Throws: ``ActivationFileError`` for a missing, malformed or unsupported file (not 2-D, an unsupported
    ///   dtype, an array name not in the archive), naming what is wrong.
    public static func read(path: String, array: String? = nil) throws(ActivationFileError) -> ActivationMatrix {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ActivationFileError(path, "cannot read the file")
        }
        let bytes = [UInt8](data)
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "npy": return try NumPyArray.parse(bytes, path: path).matrix(path: path)
        case "npz":
            let archive: Archive
            do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read) } catch {
                throw ActivationFileError(path, "not a readable .npz (zip) archive")
            }
            let names = archive.map(\.path).filter { $0.hasSuffix(".npy") }.sorted().map { String($0.dropLast(4)) }
            let name: String
            if let array {
                guard names.contains(array) else {
                    throw ActivationFileError(path, "no array named '\(array)' (it holds \(names.joined(separator: ", ")))")
                }
                name = array
            } else {
                guard names.count == 1 else {
                    throw ActivationFileError(path, names.isEmpty ? "holds no array"
                        : "holds \(names.count) arrays (\(names.joined(separator: ", "))): name one")
                }
                name = names[0]
            }
            var member = Data()
            do {
                guard let entry = archive["\(name).npy"] else { throw ActivationFileError(path, "lost \(name).npy") }
                _ = try archive.extract(entry) { member.append($0) }
            } catch {
                throw ActivationFileError(path, "member \(name).npy is corrupt (\(error))")
            }
            return try NumPyArray.parse([UInt8](member), path: "\(path)[\(name)]").matrix(path: "\(path)[\(name)]")
        case "csv", "txt": return try csv(String(decoding: bytes, as: UTF8.self), path: path)
        default: throw ActivationFileError(path, "unknown file type (expected .npy, .npz or .csv)")
        }
    }

    /// Reads a 1-D array of class labels (integers ≥ 0) from a .npy file, or a CSV with one label per line.
    public static func readLabels(path: String) throws(ActivationFileError) -> [Int32] {
        let matrix: ActivationMatrix
        if path.lowercased().hasSuffix(".npy") {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ActivationFileError(path, "cannot read the file")
            }
            let array = try NumPyArray.parse([UInt8](data), path: path)
            guard array.shape.count == 1 || (array.shape.count == 2 && array.shape[1] == 1) else {
                throw ActivationFileError(path, "labels must be one value per sample, got shape \(array.shape)")
            }
            matrix = ActivationMatrix(samples: array.shape[0], units: 1, values: .float64(array.doubles))
        } else {
            matrix = try read(path: path)
        }
        guard matrix.units == 1 else { throw ActivationFileError(path, "labels must be one column, got \(matrix.units)") }
        let values: [Double] = switch matrix.values {
        case .float32(let values): values.map(Double.init)
        case .float64(let values): values
        }
        var labels: [Int32] = []
        for (row, value) in values.enumerated() {
            guard value >= 0, value < Double(Int32.max), value == value.rounded() else {
                throw ActivationFileError(path, "label \(value) on row \(row) is not an integer ≥ 0")
            }
            labels.append(Int32(value))
        }
        return labels
    }

    static func csv(_ text: String, path: String) throws(ActivationFileError) -> ActivationMatrix {
        var values: [Double] = []
        var units: Int?
        var samples = 0
        for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            let parsed = fields.map { Double($0) ?? Self.special($0) }
            if parsed.contains(nil) {
                if samples == 0 && units == nil && parsed.allSatisfy({ $0 == nil }) {
                    units = fields.count  // a header line of names
                    continue
                }
                let column = parsed.firstIndex(of: nil)!
                throw ActivationFileError(path, "line \(number + 1), column \(column + 1): '\(fields[column])' is not a number")
            }
            if let units, units != fields.count {
                throw ActivationFileError(path, "line \(number + 1) has \(fields.count) values, earlier lines \(units)")
            }
            units = fields.count
            values += parsed.map { $0! }
            samples += 1
        }
        guard let units, samples > 0 else { throw ActivationFileError(path, "holds no rows of numbers") }
        return ActivationMatrix(samples: samples, units: units, values: .float64(values))
    }

    /// `nan`, `inf`, `-inf` as numpy.savetxt writes them.
    private static func special(_ field: String) -> Double? {
        switch field.lowercased() {
        case "nan", "+nan", "-nan": .nan
        case "inf", "+inf", "infinity", "+infinity": .infinity
        case "-inf", "-infinity": -.infinity
        default: nil
        }
    }
}

/// A parsed .npy array: its dtype, shape and data bytes (NumPy format versions 1.0, 2.0 and 3.0).
struct NumPyArray {
    /// e.g. "<f4", ">f8", "|u1", "<i8".
    let descr: String
    let shape: [Int]
    let fortranOrder: Bool
    let data: ArraySlice<UInt8>

    static func parse(_ bytes: [UInt8], path: String) throws(ActivationFileError) -> NumPyArray {
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw ActivationFileError(path, "not a NumPy .npy file (no \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw ActivationFileError(path, "truncated .npy header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default: throw ActivationFileError(path, "unsupported .npy format version \(major)")
        }
        guard bytes.count >= headerStart + headerLength else { throw ActivationFileError(path, "truncated .npy header") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        func field(_ key: String) -> String? {
            guard let range = header.range(of: "'\(key)':") else { return nil }
            return String(header[range.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descrField = field("descr"), descrField.hasPrefix("'"),
              let descr = descrField.dropFirst().split(separator: "'", maxSplits: 1).first.map(String.init) else {
            throw ActivationFileError(path, "the .npy header has no readable descr")
        }
        let fortran = field("fortran_order")?.hasPrefix("True") ?? false
        guard let shapeField = field("shape"), shapeField.hasPrefix("("),
              let close = shapeField.firstIndex(of: ")") else {
            throw ActivationFileError(path, "the .npy header has no readable shape")
        }
        let dimensions = shapeField[shapeField.index(after: shapeField.startIndex)..<close]
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var shape: [Int] = []
        for dimension in dimensions {
            guard let value = Int(dimension), value >= 0 else {
                throw ActivationFileError(path, "the .npy shape holds '\(dimension)'")
            }
            shape.append(value)
        }
        let start = headerStart + headerLength
        let array = NumPyArray(descr: descr, shape: shape, fortranOrder: fortran, data: bytes[start...])
        let count = shape.reduce(1, *)
        guard let size = array.itemSize else {
            throw ActivationFileError(path, "unsupported dtype '\(descr)' (float32, float64 or integers)")
        }
        guard array.data.count >= count * size else {
            throw ActivationFileError(path, "holds \(array.data.count) data bytes, the shape \(shape) needs \(count * size)")
        }
        return array
    }

    private var kind: Character? { descr.count >= 3 ? Array(descr)[1] : nil }
    private var itemSize: Int? {
        guard descr.count >= 3, let size = Int(descr.dropFirst(2)), let kind,
              "<>|=".contains(Array(descr)[0]) else { return nil }
        switch (kind, size) {
        case ("f", 4), ("f", 8), ("i", 1), ("i", 2), ("i", 4), ("i", 8), ("u", 1), ("u", 2), ("u", 4), ("u", 8):
            return size
        default: return nil
        }
    }
    private var bigEndian: Bool { descr.first == ">" }

    /// The raw integer of element `index` in file byte order, as UInt64.
    private func bits(_ index: Int, size: Int) -> UInt64 {
        let base = data.startIndex + index * size
        var value: UInt64 = 0
        for byte in 0..<size {
            let shift = bigEndian ? 8 * (size - 1 - byte) : 8 * byte
            value |= UInt64(data[base + byte]) << shift
        }
        return value
    }

    /// Every element as Double, in storage order.
    var doubles: [Double] {
        let size = itemSize!
        let count = shape.reduce(1, *)
        return (0..<count).map { index in
            let raw = bits(index, size: size)
            switch (kind!, size) {
            case ("f", 4): return Double(Float(bitPattern: UInt32(raw)))
            case ("f", 8): return Double(bitPattern: raw)
            case ("u", _): return Double(raw)
            default:  // signed: sign-extend
                let shift = UInt64(64 - 8 * size)
                return Double(Int64(bitPattern: raw << shift) >> Int64(shift))
            }
        }
    }

    /// The array as a (samples, units) matrix: 2-D arrays as they are, in row-major order.
    func matrix(path: String) throws(ActivationFileError) -> ActivationMatrix {
        guard shape.count == 2 else {
            throw ActivationFileError(path, "activations must be 2-D (samples, units), got shape \(shape)"
                                      + (shape.count > 2 ? "; reduce it first (e.g. the spatial mean per channel)" : ""))
        }
        let (rows, columns) = (shape[0], shape[1])
        func rowMajor<T>(_ values: [T]) -> [T] {
            guard fortranOrder, rows > 1, columns > 1 else { return values }
            return (0..<(rows * columns)).map { values[($0 % columns) * rows + $0 / columns] }
        }
        if kind == "f" && itemSize == 4 {
            let floats = (0..<(rows * columns)).map { Float(bitPattern: UInt32(bits($0, size: 4))) }
            return ActivationMatrix(samples: rows, units: columns, values: .float32(rowMajor(floats)))
        }
        return ActivationMatrix(samples: rows, units: columns, values: .float64(rowMajor(doubles)))
    }
}
