// NumPy's .npy arrays (files of their own, or members of an .npz archive), decoded as a stream.
import Foundation
import TrackerEngine
import ZIPFoundation

/// A `.npy` array being decoded from chunks of its bytes: the magic `\x93NUMPY`, a version, the header length, a
/// Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (60000, 28, 28), }`, then the values.
///
/// Features are read from uint8 (scaled by 1/255), float32 and float64 (as they are, float64 rounded to Float);
/// labels from uint8, int32 and int64. Only little-endian C-order arrays are read.
struct NumPyDecoder {
    enum Role { case features, labels }

    /// The array's name in messages: its path, or "archive.npz: x.npy".
    let name: String
    let role: Role
    private var stream = RecordStream(minimumHeader: 10)
    private(set) var shape: [Int] = []
    private(set) var type = ElementType.uint8
    private(set) var features: [Float] = []
    private(set) var labels: [Int32] = []

    init(name: String, role: Role) {
        self.name = name
        self.role = role
    }

    /// Feeds the next chunk of the array's bytes.
    ///
    /// - Throws: ``DatasetFormatError`` for a bad magic or header, or a dtype or order tracker does not read.
    mutating func consume(_ chunk: UnsafeRawBufferPointer) throws {
        let name = self.name
        let role = self.role
        var shape = self.shape
        var type = self.type
        var features = self.features
        var labels = self.labels
        self.features = []
        self.labels = []
        defer {
            self.shape = shape
            self.type = type
            self.features = features
            self.labels = labels
        }
        try stream.consume(chunk, parseHeader: { header in
            guard header.starts(with: [0x93] + Array("NUMPY".utf8)) else {
                throw DatasetFormatError(description: "\(name): not a .npy file (it starts with "
                                         + "\(IDXFile.hex(Array(header.prefix(6)))); .npy files start with \\x93NUMPY)")
            }
            let major = header[6]
            guard (1...3).contains(major) else {
                throw DatasetFormatError(description: "\(name): .npy format version \(major).\(header[7]) is not "
                                         + "supported (1.0 to 3.0 are)")
            }
            let prefixLength = major == 1 ? 10 : 12
            if header.count < prefixLength { return .needs(prefixLength) }
            let textLength = header[8..<prefixLength].reversed().reduce(0) { $0 << 8 | Int($1) }
            if header.count < prefixLength + textLength { return .needs(prefixLength + textLength) }
            let text = String(decoding: header[prefixLength...], as: UTF8.self)
            let parsed = try NumPyHeader.parse(text, name: name, role: role)
            shape = parsed.shape
            type = parsed.type
            let count = shape.reduce(1, *)
            switch role {
            case .features: features = [Float](repeating: 0, count: count)
            case .labels: labels = [Int32](repeating: 0, count: count)
            }
            return .complete(RecordLayout(width: type.width, count: count))
        }, records: { bytes, first, _ in
            switch role {
            case .features:
                features.withUnsafeMutableBufferPointer { output in
                    ElementConversion.features(bytes, type: type, into: output.baseAddress! + first)
                }
            case .labels:
                labels.withUnsafeMutableBufferPointer { output in
                    ElementConversion.labels(bytes, type: type, into: output.baseAddress! + first)
                }
            }
        })
    }

    /// Checks that the array was complete and nothing followed it.
    ///
    /// - Throws: ``DatasetFormatError`` for an empty or truncated array, or bytes after it.
    func finish() throws(DatasetFormatError) {
        guard let layout = stream.layout else {
            throw DatasetFormatError(description: stream.partialBytes == 0 ? "\(name): empty file"
                                     : "\(name): truncated: \(stream.partialBytes) bytes, too short for a .npy header")
        }
        let expected = layout.count ?? 0
        let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        if stream.recordCount < expected {
            throw DatasetFormatError(description: "\(name): truncated: shape \(shapeText) of \(type.name) needs "
                                     + "\(expected * type.width) bytes of values, the file has "
                                     + "\(stream.recordCount * type.width + stream.partialBytes)")
        }
        if stream.excessBytes > 0 {
            throw DatasetFormatError(description: "\(name): \(stream.excessBytes) bytes after the \(shapeText) "
                                     + "\(type.name) values its header announces")
        }
    }
}

/// The header dict of a `.npy` file.
enum NumPyHeader {
    /// Reads `descr`, `fortran_order` and `shape` from the Python dict literal of a `.npy` header.
    ///
    /// - Throws: ``DatasetFormatError`` for a header that is not such a dict, a structured or unsupported dtype, a
    ///   big-endian dtype, Fortran order, or a shape without samples.
    static func parse(_ text: String, name: String,
                      role: NumPyDecoder.Role) throws(DatasetFormatError) -> (type: ElementType, shape: [Int]) {
        func fail(_ problem: String) -> DatasetFormatError { DatasetFormatError(description: "\(name): \(problem)") }
        guard let descr = value(of: "descr", in: text), let order = value(of: "fortran_order", in: text),
              let shapeText = value(of: "shape", in: text) else {
            throw fail("the .npy header is not a dict with descr, fortran_order and shape: "
                       + text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(80))
        }
        guard descr.hasPrefix("'") || descr.hasPrefix("\"") else {
            throw fail("structured dtype \(descr.prefix(40)) is not supported; save a plain array")
        }
        let dtype = String(descr.dropFirst().dropLast())
        let known: [String: ElementType] = ["|u1": .uint8, "<u1": .uint8, "u1": .uint8, "<i4": .int32,
                                            "<i8": .int64, "<f4": .float32, "<f8": .float64]
        guard let type = known[dtype] else {
            if dtype.hasPrefix(">") {
                throw fail("big-endian dtype '\(dtype)' is not supported; save it little-endian "
                           + "(array.astype('<\(dtype.dropFirst())'))")
            }
            throw fail("dtype '\(dtype)' is not supported for \(role == .features ? "features" : "labels"); tracker "
                       + "reads " + (role == .features ? "uint8, float32 and float64" : "uint8, int32 and int64"))
        }
        guard role == .features ? type.isFeatureType : !type.isFeatureType || type == .uint8 else {
            throw fail("dtype '\(dtype)' (\(type.name)) is not supported for \(role == .features ? "features" : "labels"); "
                       + "tracker reads " + (role == .features ? "uint8, float32 and float64" : "uint8, int32 and int64"))
        }
        guard order == "False" else {
            throw fail(order == "True" ? "Fortran-order arrays are not supported; save a C-order array "
                       + "(numpy.ascontiguousarray)" : "fortran_order is \(order), expected True or False")
        }
        let inner = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
        let sizes = inner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let shape = sizes.compactMap { Int($0.hasSuffix("L") ? String($0.dropLast()) : $0) }
        guard shapeText.hasPrefix("("), shape.count == sizes.count, shape.allSatisfy({ $0 >= 0 }) else {
            throw fail("shape \(shapeText) is not a tuple of sizes")
        }
        guard let samples = shape.first else { throw fail("a 0-dimensional array has no samples") }
        guard samples >= 1 else { throw fail("shape \(shapeText) holds no samples") }
        guard shape.allSatisfy({ $0 >= 1 }),
              shape.reduce(1, { $0.multipliedReportingOverflow(by: $1).partialValue }) < 1 << 36 else {
            throw fail("shape \(shapeText) is not usable")
        }
        return (type, shape)
    }

    /// The text of the value of `key` in a Python dict literal: a quoted string (with its quotes), a tuple or a
    /// list (with its brackets), or a bare word; nil if the key is missing.
    static func value(of key: String, in text: String) -> String? {
        guard let keyRange = text.range(of: "'\(key)'") ?? text.range(of: "\"\(key)\""),
              let colon = text[keyRange.upperBound...].firstIndex(of: ":") else { return nil }
        let rest = text[text.index(after: colon)...].drop { $0 == " " }
        guard let first = rest.first else { return nil }
        let closing: Character? = switch first {
        case "'": "'"
        case "\"": "\""
        case "(": ")"
        case "[": "]"
        default: nil
        }
        if let closing {
            guard let end = rest.dropFirst().firstIndex(of: closing) else { return nil }
            return String(rest[...end])
        }
        return String(rest.prefix { $0 != "," && $0 != "}" }).trimmingCharacters(in: .whitespaces)
    }
}

/// Reading `.npy` files and `.npz` archives into features and labels.
enum NumPyFile {
    /// The array in the `.npy` file at `path`.
    ///
    /// - Throws: ``DatasetFormatError`` naming `path`.
    static func read(_ path: String, role: NumPyDecoder.Role) throws(DatasetFormatError) -> NumPyDecoder {
        var decoder = NumPyDecoder(name: path, role: role)
        do {
            try ByteChunks.forEach(in: path) { try decoder.consume($0) }
        } catch {
            throw error as? DatasetFormatError ?? DatasetFormatError(description: "\(path): \(error)")
        }
        try decoder.finish()
        return decoder
    }

    /// The `.npy` members of the `.npz` archive at `path`, by name without ".npy"; nil for each name not there.
    ///
    /// The archive's directory is read by ZIPFoundation; each member is inflated (savez_compressed) or read as
    /// stored (savez) in chunks straight into its decoder.
    ///
    /// - Throws: ``DatasetFormatError`` naming `path` when it is not a zip archive or a member is corrupt.
    static func readArchive(_ path: String, members: [(name: String, role: NumPyDecoder.Role)])
        throws(DatasetFormatError) -> (arrays: [String: NumPyDecoder], allMembers: [String]) {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw DatasetFormatError(description: "\(path): not a readable .npz (zip) archive")
        }
        var arrays: [String: NumPyDecoder] = [:]
        for (member, role) in members {
            guard let entry = archive["\(member).npy"] else { continue }
            var decoder = NumPyDecoder(name: "\(path): \(member).npy", role: role)
            do {
                _ = try archive.extract(entry, bufferSize: ByteChunks.chunkSize) { data in
                    try data.withUnsafeBytes { try decoder.consume($0) }
                }
            } catch let error as DatasetFormatError {
                throw error
            } catch {
                throw DatasetFormatError(description: "\(path): member \(member).npy is corrupt (\(error))")
            }
            try decoder.finish()
            arrays[member] = decoder
        }
        return (arrays, archive.map(\.path).sorted())
    }
}
