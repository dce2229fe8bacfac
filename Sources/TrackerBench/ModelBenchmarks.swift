// The reference models of ../shared/bench/torch_reference.py, trained by tracker: steps/s and peak RSS, one model
// per process so peak memory is the model's own.
import Foundation
import TrackerEngine
import TrackerNumerics

/// The five reference models on 28×28 inputs (the torch reference's MODELS), in tracker's layer grammar.
let referenceModels: [(name: String, architecture: String)] = [
    ("mlp", "dense256-relu-dense256-relu"),
    ("cnn", "conv16k5p2-relu-maxpool2-conv32k5p2-relu-maxpool2-flatten-dense128-relu"),
    ("rnn", "rnn128"),
    ("lstm", "lstm128"),
    ("gru", "gru128"),
]

/// Peak resident set size of this process so far, in MiB (Linux reports ru_maxrss in KiB).
func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// Trains `model` as the reference does (SGD lr 0.01, momentum 0.9, Gaussian 1×28×28 inputs, 10 classes) and
/// prints one JSON line: steps/s over `steps` timed steps after a warm-up, and the process's peak RSS.
func benchmarkModel(_ name: String, batch: Int, steps: Int, threads: Int) throws {
    guard let model = referenceModels.first(where: { $0.name == name }) else {
        throw TrainingError("unknown model '\(name)' (models: \(referenceModels.map(\.name).joined(separator: ", ")))")
    }
    BLAS.setThreadCount(threads)
    let shape = Shape([1, 28, 28])
    var generator = SeededGenerator(seed: 1)
    let samples = batch * 4
    let features = (0..<(samples * shape.count)).map { _ in Float(generator.nextGaussian()) }
    let labels = (0..<samples).map { _ in Int32(generator.next() % 10) }
    let data = try Dataset(name: "random", sampleShape: shape, classCount: 10, features: features, labels: labels)
    let architecture = try Architecture.parse(model.architecture, inputShape: shape, outputSize: 10)
    let warmup = max(5, steps / 10)
    let trainer = try Trainer(architecture: architecture,
                              options: TrainingOptions(learningRate: 0.01, momentum: 0.9, batchSize: batch,
                                                       epochs: (warmup + steps) / 4 + 1, seed: 0),
                              training: data, threads: threads)
    for _ in 0..<warmup { trainer.step() }
    let clock = ContinuousClock()
    let elapsed = clock.measure { for _ in 0..<steps { trainer.step() } }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    print("{\"model\":\"\(name)\",\"architecture\":\"\(architecture.summary)\",\"batch\":\(batch),"
          + "\"threads\":\(threads),\"steps\":\(steps),\"steps_per_s\":\(Double(steps) / seconds),"
          + "\"peak_rss_mb\":\(peakResidentMegabytes())}")
}
