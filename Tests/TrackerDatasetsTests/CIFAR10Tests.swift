// CIFAR-10 binary batches: C×H×W order, the test batch held out, records across chunks, and malformed batches.
import Foundation
import Testing
import TrackerEngine
import TrackerTestSupport
@testable import TrackerDatasets

@Suite struct CIFAR10Tests {
    /// Five training batches of 3 records and a test batch of 2, in `directory`.
    func writeBatches(_ directory: String, gzip: Bool = false) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for batch in 1...5 {
            try DataFileWriting.write(DataFileWriting.cifarBatch(count: 3, firstItem: (batch - 1) * 3),
                                      to: "\(directory)/data_batch_\(batch).bin\(gzip ? ".gz" : "")", gzip: gzip)
        }
        try DataFileWriting.write(DataFileWriting.cifarBatch(count: 2, firstItem: 15),
                                  to: "\(directory)/test_batch.bin\(gzip ? ".gz" : "")", gzip: gzip)
    }

    func expectedFeatures(_ items: Range<Int>) -> [Float] {
        items.flatMap { item in (0..<3072).map { Float(DataFileWriting.pixel(item: item, index: $0)) / 255 } }
    }

    @Test(arguments: [false, true])
    func aDirectoryOfBatchesTrainsOnFiveAndHoldsOutTheTestBatch(gzip: Bool) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try writeBatches(folder.path("cifar"), gzip: gzip)
        let loaded = try DataSource.load(folder.path("cifar"))
        #expect(loaded.name == "cifar10:cifar")
        #expect(loaded.samples.sampleShape == Shape([3, 32, 32]) && loaded.samples.classCount == 10)
        // A record's 3072 bytes are the red, green and blue planes row by row: C×H×W as it stands.
        #expect(loaded.samples.features == expectedFeatures(0..<15))
        #expect(loaded.samples.labels == (0..<15).map { Int32($0 % 10) })
        #expect(loaded.heldOut?.features == expectedFeatures(15..<17))
        #expect(loaded.heldOut?.labels == [5, 6])
    }

    @Test func theUnpackedArchiveFolderAndSingleBatchesAreFound() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try writeBatches(folder.path("download/cifar-10-batches-bin"))
        #expect(try DataSource.load(folder.path("download")).samples.count == 15)
        let single = try DataSource.load(folder.path("download/cifar-10-batches-bin/data_batch_2.bin"))
        #expect(single.samples.labels == [3, 4, 5] && single.heldOut == nil)
    }

    /// Chunks of 1000 bytes cut records (3073 bytes) at every offset in turn, plain and inflated.
    @Test func recordsAcrossChunksAreReassembled() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let batch = DataFileWriting.cifarBatch(count: 7)
        try DataFileWriting.write(batch, to: folder.path("a.bin"))
        try DataFileWriting.write(batch, to: folder.path("b.bin"), gzip: true)
        let plain = try CIFAR10File.read(folder.path("a.bin"), chunkSize: 1000)
        #expect(plain.labels == (0..<7).map { Int32($0) })
        #expect(plain.images.features == expectedFeatures(0..<7))
        #expect(try CIFAR10File.read(folder.path("b.bin"), chunkSize: 1000).images.features == plain.images.features)
        #expect(try CIFAR10File.read(folder.path("b.bin")).images.features == plain.images.features)
    }

    @Test func malformedBatchesGetOneLineNamingTheFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let directory = folder.path("cifar")
        try writeBatches(directory)
        let batch = "\(directory)/data_batch_3.bin"
        func load() throws { _ = try DataSource.load(directory) }
        try DataFileWriting.write(Array(DataFileWriting.cifarBatch(count: 3).dropLast(100)), to: batch)
        #expect(failure(load) == "\(batch): truncated: 9119 bytes is not a whole number of 3073-byte records (label "
                + "byte and 3×32×32 image)")
        var badLabel = DataFileWriting.cifarBatch(count: 3)
        badLabel[3073] = 10
        try DataFileWriting.write(badLabel, to: batch)
        #expect(failure(load) == "\(batch): record 2 has label 10, expected 0...9")
        try DataFileWriting.write([UInt8](), to: batch)
        #expect(failure(load) == "\(batch): empty file")
        try FileManager.default.removeItem(atPath: "\(directory)/test_batch.bin")
        #expect(failure(load) == "\(directory): missing test_batch.bin[.gz] (a CIFAR-10 directory holds data_batch_1.bin "
                + "... data_batch_5.bin and test_batch.bin)")
    }
}
