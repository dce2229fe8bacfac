// .npy pairs and .npz archives as numpy writes them (scripts/make_numpy_fixtures.py), and each unsupported case.
import Foundation
import Testing
import TrackerEngine
import TrackerTestSupport
@testable import TrackerDatasets

@Suite struct NumPyTests {
    /// The fixture folder (copied into the test bundle).
    static let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appending(path: "numpy").path

    func fixture(_ name: String) -> String { "\(Self.fixtures)/\(name)" }

    /// `value(n, i, j, k)` over the index grid `items` × `sizes`, in row-major order.
    func grid(_ items: Range<Int>, _ sizes: [Int], _ value: (Int, Int, Int, Int) -> Float) -> [Float] {
        let padded = sizes + Array(repeating: 1, count: 3 - sizes.count)
        var values: [Float] = []
        for n in items {
            for i in 0..<padded[0] {
                for j in 0..<padded[1] {
                    for k in 0..<padded[2] { values.append(value(n, i, j, k)) }
                }
            }
        }
        return values
    }

    /// The formula of pair/x*.npy: (7n + 3h + w) mod 256 over 2×3 images, scaled by 1/255.
    func pairFeatures(_ items: Range<Int>) -> [Float] {
        grid(items, [2, 3]) { n, h, w, _ in Float((7 * n + 3 * h + w) % 256) / 255 }
    }

    @Test func aDirectoryOfNpyFilesWithItsHeldOutPair() throws {
        let loaded = try DataSource.load(fixture("pair"))
        #expect(loaded.name == "npy:pair")
        #expect(loaded.samples.sampleShape == Shape([1, 2, 3]) && loaded.samples.classCount == 3)
        #expect(loaded.samples.features == pairFeatures(0..<6))
        #expect(loaded.samples.labels == [0, 1, 2, 0, 1, 2])
        #expect(loaded.heldOut?.features == pairFeatures(6..<8) && loaded.heldOut?.labels == [0, 1])
        #expect(loaded.source == ".npy files x.npy, y.npy, x_test.npy, y_test.npy; uint8 / 255")
    }

    @Test func anXFileFindsItsYOrIsToldTheLabels() throws {
        let beside = try DataSource.load(fixture("pair/x.npy"))
        #expect(beside.samples.labels == [0, 1, 2, 0, 1, 2] && beside.heldOut == nil)
        let told = try DataSource.load(fixture("float64.npy"), options: DataFileOptions(labelsPath: fixture("labels_int32.npy")))
        #expect(told.samples.sampleShape == Shape([3]))
        #expect(told.samples.features == grid(0..<5, [3]) { n, j, _, _ in Float(n) - Float(j) / 4 })
        #expect(told.samples.labels == [0, 1, 0, 1, 0])
        #expect(told.source == ".npy files float64.npy, labels_int32.npy; float64 as is")
        #expect(failure { _ = try DataSource.load(fixture("float64.npy")) } == "\(fixture("float64.npy")): holds "
                + "features only; name its labels file (a y.npy beside an x.npy is found by itself)")
        #expect(failingSetting { _ = try DataSource.load(fixture("float64.npy")) } == "labels")
    }

    /// np.savez stores members, np.savez_compressed deflates them: both read the same.
    @Test(arguments: ["saved.npz", "compressed.npz"])
    func archivesWithTrainAndTestArrays(name: String) throws {
        let loaded = try DataSource.load(fixture(name))
        #expect(loaded.name == "npz:\(name)")
        #expect(loaded.samples.sampleShape == Shape([5]) && loaded.samples.classCount == 2)
        #expect(loaded.samples.features == grid(0..<4, [5]) { n, j, _, _ in Float(n) / 2 + Float(j) })
        #expect(loaded.samples.labels == [0, 1, 0, 1])
        #expect(loaded.heldOut?.features == grid(4..<6, [5]) { n, j, _, _ in Float(n) / 2 + Float(j) })
        #expect(loaded.source == ".npz archive x.npy, y.npy, x_test.npy, y_test.npy; float32 as is")
    }

    /// Keras's names, and channels-last images (N, H, W, C) turned into C×H×W.
    @Test func kerasArchivesWithChannelsLastImages() throws {
        let loaded = try DataSource.load(fixture("keras.npz"))
        #expect(loaded.samples.sampleShape == Shape([3, 2, 2]))
        #expect(loaded.samples.features == grid(0..<3, [3, 2, 2]) { n, c, h, w in Float(40 * c + 10 * h + 5 * w + n) / 255 })
        #expect(loaded.samples.labels == [0, 1, 2])
    }

    @Test func unsupportedArraysAreRefusedClearly() throws {
        func withLabels(_ features: String, _ labels: String = "labels_int32.npy") -> String {
            failure { _ = try DataSource.load(fixture(features), options: DataFileOptions(labelsPath: fixture(labels))) }
        }
        #expect(withLabels("big_endian.npy") == "\(fixture("big_endian.npy")): big-endian dtype '>f4' is not "
                + "supported; save it little-endian (array.astype('<f4'))")
        #expect(withLabels("fortran.npy") == "\(fixture("fortran.npy")): Fortran-order arrays are not supported; save "
                + "a C-order array (numpy.ascontiguousarray)")
        #expect(withLabels("complex.npy") == "\(fixture("complex.npy")): dtype '<c8' is not supported for features; "
                + "tracker reads uint8, float32 and float64")
        #expect(withLabels("float64.npy", "float64.npy") == "\(fixture("float64.npy")): dtype '<f8' (float64) is not "
                + "supported for labels; tracker reads uint8, int32 and int64")
        #expect(withLabels("float64.npy", "pair/y.npy") == "\(fixture("float64.npy")) has 5 samples but "
                + "\(fixture("pair/y.npy")) has 6 labels")
        #expect(failure { _ = try DataSource.load(fixture("no_labels.npz")) } == "\(fixture("no_labels.npz")): no "
                + "arrays x and y (or x_train and y_train) in the archive (it holds: a.npy, b.npy)")
    }

    @Test func brokenFilesAndBadLabels() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let x = folder.path("x.npy")
        let y = folder.path("y.npy")
        let values = DataFileWriting.bytes([Float](repeating: 0.5, count: 6))
        try DataFileWriting.write(DataFileWriting.npy(descr: "<f4", shape: [3, 2], values: values), to: x)
        try DataFileWriting.write(DataFileWriting.npy(descr: "<i8", shape: [3], values: DataFileWriting.bytes([Int64]([0, -1, 1]))),
                                  to: y)
        func load() throws { _ = try DataSource.load(x) }
        #expect(failure(load) == "\(y): label -1 of sample 2 is negative")
        try DataFileWriting.write(DataFileWriting.npy(descr: "<i8", shape: [3, 4], values: DataFileWriting.bytes([Int64](repeating: 0, count: 12))),
                                  to: y)
        #expect(failure(load) == "\(y): labels of shape (3, 4); tracker reads class numbers of shape (N,) (one-hot rows? "
                + "take argmax)")
        try DataFileWriting.write(DataFileWriting.npy(descr: "<i4", shape: [3, 1], values: DataFileWriting.bytes([Int32]([2, 0, 1]))),
                                  to: y)
        #expect(try DataSource.load(x).samples.labels == [2, 0, 1])
        try DataFileWriting.write(Array(DataFileWriting.npy(descr: "<f4", shape: [3, 2], values: values).dropLast(5)), to: x)
        #expect(failure(load) == "\(x): truncated: shape (3, 2) of float32 needs 24 bytes of values, the file has 19")
        try DataFileWriting.write(DataFileWriting.npy(descr: "<f4", shape: [3, 2], values: values + [0]), to: x)
        #expect(failure(load) == "\(x): 1 bytes after the (3, 2) float32 values its header announces")
        try DataFileWriting.write(DataFileWriting.npy(descr: "<f4", shape: [3, 2], values: DataFileWriting.bytes([1, 2, .nan, 4, 5, 6])),
                                  to: x)
        #expect(failure(load) == "\(x): value 1 of sample 2 is not finite (nan)")
        try DataFileWriting.write(Array("\u{93}NUMPX".utf8) + [1, 0, 0, 0], to: x)
        #expect(failure { _ = try NumPyFile.read(x, role: .features) }
                == "\(x): not a .npy file (it starts with c2 93 4e 55 4d 50; .npy files start with \\x93NUMPY)")
        try DataFileWriting.write(Array(repeating: 7, count: 40), to: folder.path("broken.npz"))
        #expect(failure { _ = try DataSource.load(folder.path("broken.npz"), options: DataFileOptions(format: .npz)) }
                == "\(folder.path("broken.npz")): not a readable .npz (zip) archive")
        // Named .npy/.npz without NumPy's magic: refused as such, not read as text or another format.
        try DataFileWriting.write(Array("x\n".utf8), to: folder.path("text.npy"))
        #expect(failure { _ = try DataSource.load(folder.path("text.npy")) }
                == "\(folder.path("text.npy")): bad magic: not a NumPy .npy file (they start with \\x93NUMPY); it starts with 78 0a")
        try DataFileWriting.write([], to: folder.path("empty.npz"))
        #expect(failure { _ = try DataSource.load(folder.path("empty.npz")) }
                == "\(folder.path("empty.npz")): bad magic: not a NumPy .npz archive (a zip file: it starts with PK); "
                + "it starts with nothing (empty file)")
    }
}
