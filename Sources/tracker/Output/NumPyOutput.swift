// Writing a float32 matrix as a NumPy .npy file (format version 1.0) or as CSV.
import Foundation

enum NumPyOutput {
    /// The .npy bytes of a row-major (rows, columns) float32 matrix: the magic, version 1.0, a little-endian header
    /// length, the header dict padded with spaces to a multiple of 64 bytes and ended by a newline, then the data.
    static func npy(_ values: [Float], rows: Int, columns: Int) -> Data {
        precondition(values.count == rows * columns, "values must fill the shape")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.reserveCapacity(data.count + values.count * 4)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    /// One line per row, values separated by commas, shortest round-trip decimals; NaN as `nan` (numpy.loadtxt
    /// and pandas read it).
    static func csv(_ values: [Float], rows: Int, columns: Int) -> String {
        var text = ""
        for row in 0..<rows {
            text += (0..<columns).map { column in
                let value = values[row * columns + column]
                return value.isNaN ? "nan" : "\(value)"
            }.joined(separator: ",") + "\n"
        }
        return text
    }
}
