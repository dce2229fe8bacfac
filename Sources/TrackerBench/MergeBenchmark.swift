// Merging shards at scale: 100 shard files of 10 runs × 200 snapshots × 4 layers written through the recording API,
// then `tracker merge` of all of them into a new file, timed as a whole process.
import Foundation
import TrackerEngine
import TrackerStore

enum MergeBenchmark {
    static let shardCount = 100
    static let runsPerShard = 10

    /// Writes the shards into `folder` (the runs of CommandBenchmark, 10 per file). Returns their paths.
    static func buildShards(in folder: URL) throws -> [String] {
        var generator = SeededGenerator(seed: 5)
        var paths: [String] = []
        for shard in 0..<shardCount {
            let path = folder.appending(path: "shard-\(shard).sqlite").path
            let database = try TrackerDatabase.open(path: path)
            for run in 0..<runsPerShard {
                let index = shard * runsPerShard + run
                let rate = CommandBenchmark.learningRates[index % CommandBenchmark.learningRates.count]
                let recorder = try database.beginRun(CommandBenchmark.description(learningRate: rate, batchSize: 32,
                                                                                  seed: Int64(index)))
                for step in CommandBenchmark.steps {
                    for layer in 0..<CommandBenchmark.layerCount {
                        let value = 0.1 + 0.01 * generator.nextUniform()
                        recorder.record(snapshot: SnapshotRow(step: step, layerIndex: layer, probeSamples: 256,
                                                              units: 128, deadUnits: 0, pairCount: 8128,
                                                              meanAbsR: value, meanR: value / 3))
                    }
                    if step > 0 {
                        recorder.record(step: StepMetricsRow(step: step, epoch: 0, trainLoss: 1, trainAccuracy: 0.5,
                                                             learningRate: rate, wallTime: 1))
                    }
                }
                try recorder.finish(.finished)
            }
            paths.append(path)
        }
        return paths
    }

    /// Merges all shards into a new file three times (each into a fresh target) and keeps the median wall time.
    ///
    /// - Parameter shardFolder: where to keep the shards (built there only if missing, for repeated profiling);
    ///   nil: in `folder`, built afresh.
    static func measure(tracker: URL, folder: URL, shardFolder: URL? = nil) throws -> [Measurement] {
        let shardFolder = shardFolder ?? folder.appending(path: "shards")
        let existing = (0..<shardCount).map { shardFolder.appending(path: "shard-\($0).sqlite").path }
        let shards: [String]
        if existing.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) {
            shards = existing
        } else {
            try FileManager.default.createDirectory(at: shardFolder, withIntermediateDirectories: true)
            shards = try buildShards(in: shardFolder)
        }
        let target = folder.appending(path: "merged.sqlite").path
        var walls: [Double] = []
        var cpus: [Double] = []
        for _ in 0..<3 {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: target + suffix) }
            let time = try CommandBenchmark.time(tracker, ["merge"] + shards + ["--into", target])
            walls.append(time.wall)
            cpus.append(time.cpu)
        }
        var allRows = 0.0
        if case .integer(let count)? = try TrackerDatabase.openForReading(path: target).query(sql: """
            SELECT (SELECT count(*) FROM snapshots) + (SELECT count(*) FROM step_metrics) + (SELECT count(*) FROM runs)
                + (SELECT count(*) FROM tags) + (SELECT count(*) FROM evaluations) AS n
            """).rows.first?.first {
            allRows = Double(count)
        }
        let again = try CommandBenchmark.time(tracker, ["merge"] + shards + ["--into", target]).wall
        let wall = walls.sorted()[1]
        let cpu = cpus.sorted()[1]
        let runs = Double(shardCount * runsPerShard)
        let snapshotRows = runs * Double(CommandBenchmark.steps.count * CommandBenchmark.layerCount)
        return [
            Measurement(name: "merge", configuration: "100 shards x 10 runs x 200 snapshots x 4 layers (wall)",
                        value: wall, unit: "s"),
            Measurement(name: "merge", configuration: "the same, CPU time (user + system)", value: cpu, unit: "s"),
            Measurement(name: "merge", configuration: "runs merged per second", value: runs / wall, unit: "runs/s"),
            Measurement(name: "merge", configuration: "snapshot rows merged per second", value: snapshotRows / wall,
                        unit: "rows/s"),
            Measurement(name: "merge", configuration: "snapshot rows merged per CPU second", value: snapshotRows / cpu,
                        unit: "rows/s"),
            Measurement(name: "merge", configuration: "rows of every table merged per second",
                        value: allRows / wall,
                        unit: "rows/s"),
            Measurement(name: "merge", configuration: "merging the 100 shards again (nothing to add)", value: again,
                        unit: "s"),
        ]
    }
}
