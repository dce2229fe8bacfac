// Reading a file as consecutive chunks of its content, inflating gzip (magic 1f 8b) chunk by chunk on the way.
import CZlibSystem
import Foundation

/// A file's content in chunks of at most ``chunkSize`` bytes, so no reader holds a whole file: a gzip file (detected
/// by its first two bytes, 1f 8b, whatever its name) is inflated by zlib one chunk at a time.
enum ByteChunks {
    /// Bytes read from the file, and inflated bytes handed on, per chunk.
    static let chunkSize = 1 << 20

    /// Whether `path` names a regular file that starts with the gzip magic bytes 1f 8b.
    static func isGzip(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 2)).map { [UInt8]($0) == [0x1F, 0x8B] } ?? false
    }

    /// The first `count` bytes of the file's content (inflated if gzip), or fewer if it is shorter.
    ///
    /// - Throws: ``DatasetFormatError`` naming `path` when it cannot be read or is broken gzip.
    static func prefix(of path: String, count: Int) throws(DatasetFormatError) -> [UInt8] {
        var bytes: [UInt8] = []
        do {
            try forEach(in: path, stopAfter: count) { chunk in
                bytes.append(contentsOf: chunk.prefix(count - bytes.count))
            }
        } catch {
            throw error as? DatasetFormatError ?? DatasetFormatError(description: "\(path): \(error)")
        }
        return bytes
    }

    /// Calls `body` with consecutive chunks of the file's content, inflated when the file is gzip (several
    /// concatenated gzip members are read as one stream, as `gunzip` does). Chunks are never empty.
    ///
    /// - Parameters:
    ///   - chunkSize: Bytes read, and inflated bytes handed on, at a time (tests make it small).
    ///   - stopAfter: Stop once this many content bytes were handed on (for peeking at a header).
    /// - Throws: ``DatasetFormatError`` naming `path` when it cannot be opened or read, or is a truncated or corrupt
    ///   gzip stream; and whatever `body` throws.
    static func forEach(in path: String, chunkSize: Int = chunkSize, stopAfter: Int = .max,
                        _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw DatasetFormatError(description: "\(path): cannot be opened (\(String(cString: strerror(errno))))")
        }
        defer { close(descriptor) }
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { input.deallocate() }
        /// Reads the next chunk of the file into `input`; 0 at its end.
        func readChunk() throws(DatasetFormatError) -> Int {
            while true {
                let count = read(descriptor, input.baseAddress, chunkSize)
                if count >= 0 { return count }
                if errno != EINTR {
                    throw DatasetFormatError(description: "\(path): cannot be read (\(String(cString: strerror(errno))))")
                }
            }
        }
        var count = try readChunk()
        guard count > 0 else { return }
        var handed = 0
        if count < 2 || input[0] != 0x1F || input[1] != 0x8B {
            while count > 0 && handed < stopAfter {
                try body(UnsafeRawBufferPointer(rebasing: input[..<count]))
                handed += count
                count = try readChunk()
            }
            return
        }

        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip header and trailer (and check its CRC).
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetFormatError(description: "\(path): zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { output.deallocate() }
        var status = Z_OK
        while count > 0 && handed < stopAfter {
            stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_in = uInt(count)
            repeat {
                if status == Z_STREAM_END {
                    guard stream.avail_in > 0 else { break }
                    inflateReset(&stream)  // another gzip member follows the one that ended
                }
                stream.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(chunkSize)
                status = inflate(&stream, Z_NO_FLUSH)
                guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    throw DatasetFormatError(description: "\(path): corrupt gzip data (\(message))")
                }
                let produced = chunkSize - Int(stream.avail_out)
                if produced > 0 {
                    try body(UnsafeRawBufferPointer(rebasing: output[..<produced]))
                    handed += produced
                }
                // A full output chunk may leave inflated bytes inside zlib even when all input is consumed.
            } while (stream.avail_in > 0 || stream.avail_out == 0) && handed < stopAfter
            count = try readChunk()
        }
        // Members end with Z_STREAM_END; anything else at the end of the file is a cut-off stream.
        if status != Z_STREAM_END && handed < stopAfter {
            throw DatasetFormatError(description: "\(path): truncated gzip stream (the file ends before the gzip "
                                     + "trailer)")
        }
    }
}
