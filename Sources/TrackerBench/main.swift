// tracker-bench: training throughput, correlation cost, data set load time, store write rate, and the analysis
// commands over a 1000-run database, as a table.
//
// Compare with PyTorch on the same models by running the reference in the same session:
//   scripts/bench   (runs this and ../shared/bench/torch_reference.py when torch is installed, and prints ratios)
import Foundation
import TrackerAnalysis
import TrackerDatasets
import TrackerEngine
import TrackerNumerics
import TrackerStore

struct Measurement {
    let name: String
    let configuration: String
    let value: Double
    let unit: String
}

let arguments = CommandLine.arguments.dropFirst()
let json = arguments.contains("--json")
let quick = arguments.contains("--quick")
let commandsOnly = arguments.contains("--commands-only")
let mergeOnly = arguments.contains("--merge-only")
let skipCommands = arguments.contains("--no-commands")
/// The value after `flag` in the arguments, if any.
func option(_ flag: String) -> String? {
    guard let index = arguments.firstIndex(of: flag), arguments.index(after: index) < arguments.endIndex else { return nil }
    return arguments[arguments.index(after: index)]
}

if let model = option("--model") {
    // One reference model in this process (scripts/bench runs each in its own, alternating with PyTorch).
    let threads = option("--threads").flatMap(Int.init) ?? ProcessInfo.processInfo.activeProcessorCount
    let batch = option("--batch").flatMap(Int.init) ?? 128
    let steps = option("--steps").flatMap(Int.init) ?? (model == "mlp" ? 200 : 50)
    do {
        try benchmarkModel(model, batch: batch, steps: steps, threads: threads)
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("tracker-bench: \(error)\n".utf8))
        exit(1)
    }
}

if let shape = option("--correlation") {
    // One correlation summary size, timed alone: the minimum and median of many repeats (for profiling snapshots).
    let parts = shape.split(separator: "x").compactMap { Int($0) }
    guard parts.count == 2 else {
        FileHandle.standardError.write(Data("tracker-bench: --correlation takes SAMPLESxUNITS, got \(shape)\n".utf8))
        exit(1)
    }
    let (samples, units) = (parts[0], parts[1])
    let threads = option("--threads").flatMap(Int.init) ?? 1
    BLAS.setThreadCount(threads)
    var generator = SeededGenerator(seed: 2)
    let values = (0..<(samples * units)).map { _ in Float(generator.nextGaussian()) }
    // The workers a run on `threads` threads gives its snapshots.
    let workspace = CorrelationWorkspace(workers: threads > 1 ? WorkerPool(threadCount: threads) : nil)
    let clock = ContinuousClock()
    var times: [Double] = []
    values.withUnsafeBufferPointer { buffer in
        for _ in 0..<max(3, 20_000_000 / (samples * units)) {
            let duration = clock.measure { _ = workspace.summarize(buffer, samples: samples, units: units) }
            times.append(Double(duration.components.attoseconds) * 1e-15 + Double(duration.components.seconds) * 1e3)
        }
    }
    times.sort()
    print("{\"correlation\":\"\(samples)x\(units)\",\"threads\":\(threads),\"repeats\":\(times.count),"
          + "\"min_ms\":\(times[0]),\"median_ms\":\(times[times.count / 2])}")
    exit(0)
}

if arguments.contains("--help") || arguments.contains("-h") {
    print("""
        usage: tracker-bench --model mlp|cnn|rnn|lstm|gru [--threads N] [--batch 128] [--steps N]
               tracker-bench --correlation SAMPLESxUNITS [--threads N]
               tracker-bench [--quick] [--json] [--commands-only | --no-commands] [--database PATH]
          --model  trains one reference model (../shared/bench/torch_reference.py's) on random 28x28 inputs and
                   prints steps/s and peak RSS as one JSON line (default: every core, batch 128, as the reference)
          --correlation  times one correlation summary of that size (min and median of many repeats, JSON)
          Without --model:
          Measures training steps/s (the reference's 784-256-256-10 MLP at batch 128 on random data, and the
          default digits MLP, on every core as `tracker run`), the cost of a worker-pool section, the time of one
          correlation summary, the time to load each bundled data set and an MNIST-sized IDX set written to a
          temporary folder (plain and gzip) and to hash it, and store inserts/s by binding path. Then builds a
          database of 1000 runs x 200 snapshots x 4 layers through the recording API and times the `tracker phases`
          and `tracker compare` processes over it, and `tracker merge` of 100 shard files of 10 runs each into a new
          file (median of 3), and a 20-run `tracker sweep --jobs 2` against the sum of its runs' own times (these
          need `tracker` built beside tracker-bench: swift build -c release --product tracker).
          --quick          fewer repetitions (a smoke run)
          --json           one JSON object per line instead of a table
          --commands-only  only the database, command, sweep and merge timings
          --merge-only     only the merge timing (100 shards of 10 runs into one file)
          --shards DIR     keep the merge benchmark's shards in DIR, and reuse them when they exist
          --no-commands    everything but them
          --database PATH  keep the commands' database at PATH, and reuse it when it exists (for profiling)
        """)
    exit(0)
}

let clock = ContinuousClock()
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

/// Median of `repeats` timings of `body`, in seconds.
func median(repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<repeats { times.append(seconds(try clock.measure(body))) }
    return times.sorted()[times.count / 2]
}

if let file = option("--snapshot") {
    // One snapshot's statistics on an .npy matrix (scripts/bench_statistics times numpy.corrcoef on the same file).
    do {
        try StatisticsBenchmarks.snapshot(
            file: file, selection: try StatisticSelection(parsing: option("--statistics") ?? "default"),
            threads: option("--threads").flatMap(Int.init) ?? ProcessInfo.processInfo.activeProcessorCount,
            repeats: option("--repeats").flatMap(Int.init) ?? 9)
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("tracker-bench: \(error)\n".utf8))
        exit(1)
    }
}

if arguments.contains("--statistics-store") {
    // The two layouts for per-snapshot statistics: write rate, two reads, size (scripts/bench_statistics).
    let folder = FileManager.default.temporaryDirectory.appending(path: "tracker-bench-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    for result in try StatisticsBenchmarks.storeLayouts(folder: folder, runs: quick ? 20 : 250, snapshotsPerRun: 200,
                                                         layers: 4) {
        print("{\"name\":\"\(result.name)\",\"configuration\":\"\(result.configuration)\",\"value\":\(result.value),"
              + "\"unit\":\"\(result.unit)\"}")
    }
    exit(0)
}

func randomDataset(samples: Int, features: Int, classes: Int, seed: UInt64) throws -> Dataset {
    var generator = SeededGenerator(seed: seed)
    let values = (0..<(samples * features)).map { _ in Float(generator.nextGaussian()) }
    let labels = (0..<samples).map { _ in Int32(generator.next() % UInt64(classes)) }
    return try Dataset(name: "random", featureCount: features, classCount: classes, features: values, labels: labels)
}

/// A section that does nothing, to time a worker pool's own cost.
struct EmptySection: ParallelWork {
    func run(part: Int) {}
}

func trainingStepsPerSecond(hidden: String, inputSize: Int, batch: Int, steps: Int) throws -> Double {
    let data = try randomDataset(samples: batch * 10, features: inputSize, classes: 10, seed: 1)
    let architecture = try Architecture.parse(hidden, inputSize: inputSize, outputSize: 10, defaultActivation: .relu)
    let trainer = try Trainer(architecture: architecture,
                              options: TrainingOptions(learningRate: 0.01, momentum: 0.9, batchSize: batch,
                                                       epochs: (steps * 2) / 10 + 2, seed: 0),
                              training: data, threads: BLAS.threadCount)
    for _ in 0..<max(5, steps / 10) { _ = trainer.step() }
    let elapsed = seconds(clock.measure { for _ in 0..<steps { _ = trainer.step() } })
    return Double(steps) / elapsed
}

var results: [Measurement] = []
let folder = FileManager.default.temporaryDirectory.appending(path: "tracker-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }

if !commandsOnly && !mergeOnly {
    let trainSteps = quick ? 40 : 200
    results.append(Measurement(
        name: "train_mlp", configuration: "784-256-256-10 relu, batch 128 (reference 'mlp')",
        value: try trainingStepsPerSecond(hidden: "256,256", inputSize: 784, batch: 128, steps: trainSteps),
        unit: "steps/s"))
    results.append(Measurement(
        name: "train_digits", configuration: "64-128-64-10 relu, batch 32 (tracker run default)",
        value: try trainingStepsPerSecond(hidden: "128,64", inputSize: 64, batch: 32, steps: trainSteps * 5),
        unit: "steps/s"))

    // The fixed cost of a parallel section: what a layer's work must outweigh to be worth splitting
    // (WorkerPool.defaultMinimumWork).
    let pool = WorkerPool(threadCount: 2, minimumWork: 0)
    let sections = quick ? 2_000 : 20_000
    for _ in 0..<100 { pool.run(EmptySection()) }
    let sectionTime = median(repeats: 5) { for _ in 0..<sections { pool.run(EmptySection()) } } / Double(sections)
    results.append(Measurement(name: "worker_pool", configuration: "one empty section on 2 threads (wake, join)",
                               value: sectionTime * 1e6, unit: "µs"))
    // The same after 200 µs of work on the calling thread alone, as between a network's sections: the worker has
    // gone to sleep (and its core may be halted, which on a virtual machine makes waking it slower).
    var afterWork: [Double] = []
    for _ in 0..<(quick ? 200 : 1_000) {
        let busyUntil = clock.now.advanced(by: .microseconds(200))
        while clock.now < busyUntil {}
        afterWork.append(seconds(clock.measure { pool.run(EmptySection()) }))
    }
    afterWork.sort()
    results.append(Measurement(name: "worker_pool", configuration: "the same after 200 µs of work alone (median)",
                               value: afterWork[afterWork.count / 2] * 1e6, unit: "µs"))

    for (samples, units) in [(256, 128), (1024, 256), (2048, 1024)] {
        var generator = SeededGenerator(seed: 2)
        let values = (0..<(samples * units)).map { _ in Float(generator.nextGaussian()) }
        let workspace = CorrelationWorkspace()
        let time = values.withUnsafeBufferPointer { buffer in
            median(repeats: quick ? 3 : 7) { _ = workspace.summarize(buffer, samples: samples, units: units) }
        }
        let note = samples == 256 ? "(a tracker run snapshot)" : "(reference corrcoef)"
        results.append(Measurement(name: "correlation", configuration: "\(samples)x\(units) summary \(note)",
                                   value: time * 1000, unit: "ms"))
    }

    for bundled in BundledDataset.all {
        let time = try median(repeats: quick ? 3 : 7) { _ = try bundled.load() }
        results.append(Measurement(name: "load_dataset",
                                   configuration: "\(bundled.name) (base64, inflate, parse, check)",
                                   value: time * 1000, unit: "ms"))
    }
    results += try DataLoadBenchmark.measure(folder: folder, repeats: quick ? 3 : 5)

    let database = try TrackerDatabase.open(path: folder.appending(path: "bench.sqlite").path)
    let rows = quick ? 20_000 : 100_000
    let rowsPerTransaction = 2048
    /// Writes `rows` step rows for a new run through `path`; returns rows per second.
    func insertRate(_ path: RunRecorder.BindingPath) throws -> Double {
        let recorder = try database.beginRun(RunDescription(
            name: "bench", seed: 0, host: "bench", commandLine: "tracker-bench",
            architecture: ArchitectureDescription(specJSON: "{}", summary: "-", inputSize: 1, outputSize: 1,
                                                  parameterCount: 0, layers: []),
            hyperparameters: [:],
            dataset: DatasetDescription(name: "none", source: "bench", sampleCount: 0, featureCount: 0, classCount: 0,
                                        contentHash: "0"),
            trainSamples: 0, testSamples: 0, probeSamples: 0, totalSteps: rows, snapshotScheduleJSON: "{}", tags: []))
        recorder.bindingPath = path
        let elapsed = try seconds(clock.measure {
            var step = 0
            while step < rows {
                for _ in 0..<rowsPerTransaction where step < rows {
                    step += 1
                    recorder.record(step: StepMetricsRow(
                    step: step, epoch: step / 1000, trainLoss: 1 / Double(step), trainAccuracy: 0.5,
                    learningRate: 0.01, wallTime: Double(step)))
                }
                try recorder.flush()
            }
        })
        try recorder.finish(.finished)
        return Double(rows) / elapsed
    }
    // Alternate the paths over several rounds (the file grows as it goes) and keep each path's median.
    var rates: [RunRecorder.BindingPath: [Double]] = [:]
    _ = try insertRate(.direct)  // warm-up: the first run pays for growing a new file
    for _ in 0..<(quick ? 1 : 5) {
        for path in RunRecorder.BindingPath.allCases { rates[path, default: []].append(try insertRate(path)) }
    }
    for path in RunRecorder.BindingPath.allCases {
        let sorted = rates[path, default: [0]].sorted()
        results.append(Measurement(
            name: "store_step_rows", configuration: "\(path.rawValue) binding, \(rowsPerTransaction) rows/transaction",
            value: sorted[sorted.count / 2], unit: "rows/s"))
    }
}

if !skipCommands {
    let tracker = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0]))
        .deletingLastPathComponent().appending(path: "tracker")
    if FileManager.default.isExecutableFile(atPath: tracker.path) {
        if !mergeOnly {
            results += try CommandBenchmark.measure(tracker: tracker, folder: folder, database: option("--database"))
            results += try SweepBenchmark.measure(tracker: tracker, folder: folder)
        }
        results += try MergeBenchmark.measure(tracker: tracker, folder: folder,
                                              shardFolder: option("--shards").map { URL(fileURLWithPath: $0) })
    } else {
        FileHandle.standardError.write(Data(("no tracker binary at \(tracker.path): command timings skipped "
                                             + "(swift build -c release --product tracker)\n").utf8))
    }
}

if json {
    for result in results {
        print("{\"name\":\"\(result.name)\",\"configuration\":\"\(result.configuration)\",\"value\":\(result.value),"
              + "\"unit\":\"\(result.unit)\"}")
    }
} else {
    let nameWidth = results.map(\.name.count).max()! + 2
    let configurationWidth = results.map(\.configuration.count).max()! + 2
    print("benchmark".padding(toLength: nameWidth, withPad: " ", startingAt: 0)
          + "configuration".padding(toLength: configurationWidth, withPad: " ", startingAt: 0) + "result")
    for result in results {
        print(result.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
              + result.configuration.padding(toLength: configurationWidth, withPad: " ", startingAt: 0)
              + String(format: result.unit == "s" ? "%12.3f %@" : "%12.1f %@", result.value, result.unit))
    }
}
