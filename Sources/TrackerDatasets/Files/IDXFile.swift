// IDX files (MNIST, Fashion-MNIST, KMNIST, EMNIST): one array of unsigned bytes per file, plain or gzip.
import TrackerEngine

/// Samples decoded from a file, before labels are paired with them: the shape of one sample and the values.
struct FeatureArray {
    var sampleShape: Shape
    var count: Int
    /// Row-major (count, sampleShape.count).
    var features: [Float]
}

/// LeCun's IDX format: the magic `00 00 TT RR` (TT the element type, RR the rank), RR big-endian UInt32 sizes,
/// then the values in row-major order. tracker reads unsigned bytes (TT = 08): images of rank 3 (N×H×W, read as
/// 1×H×W samples), rank 4 (N×C×H×W) or rank 2 (N×F vectors), grey levels scaled by 1/255; labels of rank 1.
enum IDXFile {
    /// The element types IDX defines, by type byte, for messages.
    static let typeNames: [UInt8: String] = [0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "16-bit integer",
                                             0x0C: "32-bit integer", 0x0D: "float32", 0x0E: "float64"]

    /// Whether `bytes` (a file's first four bytes) start like an IDX file of unsigned bytes.
    static func looksLikeIDX(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0x08 && (1...4).contains(bytes[3])
    }

    /// The images of an IDX file: rank 3 (N×H×W → 1×H×W), 4 (N×C×H×W → C×H×W) or 2 (N×F → F); v / 255 each.
    ///
    /// - Throws: ``DatasetFormatError`` naming `path`: not IDX (bad magic), another element type, a rank that is
    ///   not an image array, no items, a truncated file, or bytes after the announced values.
    static func readImages(_ path: String, chunkSize: Int = ByteChunks.chunkSize) throws(DatasetFormatError) -> FeatureArray {
        var shape = Shape([1])
        var count = 0
        var features: [Float] = []
        try read(path, what: "images", ranks: 2...4, chunkSize: chunkSize, layout: { dimensions in
            count = dimensions[0]
            let sample = Array(dimensions.dropFirst())
            shape = Shape(sample.count == 2 ? [1] + sample : sample)
            features = [Float](repeating: 0, count: count * shape.count)
        }, values: { bytes, first in
            features.withUnsafeMutableBufferPointer { output in
                ElementConversion.features(bytes, type: .uint8, into: output.baseAddress! + first)
            }
        })
        return FeatureArray(sampleShape: shape, count: count, features: features)
    }

    /// The labels of an IDX file of rank 1.
    ///
    /// - Throws: ``DatasetFormatError`` naming `path`, as ``readImages(_:)``.
    static func readLabels(_ path: String) throws(DatasetFormatError) -> [Int32] {
        var labels: [Int32] = []
        try read(path, what: "labels", ranks: 1...1, chunkSize: ByteChunks.chunkSize, layout: { dimensions in
            labels = [Int32](repeating: 0, count: dimensions[0])
        }, values: { bytes, first in
            labels.withUnsafeMutableBufferPointer { output in
                ElementConversion.labels(bytes, type: .uint8, into: output.baseAddress! + first)
            }
        })
        return labels
    }

    /// Streams an IDX file of unsigned bytes: `layout` gets its sizes (items first) once the header is read, then
    /// `values` gets runs of values with the index of the first.
    private static func read(_ path: String, what: String, ranks: ClosedRange<Int>, chunkSize: Int,
                             layout: ([Int]) -> Void,
                             values: (UnsafeRawBufferPointer, Int) -> Void) throws(DatasetFormatError) {
        var stream = RecordStream(minimumHeader: 4)
        var headerLength = 4
        var dimensions: [Int] = []
        do {
            try ByteChunks.forEach(in: path, chunkSize: chunkSize) { chunk in
                try stream.consume(chunk, parseHeader: { header in
                    if header.count == 4 {
                        guard header[0] == 0 && header[1] == 0 else {
                            throw DatasetFormatError(description: "\(path): not an IDX file (it starts with "
                                                     + "\(hex(header)); IDX files start with 00 00)")
                        }
                        guard header[2] == 0x08 else {
                            let name = typeNames[header[2]].map { " (\($0))" } ?? ""
                            throw DatasetFormatError(description: "\(path): IDX element type 0x\(hex([header[2]]))"
                                                     + "\(name) is not supported; tracker reads unsigned bytes (0x08)")
                        }
                        guard ranks.contains(Int(header[3])) else {
                            let expected = what == "labels" ? "rank 1 (N)" : "rank 3 (N×H×W), 4 (N×C×H×W) or 2 (N×F)"
                            throw DatasetFormatError(description: "\(path): an IDX array of rank \(header[3]), but "
                                                     + "\(what) need \(expected)")
                        }
                        headerLength = 4 + 4 * Int(header[3])
                        return .needs(headerLength)
                    }
                    dimensions = stride(from: 4, to: headerLength, by: 4).map { offset in
                        header[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
                    }
                    guard dimensions[0] >= 1 else {
                        throw DatasetFormatError(description: "\(path): the IDX header announces no \(what)")
                    }
                    guard dimensions.allSatisfy({ $0 >= 1 }),
                          dimensions.reduce(1, { $0.multipliedReportingOverflow(by: $1).partialValue }) < 1 << 36
                    else {
                        throw DatasetFormatError(description: "\(path): IDX sizes \(dimensions) are not usable")
                    }
                    layout(dimensions)
                    return .complete(RecordLayout(width: 1, count: dimensions.reduce(1, *)))
                }, records: { bytes, first, _ in values(bytes, first) })
            }
        } catch {
            throw error as? DatasetFormatError ?? DatasetFormatError(description: "\(path): \(error)")
        }
        guard stream.layout != nil else {
            throw DatasetFormatError(description: stream.partialBytes == 0 ? "\(path): empty file"
                                     : "\(path): truncated: \(stream.partialBytes) bytes, too short for an IDX header")
        }
        let expected = dimensions.reduce(1, *)
        let sizes = dimensions.map(String.init).joined(separator: "×")
        if stream.recordCount < expected {
            throw DatasetFormatError(description: "\(path): truncated: its header announces \(what) of \(sizes) "
                                     + "(\(headerLength + expected) bytes), the file has \(headerLength + stream.recordCount)")
        }
        if stream.excessBytes > 0 {
            throw DatasetFormatError(description: "\(path): \(stream.excessBytes) bytes after the \(what) of \(sizes) "
                                     + "its header announces")
        }
    }

    /// Bytes as lowercase hex pairs separated by spaces: "1f 8b 08 00".
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ")
    }
}
