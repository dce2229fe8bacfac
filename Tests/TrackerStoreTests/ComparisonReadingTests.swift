// The batch reads behind `tracker compare`, and the named queries over phase_results and reduced snapshots.
import Foundation
import Testing
import TrackerTestSupport
@testable import TrackerStore

/// A run of `sampleRun()`'s shape whose layer 0 has the given series per reduction (no step metrics).
@discardableResult
func recordSeries(_ database: TrackerDatabase, _ run: RunDescription = sampleRun(),
                  series: [String: [(step: Int, value: Double?)]], finish: Bool = true) throws -> Int64 {
    let recorder = try database.beginRun(run)
    for (reduction, points) in series {
        for point in points {
            recorder.record(snapshot: SnapshotRow(step: point.step, layerIndex: 0, reduction: reduction,
                                                  probeSamples: 8, units: 8, deadUnits: 0, pairCount: 28,
                                                  meanAbsR: point.value, meanR: point.value.map { -$0 }))
        }
    }
    if finish { try recorder.finish(.finished) } else { try recorder.flush() }
    return recorder.runID
}

/// A phase_results row of layer 0 ('dense1' in `sampleRun()`), with a peak when `peakStep` is given.
func phaseRecord(run: Int64, phaseClass: String, peakStep: Double? = nil, statistic: String = "mean_abs_r",
                 reduction: String = "none") -> PhaseRecord {
    PhaseRecord(runID: run, layerIndex: 0, reduction: reduction, statistic: statistic, detectorVersion: "1",
                parameters: "{}", phaseClass: phaseClass, pointCount: 20, lastStep: 1000, runStatus: "finished",
                startValue: 0.1, peakStep: peakStep, peakValue: peakStep.map { _ in 0.4 }, riseAmplitude: nil,
                riseDuration: nil, decayFraction: peakStep.map { _ in 0.5 }, halfDecayStep: nil, finalValue: 0.25,
                noiseSigma: 0.01, noiseFloor: nil, otherPeaks: 0, firstNonFiniteStep: nil)
}

@Suite struct ComparisonReadingTests {
    @Test func runFactsAndFilterNameValuesForManyRunsAtOnce() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("facts.sqlite"))
        let first = try recordSampleRun(database, sampleRun(seed: 1, learningRate: 0.05, tags: ["b", "a"]))
        let second = try recordSampleRun(database, sampleRun(seed: 2, learningRate: 0.05, tags: []))
        let third = try recordSeries(database, sampleRun(name: nil, seed: 1, learningRate: 0.01),
                                     series: ["none": [(0, 0.1)]], finish: false)

        let facts = try database.runFacts([third, first, second, 99])
        #expect(facts.map(\.id) == [first, second, third], "ascending ids, unknown ids left out")
        #expect(facts[0].hyperparameterSetID == facts[1].hyperparameterSetID)
        #expect(facts[0].hyperparameterSetID != facts[2].hyperparameterSetID)
        #expect(facts[0].hyperparameters == ["learning_rate": .real(0.05), "batch_size": .integer(16),
                                             "optimizer": .text("sgd")])
        #expect(facts[2].hyperparameters["learning_rate"] == .real(0.01))
        #expect(facts.map(\.status) == ["finished", "finished", "running"])
        #expect(facts.map(\.testAccuracy) == [0.9, 0.9, nil])
        #expect(facts.map(\.architecture) == ["4-8relu-3", "4-8relu-3", "4-8relu-3"])
        #expect(facts.map(\.dataset) == ["toy", "toy", "toy"])
        #expect(facts.map(\.seed) == [1, 2, 1])

        let values = try database.runValues([first, second, third],
                                            names: ["lr", "arch", "tag", "seed", "test_accuracy", "name", "momentum"])
        #expect(values[first] == [.real(0.05), .text("4-8relu-3"), .text("a,b"), .integer(1), .real(0.9),
                                  .text("sample"), .null])
        #expect(values[second] == [.real(0.05), .text("4-8relu-3"), .null, .integer(2), .real(0.9), .text("sample"),
                                   .null])
        #expect(values[third] == [.real(0.01), .text("4-8relu-3"), .text("t1"), .integer(1), .null, .null, .null])
        #expect(try database.runValues([first], names: []) == [first: []])

        #expect(try database.unknownNames(["lr", "lrr", "arch", "momentum", "tag", "batch_size"]) == ["lrr", "momentum"])
        #expect(try database.probedLayerNames(runIDs: [first, third]) == ["dense1"])
        #expect(try database.probedLayerNames(runIDs: []) == [])
    }

    /// Requested steps against snapshots at 0, 5 and 10 (the nearest at or before each), two reductions of one
    /// layer kept apart, a series that starts after step 0, a NULL statistic.
    @Test func valuesAtStepsAreTheNearestSnapshotAtOrBefore() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("steps.sqlite"))
        let plain = try recordSampleRun(database, peakStep: 5)  // 0.2, 0.5, 0.2 at steps 0, 5, 10
        let recurrent = try recordSeries(database, series: [
            "time_pooled": [(0, 0.30), (10, 0.35), (20, 0.40)],
            "last_step": [(0, 0.60), (10, nil), (20, 0.70)],
        ])
        let late = try recordSeries(database, series: ["none": [(3, 0.11), (8, 0.12)]])

        let values = try database.snapshotValues(runIDs: [plain, recurrent, late], statistic: "mean_abs_r",
                                                 atSteps: [0, 4, 5, 7, 100])
        func row(_ run: Int64, _ reduction: String) -> [String] {
            values.filter { $0.runID == run && $0.reduction == reduction }
                .map { "\($0.requestedStep)→\($0.snapshotStep.map(String.init) ?? "-"):\($0.value.map { "\($0)" } ?? "-")" }
        }
        #expect(row(plain, "none") == ["0→0:0.2", "4→0:0.2", "5→5:0.5", "7→5:0.5", "100→10:0.2"])
        #expect(row(recurrent, "last_step") == ["0→0:0.6", "4→0:0.6", "5→0:0.6", "7→0:0.6", "100→20:0.7"])
        #expect(row(recurrent, "time_pooled") == ["0→0:0.3", "4→0:0.3", "5→0:0.3", "7→0:0.3", "100→20:0.4"])
        #expect(row(late, "none") == ["0→-:-", "4→3:0.11", "5→3:0.11", "7→3:0.11", "100→8:0.12"])
        #expect(values.map(\.layerName).allSatisfy { $0 == "dense1" })
        #expect(values.count == 4 * 5)

        let atTen = try database.snapshotValues(runIDs: [recurrent], statistic: "mean_r", atSteps: [10])
        #expect(atTen.map(\.reduction) == ["last_step", "time_pooled"])
        #expect(atTen.map(\.value) == [nil, -0.35], "a NULL statistic reads as nil")
        #expect(try database.snapshotValues(runIDs: [plain], statistic: "mean_abs_r", atSteps: [5], layerName: "nope")
            .isEmpty)
        #expect(try database.snapshotValues(runIDs: [plain], statistic: "mean_abs_r", atSteps: []).isEmpty)
        #expect(throws: StoreError.unknownStatistic("units", known: try database.snapshotStatisticColumns())) {
            try database.snapshotValues(runIDs: [plain], statistic: "units", atSteps: [1])
        }
    }

    @Test func sqlValuesSortAsSQLiteOrdersThem() {
        let values: [SQLValue] = [.text("b"), .real(2.5), .null, .integer(3), .text("B"), .integer(-1), .blob([1])]
        let sorted = values.sorted(by: SQLValue.sortsBefore)
        #expect(sorted == [.null, .integer(-1), .real(2.5), .integer(3), .text("B"), .text("b"), .blob([1])])
        #expect(!SQLValue.sortsBefore(.integer(2), .real(2)) && !SQLValue.sortsBefore(.real(2), .integer(2)))
    }

    /// Phase rows with known peak steps: learning rate 0.05 peaks at 100, 300 and 150 (median 150, odd count),
    /// 0.01 at 50 and 70 with one flat run (median 60 over the two peaks).
    @Test func namedPhaseQueriesOnKnownRows() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("phases.sqlite"))
        var runs: [Int64] = []
        for (seed, rate) in [(1, 0.05), (2, 0.05), (3, 0.05), (1, 0.01), (2, 0.01), (3, 0.01)] {
            runs.append(try recordSampleRun(database, sampleRun(name: "r\(runs.count + 1)", seed: Int64(seed),
                                                                 learningRate: rate)))
        }
        try database.savePhaseRecords([
            phaseRecord(run: runs[0], phaseClass: "rise_then_decay", peakStep: 100),
            phaseRecord(run: runs[1], phaseClass: "rise_then_decay", peakStep: 300),
            phaseRecord(run: runs[2], phaseClass: "rise_then_decay", peakStep: 150),
            phaseRecord(run: runs[3], phaseClass: "rise_then_decay", peakStep: 50),
            phaseRecord(run: runs[4], phaseClass: "flat"),
            phaseRecord(run: runs[5], phaseClass: "rise_then_decay", peakStep: 70),
            phaseRecord(run: runs[4], phaseClass: "rise_then_decay", peakStep: 10, statistic: "mean_r"),
        ])

        let before = try database.query(named: "runs_peaking_before",
                                        parameters: ["layer": .text("dense1"), "step": .integer(150)])
        #expect(before.column("run_id") == [runs[3], runs[5], runs[0]].map { .integer($0) }, "earliest peak first")
        #expect(before.column("peak_step") == [.real(50), .real(70), .real(100)])
        #expect(before.column("run_name") == [.text("r4"), .text("r6"), .text("r1")])
        let signed = try database.query(named: "runs_peaking_before", parameters: [
            "layer": .text("dense1"), "step": .integer(150), "statistic": .text("mean_r")])
        #expect(signed.column("run_id") == [.integer(runs[4])])
        #expect(try database.query(named: "runs_peaking_before",
                                   parameters: ["layer": .text("dense2"), "step": .integer(1000)]).rows.isEmpty)

        let byRate = try database.query(named: "peak_step_by_hyperparameter",
                                        parameters: ["key": .text("learning_rate")])
        #expect(byRate.column("value") == [.real(0.01), .real(0.05)])
        #expect(byRate.column("layer_name") == [.text("dense1"), .text("dense1")])
        #expect(byRate.column("runs") == [.integer(3), .integer(3)])
        #expect(byRate.column("rise_then_decay") == [.integer(2), .integer(3)])
        #expect(byRate.column("median_peak_step") == [.real(60), .real(150)])
        #expect(byRate.column("mean_peak_step") == [.real(60), .real(183.3)])
        #expect(byRate.column("min_peak_step") == [.real(50), .real(100)])
        #expect(byRate.column("max_peak_step") == [.real(70), .real(300)])
        let byBatch = try database.query(named: "peak_step_by_hyperparameter", parameters: ["key": .text("batch_size")])
        #expect(byBatch.column("runs") == [.integer(6)])
        #expect(byBatch.column("median_peak_step") == [.real(100)], "peaks 50, 70, 100, 150, 300")
        // Unset, the parameters are NULL, as in sqlite3: the query runs and selects nothing.
        let sql = try #require(NamedQuery.all.first { $0.name == "peak_step_by_hyperparameter" }).sql
        #expect(try database.query(sql: sql, arguments: ["key": .null, "statistic": .null]).rows.isEmpty)
    }

    /// A recurrent layer's two series stay two rows in the named snapshot queries.
    @Test func namedSnapshotQueriesKeepReductionsApart() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("reductions.sqlite"))
        let run = try recordSeries(database, series: [
            "time_pooled": [(0, 0.30), (10, 0.45), (20, 0.40)],
            "last_step": [(0, 0.60), (10, 0.50), (20, 0.70)],
        ])
        let peaks = try database.query(named: "peak_correlation", parameters: ["run": .integer(run)])
        #expect(peaks.column("reduction") == [.text("last_step"), .text("time_pooled")])
        #expect(peaks.column("peak_step") == [.integer(20), .integer(10)])
        #expect(peaks.column("start_mean_abs_r") == [.real(0.6), .real(0.3)])
        #expect(peaks.column("final_mean_abs_r") == [.real(0.7), .real(0.4)])
        let series = try database.query(named: "snapshot_series", parameters: ["run": .integer(run)])
        #expect(series.column("reduction") == ["last_step", "last_step", "last_step", "time_pooled", "time_pooled",
                                               "time_pooled"].map { .text($0) })
        let lastStep = try database.query(named: "snapshot_series",
                                          parameters: ["run": .integer(run), "reduction": .text("last_step")])
        #expect(lastStep.column("mean_abs_r") == [.real(0.6), .real(0.5), .real(0.7)])
    }
}
