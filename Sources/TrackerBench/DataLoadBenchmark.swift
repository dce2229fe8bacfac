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
        /// Digit-like images: a dark background crossed by a few strokes of noisy grey levels (about a fifth of the
        /// pixels, as in MNIST), so gzip compresses them about as much as MNIST's own files (5 to 6 times), which
        /// decides the inflate time.
        func images(_ count: Int) -> [UInt8] {
            var pixels = [UInt8](repeating: 0, count: count * 784)
            for image in 0..<count {
                for _ in 0..<4 {
                    let (row, column) = (4 + generator.nextInt(below: 16), 4 + generator.nextInt(below: 16))
                    let (height, width) = generator.nextInt(below: 2) == 0 ? (3, 12) : (12, 3)
                    for y in row..<min(row + height, 28) {
                        for x in column..<min(column + width, 28) {
                            pixels[image * 784 + y * 28 + x] = UInt8(64 + generator.nextInt(below: 192))
                        }
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
            var cpuTimes: [Double] = []
            let time = try median(repeats: repeats) {
                let cpuStart = processCPUSeconds()
                loaded = try DataSource.load(directory.path)
                cpuTimes.append(processCPUSeconds() - cpuStart)
            }
            let configuration = "60000+10000 28x28 IDX, \(gzip ? "gzip" : "plain") (\(bytes / 1_000_000) MB; stream, decode, check)"
            results.append(Measurement(name: "load_idx", configuration: configuration, value: time * 1000, unit: "ms"))
            results.append(Measurement(name: "load_idx", configuration: configuration + ", CPU",
                                       value: cpuTimes.sorted()[cpuTimes.count / 2] * 1000, unit: "ms"))
        }
        if let loaded {
            let time = median(repeats: repeats) { _ = ExperimentRunner.contentHash(of: loaded.samples, heldOut: loaded.heldOut) }
            results.append(Measurement(name: "hash_dataset", configuration: "SHA-256 of the 70000x784 decoded set (a run's data set row)",
                                       value: time * 1000, unit: "ms"))
        }
        return results
    }
}

/// User plus system CPU seconds of this process so far (the wall clock counts other processes on a busy machine).
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
}
