// Writing small data files (IDX, CIFAR-10 batches, .npy, text) for the readers' tests, plain or gzip.
import Foundation
import Testing
import TrackerDatasets

enum DataFileWriting {
    /// An IDX file of unsigned bytes with these sizes (items first) and values.
    static func idx(_ dimensions: [Int], _ values: [UInt8]) -> [UInt8] {
        precondition(values.count == dimensions.reduce(1, *))
        var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for size in dimensions { bytes += withUnsafeBytes(of: UInt32(size).bigEndian, Array.init) }
        return bytes + values
    }

    /// The grey level of pixel `index` of image `item` in the tests' IDX and CIFAR-10 files.
    static func pixel(item: Int, index: Int) -> UInt8 { UInt8((item * 7 + index * 3 + 1) % 256) }

    /// `count` images of `height` × `width` (items from `firstItem`) in IDX form.
    static func idxImages(count: Int, height: Int, width: Int, firstItem: Int = 0) -> [UInt8] {
        idx([count, height, width], (0..<count).flatMap { item in
            (0..<height * width).map { pixel(item: firstItem + item, index: $0) }
        })
    }

    /// Labels `(item + firstItem) % classes` in IDX form.
    static func idxLabels(count: Int, classes: Int, firstItem: Int = 0) -> [UInt8] {
        idx([count], (0..<count).map { UInt8((firstItem + $0) % classes) })
    }

    /// A CIFAR-10 batch of `count` records, labels `(item + firstItem) % 10`.
    static func cifarBatch(count: Int, firstItem: Int = 0) -> [UInt8] {
        (0..<count).flatMap { item in
            [UInt8((firstItem + item) % 10)] + (0..<3072).map { pixel(item: firstItem + item, index: $0) }
        }
    }

    /// A version 1.0 `.npy` file: magic, version, header padded with spaces to 64 bytes, then `values`.
    static func npy(descr: String, shape: [Int], values: [UInt8], fortranOrder: Bool = false) -> [UInt8] {
        let shapeText = "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let length = UInt16(header.utf8.count)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8)
            + values
    }

    /// The little-endian bytes of `values`.
    static func bytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
    }

    static func bytes(_ values: [Float]) -> [UInt8] { bytes(values.map(\.bitPattern)) }

    /// Writes `bytes` to `path`, gzip-compressed when `gzip`.
    static func write(_ bytes: [UInt8], to path: String, gzip: Bool = false) throws {
        try Data(gzip ? Gzip.compress(bytes) : bytes).write(to: URL(fileURLWithPath: path))
    }

    static func write(_ text: String, to path: String, gzip: Bool = false) throws {
        try write(Array(text.utf8), to: path, gzip: gzip)
    }
}

/// The message `body` fails with, or a note that it did not fail; for exact error-text checks.
func failure(_ body: () throws -> Void) -> String {
    do {
        try body()
        return "no error"
    } catch let error as DatasetFormatError {
        return error.description
    } catch {
        return "unexpected \(type(of: error)): \(error)"
    }
}

/// The setting a failing `body` names, or nil.
func failingSetting(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return "no error"
    } catch let error as DatasetFormatError {
        return error.setting
    } catch {
        return "unexpected \(error)"
    }
}
