// tracker-bench --snapshot and --statistics-store: the cost of a snapshot's statistics on a matrix NumPy also times
// (scripts/bench_statistics runs both in one session), and the two store layouts for per-snapshot statistics.
import Foundation
import GRDB
import TrackerAnalysis
import TrackerExperiments
import TrackerNumerics
import TrackerStore

enum StatisticsBenchmarks {
    /// Median milliseconds of the selected statistics (and of mean |r| alone) on the (samples, units) matrix of an
    /// .npy file, one JSON line.
    static func snapshot(file: String, selection: StatisticSelection, threads: Int, repeats: Int) throws {
        BLAS.setThreadCount(threads)
        let matrix = try ActivationFile.read(path: file)
        guard case .float32(let values) = matrix.values else { throw ActivationFileError(file, "expected float32") }
        // The workers a run on `threads` threads gives its snapshots.
        let workers = threads > 1 ? WorkerPool(threadCount: threads) : nil
        let workspace = StatisticsWorkspace(selection: selection, workers: workers)
        let summary = CorrelationWorkspace(workers: workers)
        var statisticsTimes: [Double] = []
        var summaryTimes: [Double] = []
        values.withUnsafeBufferPointer { buffer in
            _ = workspace.compute(buffer, samples: matrix.samples, units: matrix.units, series: 0)  // warm-up
            _ = summary.summarize(buffer, samples: matrix.samples, units: matrix.units)
            for _ in 0..<repeats {
                statisticsTimes.append(seconds(clock.measure {
                    _ = workspace.compute(buffer, samples: matrix.samples, units: matrix.units, series: 0)
                }))
                summaryTimes.append(seconds(clock.measure {
                    _ = summary.summarize(buffer, samples: matrix.samples, units: matrix.units)
                }))
            }
        }
        // The floor of any double-precision method: the Gram matrix alone, one dsyrk on OpenBLAS's `threads` threads
        // (what numpy.corrcoef's product is) over the values as Doubles.
        let doubles = values.map(Double.init)
        var gram = [Double](repeating: 0, count: matrix.units * matrix.units)
        var gramTimes: [Double] = []
        doubles.withUnsafeBufferPointer { a in
            gram.withUnsafeMutableBufferPointer { c in
                for repeat_ in 0...repeats {
                    let time = seconds(clock.measure {
                        BLAS.gramUpper(c: c.baseAddress!, a: a.baseAddress!, n: matrix.units, k: matrix.samples)
                    })
                    if repeat_ > 0 { gramTimes.append(time) }
                }
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] * 1000 }
        let fields: [String] = [
            "\"samples\":\(matrix.samples)", "\"units\":\(matrix.units)", "\"threads\":\(threads)",
            "\"statistics\":\"\(selection)\"", "\"statistics_ms\":\(median(statisticsTimes))",
            "\"mean_abs_r_only_ms\":\(median(summaryTimes))", "\"gram_only_ms\":\(median(gramTimes))",
        ]
        print("{" + fields.joined(separator: ",") + "}")
    }

    /// Writes the same snapshots' statistics in the two candidate layouts and times writes and two typical reads.
    static func storeLayouts(folder: URL, runs: Int, snapshotsPerRun: Int, layers: Int) throws -> [Measurement] {
        let names = SnapshotStatistic.scalars.map(\.name)
        let extra = names.filter { !RunRecorder.baseStatisticColumns.contains($0) }
        let rows = runs * snapshotsPerRun * layers
        var results: [Measurement] = []
        func value(_ run: Int, _ step: Int, _ layer: Int, _ statistic: Int) -> Double {
            let mixed: Int = run &* 7919 &+ step &* 104_729 &+ layer &* 31 &+ statistic
            return Double(mixed % 10_007) / 10_007
        }

        // Columns: the real recorder, a column per statistic.
        let widePath = folder.appending(path: "wide.sqlite").path
        let database = try TrackerDatabase.open(path: widePath)
        var wideSeconds = 0.0
        for run in 0..<runs {
            let recorder = try database.beginRun(benchRun(), statisticColumns: extra)
            wideSeconds += try seconds(clock.measure {
                for snapshot in 0..<snapshotsPerRun {
                    for layer in 0..<layers {
                        recorder.record(snapshot: SnapshotRow(
                            step: snapshot * 10, layerIndex: layer, probeSamples: 256, units: 128, deadUnits: 0,
                            pairCount: 8128, meanAbsR: value(run, snapshot, layer, 0), meanR: value(run, snapshot, layer, 1),
                            statistics: extra.indices.map { value(run, snapshot, layer, $0 + 2) }))
                        if recorder.pendingRows >= 2048 { try recorder.flush() }
                    }
                }
                try recorder.flush()
            })
            try recorder.finish(.finished)
        }
        results.append(Measurement(name: "store_statistics", configuration: "columns: snapshot rows (\(names.count) statistics each)",
                                   value: Double(rows) / wideSeconds, unit: "rows/s"))
        results.append(Measurement(name: "store_statistics", configuration: "columns: statistic values",
                                   value: Double(rows * names.count) / wideSeconds, unit: "values/s"))

        // Long: one row per (snapshot, statistic), written the same way (prepared statement, 2048 snapshots a commit).
        let longPath = folder.appending(path: "long.sqlite").path
        let queue = try DatabaseQueue(path: longPath)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE snapshot_values (run_id INTEGER NOT NULL, step INTEGER NOT NULL, layer_index INTEGER NOT NULL,
                    reduction TEXT NOT NULL, statistic_id INTEGER NOT NULL, value REAL,
                    PRIMARY KEY (run_id, step, layer_index, reduction, statistic_id)) STRICT, WITHOUT ROWID;
                """)
        }
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        let longSeconds = try seconds(clock.measure {
            for run in 0..<runs {
                var snapshot = 0
                while snapshot < snapshotsPerRun {
                    let end = min(snapshotsPerRun, snapshot + 2048 / layers)
                    try queue.write { db in
                        let statement = try db.cachedStatement(sql: "INSERT INTO snapshot_values VALUES (?, ?, ?, 'none', ?, ?)")
                        for step in snapshot..<end {
                            for layer in 0..<layers {
                                for statistic in names.indices {
                                    try statement.execute(arguments: [run + 1, step * 10, layer, statistic,
                                                                      value(run, step, layer, statistic)])
                                }
                            }
                        }
                    }
                    snapshot = end
                }
            }
        })
        results.append(Measurement(name: "store_statistics", configuration: "long: (snapshot, statistic, value) rows",
                                   value: Double(rows * names.count) / longSeconds, unit: "values/s"))

        // Reads: one statistic's series over every run; every statistic of one run.
        let wideQueue = try DatabaseQueue(path: widePath)
        let seriesWide = try median(repeats: 3) {
            _ = try wideQueue.read { db in
                try Row.fetchAll(db, sql: "SELECT run_id, step, layer_index, participation_ratio FROM snapshots ORDER BY run_id, step, layer_index")
            }
        }
        let seriesLong = try median(repeats: 3) {
            _ = try queue.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT run_id, step, layer_index, value FROM snapshot_values WHERE statistic_id = ?
                    ORDER BY run_id, step, layer_index
                    """, arguments: [names.firstIndex(of: "participation_ratio")!])
            }
        }
        let runWide = try median(repeats: 5) {
            _ = try wideQueue.read { db in try Row.fetchAll(db, sql: "SELECT * FROM snapshots WHERE run_id = ?", arguments: [runs / 2]) }
        }
        let pivot = names.indices.map { "max(CASE statistic_id WHEN \($0) THEN value END) AS \"\(names[$0])\"" }
        let runLong = try median(repeats: 5) {
            _ = try queue.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT run_id, step, layer_index, \(pivot.joined(separator: ", ")) FROM snapshot_values
                    WHERE run_id = ? GROUP BY run_id, step, layer_index
                    """, arguments: [runs / 2])
            }
        }
        results.append(Measurement(name: "store_query", configuration: "one statistic, all \(rows) snapshots: columns",
                                   value: seriesWide * 1000, unit: "ms"))
        results.append(Measurement(name: "store_query", configuration: "one statistic, all \(rows) snapshots: long",
                                   value: seriesLong * 1000, unit: "ms"))
        results.append(Measurement(name: "store_query", configuration: "every statistic of one run: columns",
                                   value: runWide * 1000, unit: "ms"))
        results.append(Measurement(name: "store_query", configuration: "every statistic of one run: long (pivot)",
                                   value: runLong * 1000, unit: "ms"))
        for (name, path) in [("columns", widePath), ("long", longPath)] {
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.doubleValue ?? 0
            results.append(Measurement(name: "store_size", configuration: "\(name): bytes per snapshot",
                                       value: size / Double(rows), unit: "bytes"))
        }
        return results
    }

    static func benchRun() -> RunDescription {
        RunDescription(
            name: "bench", seed: 0, host: "bench", commandLine: "tracker-bench",
            architecture: ArchitectureDescription(specJSON: "{}", summary: "-", inputSize: 1, outputSize: 1,
                                                  parameterCount: 0, layers: []),
            hyperparameters: [:],
            dataset: DatasetDescription(name: "none", source: "bench", sampleCount: 0, featureCount: 0, classCount: 0,
                                        contentHash: "0"),
            trainSamples: 0, testSamples: 0, probeSamples: 0, totalSteps: 0, snapshotScheduleJSON: "{}", tags: [])
    }
}
