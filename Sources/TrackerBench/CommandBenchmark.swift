// The analysis commands at scale: a synthetic database of 1,000 runs × 200 snapshots × 4 layers written through
// the store's recording API, then `tracker phases` and `tracker compare` timed as whole processes over it.
import Foundation
import TrackerEngine
import TrackerStore

/// Builds the synthetic database and times the commands on it.
enum CommandBenchmark {
    static let runCount = 1_000
    static let snapshotsPerRun = 200
    static let layerCount = 4
    static let learningRates = [0.005, 0.01, 0.02, 0.05, 0.1]
    static let batchSizes: [Int64] = [16, 32]
    static let totalSteps = 10_000

    /// 200 strictly increasing steps from 0 to 10,000, log-spaced (as tracker's schedule is early on).
    static let steps: [Int] = {
        var steps: [Int] = []
        for index in 0..<snapshotsPerRun {
            let logSpaced = Int((exp(log(Double(totalSteps + 1)) * Double(index) / Double(snapshotsPerRun - 1)) - 1)
                .rounded())
            steps.append(max(logSpaced, (steps.last ?? -1) + 1))
        }
        steps[steps.count - 1] = totalSteps
        return steps
    }()

    static func description(learningRate: Double, batchSize: Int64, seed: Int64) -> RunDescription {
        let widths = [128, 128, 64, 32]
        var layers = widths.enumerated().map { index, units in
            LayerDescription(index: index, name: "dense\(index + 1)", kind: "dense", units: units, activation: "relu",
                             isHidden: true)
        }
        layers.append(LayerDescription(index: 4, name: "output", kind: "dense", units: 10, activation: nil,
                                       isHidden: false))
        return RunDescription(
            name: nil, seed: seed, host: "bench", commandLine: "tracker-bench",
            architecture: ArchitectureDescription(
                specJSON: #"{"bench":"64-128relu-128relu-64relu-32relu-10"}"#, summary: "64-128relu-128relu-64relu-32relu-10",
                inputSize: 64, outputSize: 10, parameterCount: 35_000, layers: layers),
            hyperparameters: ["learning_rate": .real(learningRate), "batch_size": .integer(batchSize),
                              "momentum": .real(0.9), "epochs": .integer(20), "optimizer": .text("sgd")],
            dataset: DatasetDescription(name: "digits", source: "synthetic (tracker-bench)", sampleCount: 1797,
                                        featureCount: 64, classCount: 10, contentHash: String(repeating: "0", count: 64)),
            trainSamples: 1437, testSamples: 360, probeSamples: 256, totalSteps: totalSteps,
            snapshotScheduleJSON: #"{"kind":"bench"}"#, tags: [])
    }

    /// Writes the runs: each a rise-then-decay of mean |r| per layer (the peak earlier for larger learning rates and
    /// deeper layers, some runs flat), with noise, and a final test evaluation. Returns the seconds it took.
    static func build(path: String) throws -> Double {
        let database = try TrackerDatabase.open(path: path)
        var generator = SeededGenerator(seed: 11)
        let positions = steps.map { log(1 + Double($0)) }
        let clock = ContinuousClock()
        let duration = try clock.measure {
            for run in 0..<runCount {
                let rate = learningRates[run % learningRates.count]
                let batch = batchSizes[(run / learningRates.count) % batchSizes.count]
                let seed = Int64(run / (learningRates.count * batchSizes.count)) + 1
                let recorder = try database.beginRun(description(learningRate: rate, batchSize: batch, seed: seed))
                let flat = run % 7 == 0
                let peaks = (0..<layerCount).map { layer in
                    log(1 + 400 * 0.01 / rate * Double(layer + 1) / 2) + 0.3 * generator.nextGaussian()
                }
                // Step by step, every layer at each step, as a training run records them (and in key order).
                for (step, position) in zip(steps, positions) {
                    for (layer, peak) in peaks.enumerated() {
                        let bump = flat ? 0 : 0.25 * exp(-(position - peak) * (position - peak) / 2)
                        let value = 0.1 + bump + 0.01 * position / positions.last! + 0.004 * generator.nextGaussian()
                        recorder.record(snapshot: SnapshotRow(step: step, layerIndex: layer, probeSamples: 256,
                                                              units: 128, deadUnits: 0, pairCount: 8128,
                                                              meanAbsR: value, meanR: value / 3))
                    }
                }
                recorder.record(evaluation: EvaluationRow(step: totalSteps, split: "test", loss: 0.1,
                                                          accuracy: 0.9 + 0.05 * generator.nextUniform(),
                                                          sampleCount: 360, wallTime: 1))
                try recorder.finish(.finished)
            }
        }
        return seconds(duration)
    }

    /// Wall time and CPU time (user + system) of `tracker arguments...` as a process, its output discarded;
    /// fails unless it exits 0. On a shared machine the CPU time is the steadier figure.
    static func time(_ tracker: URL, _ arguments: [String]) throws -> (wall: Double, cpu: Double) {
        func childrenCPU() -> Double {
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
            return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) * 1e-6
                + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) * 1e-6
        }
        let process = Process()
        process.executableURL = tracker
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        let clock = ContinuousClock()
        let cpuBefore = childrenCPU()
        let start = clock.now
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let elapsed = seconds(clock.now - start)
        guard process.terminationStatus == 0 else {
            throw BenchmarkFailure("tracker \(arguments.joined(separator: " ")) exited \(process.terminationStatus): "
                                   + String(decoding: message, as: UTF8.self))
        }
        return (elapsed, childrenCPU() - cpuBefore)
    }

    static func copy(_ source: String, to destination: String) throws {
        for suffix in ["-wal", "-shm", ""] { try? FileManager.default.removeItem(atPath: destination + suffix) }
        try FileManager.default.copyItem(atPath: source, toPath: destination)
    }

    /// Builds the database in `folder`, then times each command three times (each "first" call on a fresh copy
    /// of the database without phase results) and keeps the medians.
    ///
    /// - Parameter database: where to keep the built database (built there only if missing, for repeated
    ///   profiling); nil: in `folder`, built afresh.
    static func measure(tracker: URL, folder: URL, database: String? = nil) throws -> [Measurement] {
        let pristine = database ?? folder.appending(path: "commands.sqlite").path
        var results: [Measurement] = []
        if !FileManager.default.fileExists(atPath: pristine) {
            let buildSeconds = try build(path: pristine)  // closed when `build` returns: no WAL left to copy
            let rows = Double(runCount * snapshotsPerRun * layerCount)
            results += [
                Measurement(name: "bench_database", configuration: "1000 runs x 200 snapshots x 4 layers, recording API",
                            value: buildSeconds, unit: "s"),
                Measurement(name: "bench_database", configuration: "snapshot rows written per second",
                            value: rows / buildSeconds, unit: "rows/s"),
            ]
        }
        let working = folder.appending(path: "working.sqlite").path
        let compare = ["compare", "--where", "epochs = 20 AND status = 'finished'", "--group-by", "lr,batch",
                       "--at-steps", "0,100,1000", "--db", working]
        let phases = ["phases", "--db", working]
        /// Three timings, each after `prepare`; the medians of wall and CPU time.
        func medians(_ name: String, prepare: () throws -> Void = {}, _ arguments: [String]) throws -> [Measurement] {
            var times: [(wall: Double, cpu: Double)] = []
            for _ in 0..<3 {
                try prepare()
                times.append(try time(tracker, arguments))
            }
            return [Measurement(name: "command", configuration: name + " (wall)",
                                value: times.map(\.wall).sorted()[1], unit: "s"),
                    Measurement(name: "command", configuration: name + " (cpu)",
                                value: times.map(\.cpu).sorted()[1], unit: "s")]
        }
        let fresh = { try copy(pristine, to: working) }
        results += try medians("tracker phases, 1000 runs, detecting and storing", prepare: fresh, phases)
        results += try medians("tracker phases, 1000 runs, stored results reused", phases)
        results += try medians("tracker compare --where --group-by lr,batch --at-steps", compare)
        results += try medians("tracker compare, as above, detecting phases first", prepare: fresh, compare)
        return results
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
