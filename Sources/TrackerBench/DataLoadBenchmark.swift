// Loading an MNIST-sized IDX set (60,000 + 10,000 images of 28×28), plain and gzip, as `tracker run --data` does.
import Foundation
import TrackerDatasets
import TrackerEngine
import TrackerExperiments

enum DataLoadBenchmark {
    /// Writes the set twice into `folder` (plain files, and gzip at zlib's default level) and times
    /// `DataSource.load` on each (median of `repeats`), then the content hash a run computes over the decoded set.
    static func measure(folder: URL, repeats: Int) throws -> [Measurement] {
        var generator = SeededGenerator(seed: 60_000)
        /// Digit-like images: a dark background crossed by a few bright strokes, so gzip compresses them about as
        /// much as MNIST's own files (a 5x ratio), which decides the inflate time.
        func images(_ count: Int) -> [UInt8] {
            var pixels = [UInt8](repeating: 0, count: count * 784)
            for image in 0..<count {
                for _ in 0..<3 {
                    let (row, column) = (4 + generator.nextInt(below: 18), 4 + generator.nextInt(below: 18))
                    let (height, width) = generator.nextInt(below: 2) == 0 ? (2, 8) : (8, 2)
                    let level = UInt8(128 + generator.nextInt(below: 128))
                    for y in row..<min(row + height, 28) {
                        for x in column..<min(column + width, 28) { pixels[image * 784 + y * 28 + x] = level }
                    }
                }
            }
            return pixels
        }
        func idx(_ dimensions: [Int], _ values: [UInt8]) -> [UInt8] {
            [0, 0, 0x08, UInt8(dimensions.count)] + dimensions.flatMap { withUnsafeBytes(of: UInt32($0).bigEndian, Array.init) }
                + values
        }
        var files: [(String, [UInt8])] = []
        for (prefix, count) in [("train", 60_000), ("t10k", 10_000)] {
            files.append(("\(prefix)-images-idx3-ubyte", idx([count, 28, 28], images(count))))
            files.append(("\(prefix)-labels-idx1-ubyte", idx([count], (0..<count).map { _ in UInt8(generator.nextInt(below: 10)) })))
        }
        var results: [Measurement] = []
        var loaded: LoadedData?
        for gzip in [false, true] {
            let directory = folder.appending(path: gzip ? "idx-gzip" : "idx-plain")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var bytes = 0
            for (name, content) in files {
                let written = gzip ? Gzip.compress(content) : content
                bytes += written.count
                try Data(written).write(to: directory.appending(path: name + (gzip ? ".gz" : "")))
            }
            let time = try median(repeats: repeats) { loaded = try DataSource.load(directory.path) }
            results.append(Measurement(
                name: "load_idx",
                configuration: "60000+10000 28x28 IDX, \(gzip ? "gzip" : "plain") (\(bytes / 1_000_000) MB; stream, decode, check)",
                value: time * 1000, unit: "ms"))
        }
        if let loaded {
            let time = median(repeats: repeats) { _ = ExperimentRunner.contentHash(of: loaded.samples, heldOut: loaded.heldOut) }
            results.append(Measurement(name: "hash_dataset", configuration: "SHA-256 of the 70000x784 decoded set (a run's data set row)",
                                       value: time * 1000, unit: "ms"))
        }
        return results
    }
}
