// Inflating gzip data with zlib.
import CZlib
import Foundation

/// A gzip stream that zlib could not inflate.
public struct GzipError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

enum Gzip {
    /// The inflated bytes of a complete gzip stream.
    ///
    /// - Throws: ``GzipError`` for data that is not gzip, or is truncated or corrupt.
    static func inflate(_ compressed: [UInt8]) throws(GzipError) -> [UInt8] {
        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip header and trailer (and check its CRC).
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw GzipError(description: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var status: Int32 = Z_OK
        var input = compressed
        try input.withUnsafeMutableBufferPointer { (inputBuffer) throws(GzipError) in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = uInt(inputBuffer.count)
            while status != Z_STREAM_END {
                try chunk.withUnsafeMutableBufferPointer { (chunkBuffer) throws(GzipError) in
                    stream.next_out = chunkBuffer.baseAddress
                    stream.avail_out = uInt(chunkBuffer.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    guard status == Z_OK || status == Z_STREAM_END else {
                        throw GzipError(description: "not a valid gzip stream (zlib status \(status))")
                    }
                    output.append(contentsOf: chunkBuffer[0..<(chunkBuffer.count - Int(stream.avail_out))])
                }
                if status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0 {
                    throw GzipError(description: "truncated gzip stream")
                }
            }
        }
        return output
    }
}
