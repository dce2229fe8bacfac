// Inflating gzip data with zlib.
import CZlibSystem
import Foundation

/// A gzip stream that zlib could not inflate.
public struct GzipError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

public enum Gzip {
    /// `bytes` compressed as one gzip member (zlib's deflate at `level`), as `gzip` writes it: for the tests and
    /// benchmarks that write gzip data files.
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        // 16 + MAX_WBITS: write a gzip header and trailer; memory level 8 is zlib's default.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            preconditionFailure("zlib could not start deflating")
        }
        defer { deflateEnd(&stream) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))))
        let written = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                stream.next_in = inputBuffer.baseAddress
                stream.avail_in = uInt(inputBuffer.count)
                stream.next_out = outputBuffer.baseAddress
                stream.avail_out = uInt(outputBuffer.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END, "deflate into a deflateBound buffer must finish (\(status))")
                return outputBuffer.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(written))
    }

    /// The inflated bytes of a complete gzip stream (its first member, if several are concatenated).
    ///
    /// zlib writes straight into the result, sized up front from the stream's trailer (ISIZE, the inflated
    /// size mod 2³²; only a hint: the buffer grows if it is wrong), so a large file is not copied chunk by chunk.
    ///
    /// - Throws: ``GzipError`` for data that is not gzip, or is truncated or corrupt.
    static func inflate(_ compressed: [UInt8]) throws(GzipError) -> [UInt8] {
        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip header and trailer (and check its CRC).
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw GzipError(description: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        let maximumStep = 1 << 30  // avail_out is 32-bit
        var output = [UInt8](repeating: 0, count: Swift.min(Swift.max(sizeHint(compressed), 1 << 16), maximumStep))
        var produced = 0
        var status: Int32 = Z_OK
        var input = compressed
        try input.withUnsafeMutableBufferPointer { (inputBuffer) throws(GzipError) in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = uInt(inputBuffer.count)
            while status != Z_STREAM_END {
                if produced == output.count {
                    output.append(contentsOf: repeatElement(0, count: Swift.min(output.count, maximumStep)))
                }
                try output.withUnsafeMutableBufferPointer { (outputBuffer) throws(GzipError) in
                    stream.next_out = outputBuffer.baseAddress! + produced
                    stream.avail_out = uInt(outputBuffer.count - produced)
                    status = CZlibSystem.inflate(&stream, Z_NO_FLUSH)
                    produced = outputBuffer.count - Int(stream.avail_out)
                }
                guard status == Z_OK || status == Z_STREAM_END else {
                    throw GzipError(description: "not a valid gzip stream (zlib status \(status))")
                }
                if status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0 {
                    throw GzipError(description: "truncated gzip stream")
                }
            }
        }
        output.removeLast(output.count - produced)
        return output
    }

    /// The inflated size a gzip trailer announces (its last 4 bytes, little-endian), or 0 if too short.
    private static func sizeHint(_ compressed: [UInt8]) -> Int {
        guard compressed.count >= 18 else { return 0 }  // 10-byte header + 8-byte trailer
        return compressed.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
    }
}
