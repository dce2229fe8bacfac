// Runs on users' files and synthetic data: what the store records, one data set row per content, refusals.
import Foundation
import Testing
import TrackerDatasets
import TrackerEngine
import TrackerStore
import TrackerTestSupport
@testable import TrackerExperiments

@Suite(.serialized) struct DataFileRunTests {
    /// An IDX file of unsigned bytes.
    func idx(_ dimensions: [Int], _ values: [UInt8]) -> [UInt8] {
        [0, 0, 0x08, UInt8(dimensions.count)] + dimensions.flatMap { withUnsafeBytes(of: UInt32($0).bigEndian, Array.init) }
            + values
    }

    /// Writes an IDX directory: `train` and `test` 4×4 images whose label (0...3) is the brightest quadrant.
    func writeIDX(_ directory: String, train: Int = 200, test: Int = 60, gzip: Bool = false) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var generator = SeededGenerator(seed: 11)
        func images(_ count: Int) -> (images: [UInt8], labels: [UInt8]) {
            var pixels: [UInt8] = []
            var labels: [UInt8] = []
            for _ in 0..<count {
                let label = generator.nextInt(below: 4)
                labels.append(UInt8(label))
                for row in 0..<4 {
                    for column in 0..<4 {
                        let quadrant = (row / 2) * 2 + column / 2
                        pixels.append(UInt8(generator.nextInt(below: 80) + (quadrant == label ? 150 : 0)))
                    }
                }
            }
            return (pixels, labels)
        }
        let suffix = gzip ? ".gz" : ""
        for (prefix, count) in [("train", train), ("t10k", test)] {
            let (pixels, labels) = images(count)
            for (name, bytes) in [("\(prefix)-images-idx3-ubyte", idx([count, 4, 4], pixels)),
                                  ("\(prefix)-labels-idx1-ubyte", idx([count], labels))] {
                try Data(gzip ? Gzip.compress(bytes) : bytes).write(to: URL(fileURLWithPath: "\(directory)/\(name)\(suffix)"))
            }
        }
    }

    func configuration(_ data: String) -> ExperimentConfiguration {
        var configuration = ExperimentConfiguration()
        configuration.dataset = data
        configuration.architecture = "16"
        configuration.epochs = 2
        configuration.probeSamples = 20
        configuration.snapshotEvery = 10
        return configuration
    }

    @Test func plainAndGzipCopiesShareOneDataSetRowAndKeepTheirPaths() throws {
        let folder = try TemporaryFolder(prefix: "tracker-experiments")
        defer { folder.cleanup() }
        try writeIDX(folder.path("quadrants"))
        try writeIDX(folder.path("elsewhere/copy"), gzip: true)
        let database = try TrackerDatabase.open(path: folder.path("runs.sqlite"))
        let first = try ExperimentRunner(configuration(folder.path("quadrants"))).run(in: database)
        var smaller = configuration(folder.path("elsewhere/copy"))
        smaller.testSamples = 30
        let second = try ExperimentRunner(smaller).run(in: database)
        #expect(first.status == .finished && second.status == .finished)
        #expect((first.finalTest?.accuracy ?? 0) > 0.6, "the brightest quadrant is learnable")
        let runs = try database.query(sql: """
            SELECT dataset_id, data_path, train_samples, test_samples, probe_samples FROM runs ORDER BY id
            """)
        #expect(runs.rows == [
            [.integer(1), .text(folder.path("quadrants")), .integer(200), .integer(60), .integer(20)],
            [.integer(1), .text(folder.path("elsewhere/copy")), .integer(200), .integer(30), .integer(20)],
        ])
        let dataset = try database.query(sql: """
            SELECT name, sample_count, feature_count, class_count, sample_shape, test_sample_count, source FROM datasets
            """)
        #expect(dataset.rows == [[.text("idx:quadrants"), .integer(260), .integer(16), .integer(4), .text("1x4x4"),
                                  .integer(60), .text("IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                                                      + "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; grey levels / 255")]])
    }

    @Test func malformedFilesAndBadOptionsAreConfigurationErrors() throws {
        let folder = try TemporaryFolder(prefix: "tracker-experiments")
        defer { folder.cleanup() }
        try writeIDX(folder.path("data"))
        let labels = folder.path("data/train-labels-idx1-ubyte")
        try Data(idx([199], [UInt8](repeating: 0, count: 199))).write(to: URL(fileURLWithPath: labels))
        func refusal(_ configuration: ExperimentConfiguration) -> (String?, String) {
            do {
                _ = try ExperimentRunner(configuration)
                return (nil, "no error")
            } catch let error as ConfigurationError {
                return (error.setting, error.description)
            } catch {
                return (nil, "\(error)")
            }
        }
        #expect(refusal(configuration(folder.path("data")))
                == ("dataset", "\(folder.path("data/train-images-idx3-ubyte")) has 200 samples but \(labels) has 199 labels"))
        try Data("a,b,c\n1,2,0\n".utf8).write(to: URL(fileURLWithPath: folder.path("t.csv")))
        var csv = configuration(folder.path("t.csv"))
        csv.labelColumn = "d"
        #expect(refusal(csv) == ("label_column", "\(folder.path("t.csv")): no column named 'd' (columns: a, b, c)"))
    }

    @Test func anArchitectureThatCannotTakeTheSamplesSaysTheirShape() throws {
        let folder = try TemporaryFolder(prefix: "tracker-experiments")
        defer { folder.cleanup() }
        let rows = (0..<40).map { row in (0..<16).map { String(($0 + row) % 5) }.joined(separator: ",") + ",\(row % 2)" }
        try Data(rows.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: folder.path("flat.csv")))
        var configuration = configuration(folder.path("flat.csv"))
        configuration.architecture = "conv4k3-relu-flatten-dense8"
        configuration.probeSamples = 5
        #expect(throws: ConfigurationError.self) { try ExperimentRunner(configuration) }
        do {
            _ = try ExperimentRunner(configuration)
        } catch let error as ConfigurationError {
            #expect(error.setting == "architecture")
            #expect(error.description == "architecture 16-conv4k3relu-flatten-8-2: conv1 (conv4k3relu) needs a C×H×W input, "
                    + "got 16 (the samples of 'csv:flat.csv' have shape 16)")
        }
        configuration.sampleShape = "1x4x4"
        configuration.testSamples = 10
        #expect(try ExperimentRunner(configuration).architecture.inputShape.dimensions == [1, 4, 4])
    }

    /// Each synthetic kind, trained briefly, ends well above chance (a quarter with four classes).
    @Test(arguments: [("synthetic:clusters,samples=600,seed=1", "32", 0.85),
                      ("synthetic:teacher,samples=1000,seed=1", "64", 0.55),
                      ("synthetic:sequence,samples=600,steps=8,features=6,seed=1", "rnn24", 0.55)])
    func syntheticDataSetsAreLearnable(data: String, architecture: String, minimum: Double) throws {
        let folder = try TemporaryFolder(prefix: "tracker-experiments")
        defer { folder.cleanup() }
        var configuration = configuration(data)
        configuration.architecture = architecture
        configuration.epochs = 15
        configuration.optimizer = .adam
        configuration.learningRate = 0.01
        configuration.snapshotEvery = 100
        let runner = try ExperimentRunner(configuration)
        let outcome = try runner.run(in: try TrackerDatabase.open(path: folder.path("runs.sqlite")))
        #expect((outcome.finalTest?.accuracy ?? 0) >= minimum, "\(data): \(outcome.finalTest?.accuracy ?? 0)")
        #expect(runner.dataPath == data)
        #expect(runner.datasetDescription.name.hasPrefix(data.prefix(while: { $0 != "," })))
    }

    /// Migration 0006 moves the bundled sets' rows from the old hash formula to this one: its constants must be
    /// what the two formulas give for the data tracker decodes today.
    @Test func migration0006HoldsTheBundledSetsOldAndNewHashes() throws {
        let sql = try #require(Migration.all.first { $0.version == 6 }).sql
        for bundled in BundledDataset.all {
            let data = try bundled.load()
            var bytes = Data()
            data.features.withUnsafeBytes { bytes.append(contentsOf: $0) }
            data.labels.withUnsafeBytes { bytes.append(contentsOf: $0) }
            let old = ContentHash.sha256Hex(bytes)
            let new = ExperimentRunner.contentHash(of: data, heldOut: nil)
            #expect(sql.contains("content_hash = '\(new)'\nWHERE content_hash = '\(old)'"), "\(bundled.name)")
        }
    }
}
