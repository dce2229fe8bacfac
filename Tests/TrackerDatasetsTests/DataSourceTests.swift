// What --data names: bundled first, then synthetic, then paths whose format is told by content, members or name.
import Foundation
import Testing
import TrackerEngine
import TrackerTestSupport
@testable import TrackerDatasets

@Suite struct DataSourceTests {
    @Test func bundledNamesAndSyntheticNames() throws {
        let digits = try DataSource.load("digits")
        #expect(digits.name == "digits" && digits.path == nil && digits.heldOut == nil)
        #expect(digits.samples.count == 1797 && digits.defaultTestSamples == 360)
        let synthetic = try DataSource.load("synthetic:clusters,samples=100")
        #expect(synthetic.name == "synthetic:clusters,samples=100,classes=4,dimension=16,separation=3,seed=0")
        #expect(synthetic.path == "synthetic:clusters,samples=100" && synthetic.defaultTestSamples == 20)
        #expect(failure { _ = try DataSource.load("mnist") } == "unknown data set 'mnist': not a bundled data set "
                + "(digits, mnist-5k), not synthetic:KIND, and no file or directory by that name")
    }

    @Test func formatsAreToldByContentMembersOrName() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        // IDX content under a name that says nothing.
        try DataFileWriting.write(DataFileWriting.idxImages(count: 2, height: 2, width: 2), to: folder.path("blob"))
        #expect(try DataFiles(path: folder.path("blob"), isDirectory: false, options: DataFileOptions()).format == .idx)
        // Text without a known extension is CSV; the option overrides everything.
        try DataFileWriting.write("1,2,0\n3,4,1\n", to: folder.path("numbers.dat"))
        #expect(try DataSource.load(folder.path("numbers.dat")).samples.count == 2)
        try DataFileWriting.write([0xFF, 0xFE, 0x01, 0x02], to: folder.path("mystery"))
        #expect(failure { _ = try DataSource.load(folder.path("mystery")) } == "\(folder.path("mystery")): cannot tell "
                + "its format from its first bytes (ff fe 01 02) or its name; say which (idx, cifar10, csv, npy, npz)")
        #expect(failingSetting { _ = try DataSource.load(folder.path("mystery")) } == "data_format")
        #expect(failure { _ = try DataSource.load(folder.path("mystery"), options: DataFileOptions(format: .cifar10)) }
                == "\(folder.path("mystery")): truncated: 4 bytes is not a whole number of 3073-byte records (label "
                + "byte and 3×32×32 image)")
        // A directory with nothing tracker reads.
        try FileManager.default.createDirectory(atPath: folder.path("empty"), withIntermediateDirectories: true)
        #expect(failure { _ = try DataSource.load(folder.path("empty")) } == "\(folder.path("empty")): a directory "
                + "without a data set tracker reads (IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                + "t10k-...; CIFAR-10 data_batch_1.bin ... test_batch.bin; or x.npy and y.npy)")
        #expect(failure { _ = try DataSource.load(folder.path("empty"), options: DataFileOptions(format: .csv)) }
                == "\(folder.path("empty")): a directory, but csv data is one file")
    }

    /// The same samples in IDX, CSV and .npy give the same Dataset values (CSV as written, bytes / 255).
    @Test func theSameValuesInEveryFormat() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let pixels: [UInt8] = [0, 51, 102, 255, 17, 34, 68, 136]
        try DataFileWriting.write(DataFileWriting.idx([2, 2, 2], pixels), to: folder.path("a-images-idx3-ubyte"))
        try DataFileWriting.write(DataFileWriting.idx([2], [1, 0]), to: folder.path("a-labels-idx1-ubyte"))
        try DataFileWriting.write(DataFileWriting.npy(descr: "|u1", shape: [2, 2, 2], values: pixels), to: folder.path("x.npy"))
        try DataFileWriting.write(DataFileWriting.npy(descr: "<i8", shape: [2], values: DataFileWriting.bytes([Int64]([1, 0]))),
                                  to: folder.path("y.npy"))
        let scaled = pixels.map { Float($0) / 255 }
        try DataFileWriting.write(scaled[0..<4].map { "\($0)" }.joined(separator: ",") + ",1\n"
                                  + scaled[4...].map { "\($0)" }.joined(separator: ",") + ",0\n", to: folder.path("a.csv"))
        let idx = try DataSource.load(folder.path("a-images-idx3-ubyte")).samples
        let npy = try DataSource.load(folder.path("x.npy")).samples
        let csv = try DataSource.load(folder.path("a.csv"), options: DataFileOptions(sampleShape: "1x2x2")).samples
        #expect(idx.features == scaled && idx.labels == [1, 0] && idx.sampleShape == Shape([1, 2, 2]))
        #expect(npy.features == idx.features && npy.labels == idx.labels && npy.sampleShape == idx.sampleShape)
        #expect(csv.features == idx.features && csv.labels == idx.labels && csv.sampleShape == idx.sampleShape)
    }
}
