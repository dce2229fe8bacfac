// The header-then-records decoder under every way of cutting a stream into chunks.
import Testing
import TrackerEngine
@testable import TrackerDatasets

@Suite struct RecordStreamTests {
    /// A 3-byte header announcing `count` records of 5 bytes, then the records.
    func decode(_ bytes: [UInt8], chunkSizes: [Int]) throws -> (records: [[UInt8]], stream: RecordStream) {
        var stream = RecordStream(minimumHeader: 3)
        var records: [[UInt8]] = []
        var offset = 0
        var sizeIndex = 0
        while offset < bytes.count {
            let size = min(chunkSizes[sizeIndex % chunkSizes.count], bytes.count - offset)
            sizeIndex += 1
            try bytes[offset..<offset + size].withUnsafeBytes { chunk in
                try stream.consume(chunk, parseHeader: { header in
                    .complete(RecordLayout(width: Int(header[2]), count: Int(header[0])))
                }, records: { run, first, count in
                    #expect(first == records.count && run.count == count * 5)
                    for record in 0..<count { records.append(Array(run[record * 5..<(record + 1) * 5])) }
                })
            }
            offset += size
        }
        return (records, stream)
    }

    @Test func everyChunkingGivesTheSameRecords() throws {
        let records = (0..<7).map { record in (0..<5).map { UInt8(record * 10 + $0) } }
        let bytes: [UInt8] = [7, 0, 5] + records.flatMap { $0 }
        var generator = SeededGenerator(seed: 3)
        for chunkSizes in [[1], [2], [3], [4], [5], [6], [38], (0..<20).map { _ in 1 + generator.nextInt(below: 9) }] {
            let decoded = try decode(bytes, chunkSizes: chunkSizes)
            #expect(decoded.records == records, "chunks \(chunkSizes)")
            #expect(decoded.stream.partialBytes == 0 && decoded.stream.excessBytes == 0)
        }
    }

    @Test func truncationAndExcessAreCounted() throws {
        let body = (0..<15).map { UInt8($0) }
        let short = try decode([3, 0, 5] + body.dropLast(2), chunkSizes: [4])
        #expect(short.records.count == 2 && short.stream.partialBytes == 3)
        let long = try decode([2, 0, 5] + body, chunkSizes: [7])
        #expect(long.records.count == 2 && long.stream.excessBytes == 5)
    }
}
