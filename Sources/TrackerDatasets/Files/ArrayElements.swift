// The element types data files store, and their conversion to tracker's Float features and Int32 labels.
import Foundation

/// An array element type as a data file stores it (multi-byte types little-endian).
enum ElementType: Sendable, Equatable {
    case uint8, int32, int64, float32, float64

    /// Bytes per element.
    var width: Int {
        switch self {
        case .uint8: 1
        case .int32, .float32: 4
        case .int64, .float64: 8
        }
    }

    /// NumPy's name for it.
    var name: String {
        switch self {
        case .uint8: "uint8"
        case .int32: "int32"
        case .int64: "int64"
        case .float32: "float32"
        case .float64: "float64"
        }
    }

    /// Whether features of this type are read (labels are read from the integer types).
    var isFeatureType: Bool { self == .uint8 || self == .float32 || self == .float64 }
}

enum ElementConversion {
    /// v / 255 for every byte value v, correctly rounded: the scaling of uint8 features.
    static let byteScale: [Float] = (0...255).map { Float($0) / 255 }

    /// Converts `bytes` (whole elements of `type`, a feature type) to features at `output`: uint8 v becomes v / 255,
    /// float32 is copied, float64 rounded to the nearest Float.
    ///
    /// Readers write into arrays sized from the header (their zero fill is what first touches the fresh pages, which
    /// costs the same whoever does it), so each value is converted once in a tight loop; appending through a lazy
    /// map instead made loading MNIST-sized files twice as slow.
    static func features(_ bytes: UnsafeRawBufferPointer, type: ElementType, into output: UnsafeMutablePointer<Float>) {
        let count = bytes.count / type.width
        guard count > 0, let base = bytes.baseAddress else { return }
        switch type {
        case .uint8:
            byteScale.withUnsafeBufferPointer { scale in
                let input = base.assumingMemoryBound(to: UInt8.self)
                for index in 0..<count { output[index] = scale[Int(input[index])] }
            }
        case .float32:
            for index in 0..<count {
                output[index] = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: index * 4,
                                                                                          as: UInt32.self)))
            }
        case .float64:
            for index in 0..<count {
                output[index] = Float(Double(bitPattern: UInt64(littleEndian: base.loadUnaligned(
                    fromByteOffset: index * 8, as: UInt64.self))))
            }
        case .int32, .int64:
            preconditionFailure("\(type.name) is not a feature type")
        }
    }

    /// Appends `bytes` (whole elements of `type`, a feature type) to `features`, converted as ``features(_:type:into:)``
    /// does; for readers that cannot size their array up front.
    static func appendFeatures(_ bytes: UnsafeRawBufferPointer, type: ElementType, to features: inout [Float]) {
        let start = features.count
        features.append(contentsOf: repeatElement(0, count: bytes.count / type.width))
        features.withUnsafeMutableBufferPointer { output in
            Self.features(bytes, type: type, into: output.baseAddress! + start)
        }
    }

    /// Converts `bytes` (whole elements of an integer `type`) to labels at `output`. An int64 outside Int32's range
    /// becomes Int32.min or Int32.max, which the label check reports as negative or too large.
    static func labels(_ bytes: UnsafeRawBufferPointer, type: ElementType, into output: UnsafeMutablePointer<Int32>) {
        let count = bytes.count / type.width
        guard count > 0, let base = bytes.baseAddress else { return }
        switch type {
        case .uint8:
            let input = base.assumingMemoryBound(to: UInt8.self)
            for index in 0..<count { output[index] = Int32(input[index]) }
        case .int32:
            for index in 0..<count {
                output[index] = Int32(littleEndian: base.loadUnaligned(fromByteOffset: index * 4, as: Int32.self))
            }
        case .int64:
            for index in 0..<count {
                let value = Int64(littleEndian: base.loadUnaligned(fromByteOffset: index * 8, as: Int64.self))
                output[index] = Int32(exactly: value) ?? (value < 0 ? Int32.min : Int32.max)
            }
        case .float32, .float64:
            preconditionFailure("\(type.name) is not a label type")
        }
    }
}
