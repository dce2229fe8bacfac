// Layers split over worker threads: the worker pool, gradient checks on the threaded paths, agreement with one
// thread, and bit-identical repeats at a fixed thread count (layers and whole training runs).
import Foundation
import Testing
import TrackerEngine
import TrackerNumerics
import TrackerTestSupport

/// A pool that splits every section, however small, so the tiny fixtures take the threaded paths.
private func splittingPool(_ threads: Int) -> WorkerPool { WorkerPool(threadCount: threads, minimumWork: 0) }

/// One layer of each kind that splits its batch, with fixtures small enough for central differences.
private let threadedLayers: [(name: String, layer: any Layer)] = [
    ("dense", DenseLayer(inputSize: 5, outputSize: 7)),
    ("conv k3 p1", Conv2DLayer(inputShape: Shape([2, 5, 5]), channels: 3, kernel: 3, padding: 1)),
    ("conv k3 s2 in groups of one", Conv2DLayer(inputShape: Shape([2, 6, 6]), channels: 3, kernel: 3, stride: 2,
                                                 padding: 1, groupValues: 1)),
    ("rnn", RecurrentLayer(cell: .rnn, inputShape: Shape([4, 3]), hiddenSize: 5)),
    ("lstm", RecurrentLayer(cell: .lstm, inputShape: Shape([4, 3]), hiddenSize: 5)),
    ("gru", RecurrentLayer(cell: .gru, inputShape: Shape([4, 3]), hiddenSize: 5)),
    ("tanh", ActivationLayer(.tanh, shape: Shape([2, 3, 3]))),
    ("average pool", Pool2DLayer(kind: .average, inputShape: Shape([2, 5, 5]), kernel: 3, stride: 2)),
]

/// Layers whose samples are independent: any split gives exactly one thread's values. (Max pooling has no
/// gradient check here: random fixtures may put two window values within ε.)
private let sampleParallelLayers: [(name: String, layer: any Layer)] = [
    ("tanh", ActivationLayer(.tanh, shape: Shape([2, 3, 3]))),
    ("relu", ActivationLayer(.relu, shape: Shape([7]))),
    ("average pool", Pool2DLayer(kind: .average, inputShape: Shape([2, 5, 5]), kernel: 3, stride: 2)),
    ("max pool", Pool2DLayer(kind: .max, inputShape: Shape([3, 4, 4]), kernel: 2)),
]

@Suite("Threads")
struct ParallelTests {
    @Test("a section runs every part once, each on its own thread, with single-threaded OpenBLAS inside")
    func poolRunsEveryPart() {
        let workers = splittingPool(3)
        let calls = Buffer<Int>(count: 3)
        let threadIDs = Buffer<UInt>(count: 3)
        let blasThreads = Buffer<Int>(count: 3)
        for _ in 0..<100 {
            workers.run(RecordParts(calls: calls.base, threadIDs: threadIDs.base, blasThreads: blasThreads.base))
        }
        #expect(Array(calls.elements) == [100, 100, 100])
        #expect(Set(threadIDs.elements).count == 3)
        #expect(threadIDs.base[0] == UInt(pthread_self()))
        #expect(Array(blasThreads.elements) == [1, 1, 1])
    }

    @Test("single-threaded BLAS spans nest and restore the count they found")
    func singleThreadedSpans() {
        // Other tests may hold a span of their own meanwhile, so only the nesting is checked, not the outside count.
        BLAS.beginSingleThreaded()
        BLAS.beginSingleThreaded()
        #expect(BLAS.threadCount == 1)
        BLAS.endSingleThreaded()
        #expect(BLAS.threadCount == 1)
        BLAS.endSingleThreaded()
    }

    @Test("parts are contiguous slices whose sizes differ by at most one, in order, covering every item")
    func partRanges() {
        for parts in 1...5 {
            for count in 0...13 {
                let ranges = (0..<parts).map { WorkerPool.partRange($0, of: count, parts: parts) }
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == count)
                #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
                let sizes = ranges.map(\.count)
                #expect(sizes.max()! - sizes.min()! <= 1, "\(count) items in \(parts) parts: \(sizes)")
            }
        }
        let pool = WorkerPool(threadCount: 2, minimumWork: 100)
        #expect(pool.partRange(1, of: 5) == 2..<5)
        #expect(!pool.shouldSplit(work: 99) && pool.shouldSplit(work: 100))
        #expect(!WorkerPool(threadCount: 1, minimumWork: 0).shouldSplit(work: 1 << 30))
    }

    @Test("threaded layers pass the gradient check (batches of 2 and 3 on 2 and 3 threads)",
          arguments: threadedLayers.indices)
    func gradientsOnThreads(_ index: Int) {
        let layer = threadedLayers[index].layer
        for (batchSize, threads) in [(2, 2), (3, 2), (3, 3)] {
            var generator = SeededGenerator(seed: 40 + UInt64(index))
            checkLayerGradients(layer, input: uniformFloats(batchSize * layer.inputShape.count, generator: &generator),
                                parameters: uniformFloats(layer.parameterCount, scale: 0.5, generator: &generator),
                                coefficients: uniformFloats(batchSize * layer.outputShape.count, generator: &generator),
                                batchSize: batchSize, workers: splittingPool(threads))
        }
    }

    @Test("threaded layers agree with one thread, and repeat bit for bit at a fixed thread count",
          arguments: threadedLayers.indices)
    func threadsAgree(_ index: Int) {
        let layer = threadedLayers[index].layer
        // 5 samples on 2 and 3 threads (uneven slices), 2 on 3 threads (an empty slice), 1 (never split).
        for (batchSize, threads) in [(5, 2), (5, 3), (2, 3), (1, 2)] {
            var generator = SeededGenerator(seed: 50 + UInt64(index))
            let parameters = uniformFloats(layer.parameterCount, scale: 0.5, generator: &generator)
            let input = uniformFloats(batchSize * layer.inputShape.count, generator: &generator)
            let dOutput = uniformFloats(batchSize * layer.outputShape.count, generator: &generator)
            let single = passes(layer, parameters: parameters, input: input, dOutput: dOutput, batchSize: batchSize,
                                workers: nil)
            let threaded = passes(layer, parameters: parameters, input: input, dOutput: dOutput,
                                  batchSize: batchSize, workers: splittingPool(threads))
            let again = passes(layer, parameters: parameters, input: input, dOutput: dOutput, batchSize: batchSize,
                               workers: splittingPool(threads))
            let label = "\(threadedLayers[index].name), \(batchSize) samples on \(threads) threads"
            // Float sums of a few dozen terms in another order: a few ulps of values up to ~5.
            assertClose(threaded.output.map(Double.init), single.output.map(Double.init), absolute: 1e-5,
                        relative: 1e-5, "\(label): output")
            assertClose(threaded.dParameters.map(Double.init), single.dParameters.map(Double.init),
                        absolute: 1e-5, relative: 1e-5, "\(label): dParameters")
            assertClose(threaded.dInput.map(Double.init), single.dInput.map(Double.init), absolute: 1e-5,
                        relative: 1e-5, "\(label): dInput")
            #expect(threaded.output.map(\.bitPattern) == again.output.map(\.bitPattern), "\(label)")
            #expect(threaded.dParameters.map(\.bitPattern) == again.dParameters.map(\.bitPattern), "\(label)")
            #expect(threaded.dInput.map(\.bitPattern) == again.dInput.map(\.bitPattern), "\(label)")
        }
    }

    @Test("layers with independent samples give one thread's values exactly, on any number of threads",
          arguments: sampleParallelLayers.indices)
    func independentSamples(_ index: Int) {
        let layer = sampleParallelLayers[index].layer
        for (batchSize, threads) in [(5, 2), (5, 3), (2, 3)] {
            var generator = SeededGenerator(seed: 70 + UInt64(index))
            let input = uniformFloats(batchSize * layer.inputShape.count, generator: &generator)
            let dOutput = uniformFloats(batchSize * layer.outputShape.count, generator: &generator)
            let single = passes(layer, parameters: [0], input: input, dOutput: dOutput, batchSize: batchSize,
                                workers: nil)
            let threaded = passes(layer, parameters: [0], input: input, dOutput: dOutput, batchSize: batchSize,
                                  workers: splittingPool(threads))
            let label = "\(sampleParallelLayers[index].name), \(batchSize) samples on \(threads) threads"
            #expect(threaded.output.map(\.bitPattern) == single.output.map(\.bitPattern), "\(label)")
            #expect(threaded.dInput.map(\.bitPattern) == single.dInput.map(\.bitPattern), "\(label)")
        }
    }

    /// Every conv, dense and recurrent layer here but the output has at least ``WorkerPool/defaultMinimumWork``
    /// (2²²) multiply-adds per batch of 32, so it splits: conv 32·32·18·256, dense 32·2048·64; lstm 32·8·256·72;
    /// gru 32·16·192·80; rnn 32·8·128·136 and 32·8·128·256; dense 32·256·512 and 32·512·256.
    @Test("training on 2 threads repeats bit for bit and stays within rounding of 1 thread",
          arguments: ["conv32k3p1-relu-maxpool2-flatten-dense64-relu@2x16x16", "lstm64@8x8", "gru64@16x16",
                      "rnn128-rnn128@8x8", "dense512-relu-dense256-relu@16x16"])
    func trainingRepeats(_ specification: String) throws {
        let parts = specification.split(separator: "@")
        let shape = Shape(parts[1].split(separator: "x").map { Int($0)! })
        var generator = SeededGenerator(seed: 60)
        let samples = 96
        let data = try Dataset(name: "random", sampleShape: shape, classCount: 4,
                               features: uniformFloats(samples * shape.count, generator: &generator),
                               labels: (0..<samples).map { Int32($0 % 4) })
        let architecture = try Architecture.parse(String(parts[0]), inputShape: shape, outputSize: 4)
        func train(threads: Int) throws -> (losses: [Float], parameters: [Float]) {
            let trainer = try Trainer(architecture: architecture,
                                      options: TrainingOptions(learningRate: 0.05, momentum: 0.9, batchSize: 32,
                                                               epochs: 2, seed: 5),
                                      training: data, threads: threads)
            let losses = (0..<trainer.totalSteps).map { _ in trainer.step().loss }
            return (losses, Array(trainer.network.parameters))
        }
        let first = try train(threads: 2)
        let second = try train(threads: 2)
        #expect(first.losses.map(\.bitPattern) == second.losses.map(\.bitPattern))
        #expect(first.parameters.map(\.bitPattern) == second.parameters.map(\.bitPattern))
        let single = try train(threads: 1)
        // Six steps from the same start: rounding differences stay far below the parameters' O(0.1) scale.
        assertClose(first.parameters.map(Double.init), single.parameters.map(Double.init), absolute: 1e-4,
                    relative: 1e-3, "\(specification): 2 threads against 1")
    }
}

/// Records, per part, that it ran, on which thread, and OpenBLAS's thread count there.
private struct RecordParts: ParallelWork {
    let calls: UnsafeMutablePointer<Int>
    let threadIDs: UnsafeMutablePointer<UInt>
    let blasThreads: UnsafeMutablePointer<Int>

    func run(part: Int) {
        calls[part] += 1
        threadIDs[part] = UInt(pthread_self())
        blasThreads[part] = BLAS.threadCount
    }
}

/// Forward, then backward from `dOutput` into zeroed gradients, through fresh buffers sized for `workers`; the
/// cache and scratch start as NaN, so a read of anything the passes did not write shows up.
private func passes(_ layer: any Layer, parameters: [Float], input: [Float], dOutput: [Float], batchSize: Int,
                    workers: WorkerPool?) -> (output: [Float], dParameters: [Float], dInput: [Float]) {
    let context = LayerContext(mode: .training, batchSize: batchSize, workers: workers)
    let threads = workers?.threadCount ?? 1
    var output = [Float](repeating: .nan, count: batchSize * layer.outputShape.count)
    var cache = [Float](repeating: .nan, count: max(layer.cacheCount(batchSize: batchSize), 1))
    var scratch = [Float](repeating: .nan, count: max(layer.scratchCount(batchSize: batchSize, threads: threads), 1))
    var dParameters = [Float](repeating: 0, count: max(layer.parameterCount, 1))
    var dInput = [Float](repeating: 0, count: input.count)
    var dOutput = dOutput
    layer.forward(output: &output, input: input, parameters: parameters, cache: &cache, scratch: &scratch,
                  context: context)
    scratch = [Float](repeating: .nan, count: scratch.count)
    dInput.withUnsafeMutableBufferPointer { dInput in
        layer.backward(dInput: dInput.baseAddress!, dParameters: &dParameters, dOutput: &dOutput, output: output,
                       input: input, parameters: parameters, cache: &cache, scratch: &scratch, context: context)
    }
    return (output, dParameters, dInput)
}
