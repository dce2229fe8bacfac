// IDX directories and files, plain and gzip: values, the train/t10k split, partner files, and every malformed case.
import Foundation
import Testing
import TrackerEngine
import TrackerTestSupport
@testable import TrackerDatasets

@Suite struct IDXTests {
    /// Writes the four standard files into `folder/name`: 12 training images of 3×2 and 5 test images, 4 classes.
    @discardableResult
    func writeIDXDirectory(_ folder: TemporaryFolder, _ name: String, gzip: Bool = false,
                           trainCount: Int = 12) throws -> String {
        let directory = folder.path(name)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let suffix = gzip ? ".gz" : ""
        try DataFileWriting.write(DataFileWriting.idxImages(count: trainCount, height: 3, width: 2),
                                  to: "\(directory)/train-images-idx3-ubyte\(suffix)", gzip: gzip)
        try DataFileWriting.write(DataFileWriting.idxLabels(count: trainCount, classes: 4),
                                  to: "\(directory)/train-labels-idx1-ubyte\(suffix)", gzip: gzip)
        try DataFileWriting.write(DataFileWriting.idxImages(count: 5, height: 3, width: 2, firstItem: 100),
                                  to: "\(directory)/t10k-images-idx3-ubyte\(suffix)", gzip: gzip)
        try DataFileWriting.write(DataFileWriting.idxLabels(count: 5, classes: 4, firstItem: 100),
                                  to: "\(directory)/t10k-labels-idx1-ubyte\(suffix)", gzip: gzip)
        return directory
    }

    /// Grey levels / 255 of `count` images of `pixels` pixels from `firstItem`.
    func expectedFeatures(count: Int, pixels: Int, firstItem: Int = 0) -> [Float] {
        (0..<count).flatMap { item in
            (0..<pixels).map { Float(DataFileWriting.pixel(item: firstItem + item, index: $0)) / 255 }
        }
    }

    @Test(arguments: [false, true])
    func aDirectoryTrainsOnItsTrainFilesAndHoldsOutT10k(gzip: Bool) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let directory = try writeIDXDirectory(folder, "fashion", gzip: gzip)
        let loaded = try DataSource.load(directory)
        #expect(loaded.name == "idx:fashion")
        #expect(loaded.path == directory)
        #expect(loaded.samples.sampleShape == Shape([1, 3, 2]))
        #expect(loaded.samples.classCount == 4)
        #expect(loaded.samples.features == expectedFeatures(count: 12, pixels: 6))
        #expect(loaded.samples.labels == (0..<12).map { Int32($0 % 4) })
        let heldOut = try #require(loaded.heldOut)
        #expect(heldOut.features == expectedFeatures(count: 5, pixels: 6, firstItem: 100))
        #expect(heldOut.labels == (100..<105).map { Int32($0 % 4) })
        #expect(heldOut.sampleShape == loaded.samples.sampleShape && heldOut.classCount == 4)
        let suffix = gzip ? ".gz" : ""
        #expect(loaded.source == "IDX files train-images-idx3-ubyte\(suffix), train-labels-idx1-ubyte\(suffix), "
                + "t10k-images-idx3-ubyte\(suffix), t10k-labels-idx1-ubyte\(suffix); grey levels / 255")
    }

    /// Chunks of 1000 bytes (and of 1 MiB, as tracker reads) join seamlessly, plain and inflated.
    @Test func filesLargerThanAChunkDecodeTheSamePlainAndGzip() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let images = DataFileWriting.idxImages(count: 20, height: 28, width: 28)
        try DataFileWriting.write(images, to: folder.path("plain-images-idx3-ubyte"))
        try DataFileWriting.write(images, to: folder.path("gzip-images-idx3-ubyte.gz"), gzip: true)
        let plain = try IDXFile.readImages(folder.path("plain-images-idx3-ubyte"), chunkSize: 1000)
        #expect(plain.count == 20 && plain.sampleShape == Shape([1, 28, 28]))
        #expect(plain.features == expectedFeatures(count: 20, pixels: 784))
        for chunkSize in [1000, 4096, ByteChunks.chunkSize] {
            #expect(try IDXFile.readImages(folder.path("gzip-images-idx3-ubyte.gz"), chunkSize: chunkSize).features
                    == plain.features)
        }
        #expect(try IDXFile.readImages(folder.path("plain-images-idx3-ubyte")).features == plain.features)
    }

    /// Two gzip members one after the other read as one stream, as gunzip does.
    @Test func concatenatedGzipMembersAreOneStream() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let images = DataFileWriting.idxImages(count: 4, height: 2, width: 2)
        try DataFileWriting.write(Gzip.compress(Array(images.prefix(9))) + Gzip.compress(Array(images.dropFirst(9))),
                                  to: folder.path("x-images-idx3-ubyte"))
        #expect(try IDXFile.readImages(folder.path("x-images-idx3-ubyte")).features
                == expectedFeatures(count: 4, pixels: 4))
    }

    /// One images file: its labels beside it; a `train` file also finds its `test` (EMNIST) pair.
    @Test func aSingleImagesFileFindsItsLabelsAndItsTestPair() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try DataFileWriting.write(DataFileWriting.idxImages(count: 6, height: 2, width: 2),
                                  to: folder.path("emnist-letters-train-images-idx3-ubyte.gz"), gzip: true)
        try DataFileWriting.write(DataFileWriting.idxLabels(count: 6, classes: 3),
                                  to: folder.path("emnist-letters-train-labels-idx1-ubyte.gz"), gzip: true)
        let alone = try DataSource.load(folder.path("emnist-letters-train-images-idx3-ubyte.gz"))
        #expect(alone.samples.count == 6 && alone.heldOut == nil && alone.samples.classCount == 3)
        #expect(alone.name == "idx:emnist-letters-train-images-idx3-ubyte.gz")
        try DataFileWriting.write(DataFileWriting.idxImages(count: 2, height: 2, width: 2, firstItem: 50),
                                  to: folder.path("emnist-letters-test-images-idx3-ubyte"))
        try DataFileWriting.write(DataFileWriting.idxLabels(count: 2, classes: 3),
                                  to: folder.path("emnist-letters-test-labels-idx1-ubyte"))
        let paired = try DataSource.load(folder.path("emnist-letters-train-images-idx3-ubyte.gz"))
        #expect(paired.heldOut?.features == expectedFeatures(count: 2, pixels: 4, firstItem: 50))
        // MNIST's dotted names, as some mirrors spell them.
        try DataFileWriting.write(DataFileWriting.idxImages(count: 3, height: 2, width: 2),
                                  to: folder.path("train-images.idx3-ubyte"))
        try DataFileWriting.write(DataFileWriting.idxLabels(count: 3, classes: 2),
                                  to: folder.path("train-labels.idx1-ubyte"))
        #expect(try DataSource.load(folder.path("train-images.idx3-ubyte")).samples.labels == [0, 1, 0])
    }

    @Test func malformedFilesGetOneLineNamingTheFileAndTheProblem() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let directory = try writeIDXDirectory(folder, "data")
        let images = "\(directory)/train-images-idx3-ubyte"
        let labels = "\(directory)/train-labels-idx1-ubyte"
        let good = DataFileWriting.idxImages(count: 12, height: 3, width: 2)
        func load() throws { _ = try DataSource.load(directory) }

        try DataFileWriting.write([0x50, 0x4B, 0x03, 0x04] + Array(good.dropFirst(4)), to: images)
        #expect(failure(load) == "\(images): not an IDX file (it starts with 50 4b 03 04; IDX files start with 00 00)")
        try DataFileWriting.write([0, 0, 0x0D, 3] + Array(good.dropFirst(4)), to: images)
        #expect(failure(load)
                == "\(images): IDX element type 0x0d (float32) is not supported; tracker reads unsigned bytes (0x08)")
        try DataFileWriting.write(Array(good.dropLast(8)), to: images)
        #expect(failure(load) == "\(images): truncated: its header announces images of 12×3×2 (88 bytes), the file "
                + "has 80")
        try DataFileWriting.write(Array(good.prefix(7)), to: images)
        #expect(failure(load) == "\(images): truncated: 7 bytes, too short for an IDX header")
        try DataFileWriting.write([UInt8](), to: images)
        #expect(failure(load) == "\(images): empty file")
        try DataFileWriting.write(good + [1, 2, 3], to: images)
        #expect(failure(load) == "\(images): 3 bytes after the images of 12×3×2 its header announces")
        try DataFileWriting.write(Array(Gzip.compress(good).dropLast(6)), to: images)
        #expect(failure(load) == "\(images): truncated gzip stream (the file ends before the gzip trailer)")
        var corrupt = Gzip.compress(good)
        corrupt[corrupt.count - 8] ^= 0xFF  // the CRC-32 of the trailer
        try DataFileWriting.write(corrupt, to: images)
        #expect(failure(load).hasPrefix("\(images): corrupt gzip data ("))
        try DataFileWriting.write(good, to: images)

        try DataFileWriting.write(DataFileWriting.idxLabels(count: 11, classes: 4), to: labels)
        #expect(failure(load) == "\(images) has 12 samples but \(labels) has 11 labels")
        try DataFileWriting.write(good, to: labels)
        #expect(failure(load) == "\(labels): an IDX array of rank 3, but labels need rank 1 (N)")
        try DataFileWriting.write(DataFileWriting.idxLabels(count: 12, classes: 4), to: labels)

        // A test label the training set does not have.
        try DataFileWriting.write(DataFileWriting.idx([5], [0, 1, 2, 9, 0]), to: "\(directory)/t10k-labels-idx1-ubyte")
        #expect(failure(load) == "\(directory)/t10k-labels-idx1-ubyte: label 9 of sample 4 is not a class of the "
                + "training set (0...3)")
        // Test images of another size.
        try DataFileWriting.write(DataFileWriting.idxImages(count: 5, height: 2, width: 3),
                                  to: "\(directory)/t10k-images-idx3-ubyte")
        try DataFileWriting.write(DataFileWriting.idxLabels(count: 5, classes: 4), to: "\(directory)/t10k-labels-idx1-ubyte")
        #expect(failure(load) == "\(directory)/t10k-images-idx3-ubyte has samples of shape 1×2×3 but \(images) has 1×3×2")
        // A missing member (the directory is still recognised by its training images).
        try FileManager.default.removeItem(atPath: "\(directory)/t10k-labels-idx1-ubyte")
        #expect(failure(load) == "\(directory): missing t10k-labels-idx1-ubyte[.gz] (an IDX directory holds "
                + "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, "
                + "each plain or .gz)")
        // An images file alone without its labels.
        try DataFileWriting.write(good, to: folder.path("lonely-images-idx3-ubyte"))
        #expect(failure { _ = try DataSource.load(folder.path("lonely-images-idx3-ubyte")) }
                == "\(folder.path("lonely-images-idx3-ubyte")): its labels file lonely-labels-idx1-ubyte[.gz] is not "
                + "beside it")
    }
}
