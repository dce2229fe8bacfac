// The fully connected layer: an affine forward/backward pair through BLAS.
import TrackerNumerics

/// A fully connected (affine) layer y = x · Wᵀ + b. Any input shape is read as a flat vector of its values.
///
/// Parameters, in order: weight (outputSize, inputSize) row-major, then bias (outputSize).
///
/// **Threads.** With N > 1 ``LayerContext/workers`` and enough work, each thread computes its own contiguous block of
/// every result with single-threaded BLAS (rows or columns, whichever side is longer: ``BLAS/productBlock(part:of:m:n:)``),
/// and dBias for a block of units. No thread sums into another's values, so no partial sums are needed and every
/// value is the same sum as on one thread.
public struct DenseLayer: Layer, Hashable {
    /// Fan-in: values per input sample.
    public let inputSize: Int
    /// Units.
    public let outputSize: Int
    public let inputShape: Shape

    /// A layer from `inputShape` (flattened) to `outputSize` units; both must be positive.
    public init(inputShape: Shape, outputSize: Int) {
        precondition(outputSize >= 1, "dense layer needs at least one unit, got \(outputSize)")
        self.inputShape = inputShape
        inputSize = inputShape.count
        self.outputSize = outputSize
    }

    /// A layer inputSize → outputSize.
    public init(inputSize: Int, outputSize: Int) {
        self.init(inputShape: .features(inputSize), outputSize: outputSize)
    }

    public var outputShape: Shape { .features(outputSize) }

    public var parameterTensors: [ParameterTensor] {
        [ParameterTensor(name: "weight", role: .weight, shape: [outputSize, inputSize],
                         initializer: .weight(fanIn: inputSize, fanOut: outputSize)),
         ParameterTensor(name: "bias", role: .bias, shape: [outputSize], initializer: .zeros)]
    }

    /// output (B, out) = input (B, in) · weightᵀ + bias.
    public func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, parameters: UnsafePointer<Float>,
                        cache: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        let batchSize = context.batchSize
        guard let workers = context.workers, workers.shouldSplit(work: batchSize * inputSize * outputSize) else {
            Self.affineForward(output: output, input: input, weight: parameters,
                               bias: parameters + outputSize * inputSize, batchSize: batchSize, inputSize: inputSize,
                               outputSize: outputSize)
            return
        }
        workers.run(ForwardBlocks(layer: self, output: output, input: input, parameters: parameters,
                                  batchSize: batchSize, threads: workers.threadCount))
    }

    public func backward(dInput: UnsafeMutablePointer<Float>?, dParameters: UnsafeMutablePointer<Float>,
                         dOutput: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, input: UnsafePointer<Float>,
                         parameters: UnsafePointer<Float>, cache: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        let batchSize = context.batchSize
        guard let workers = context.workers, workers.shouldSplit(work: batchSize * inputSize * outputSize) else {
            Self.affineBackward(dInput: dInput, dWeight: dParameters, dBias: dParameters + outputSize * inputSize,
                                dOutput: dOutput, input: input, weight: parameters,
                                batchSize: batchSize, inputSize: inputSize, outputSize: outputSize)
            return
        }
        workers.run(BackwardBlocks(layer: self, dInput: dInput, dParameters: dParameters, dOutput: dOutput,
                                   input: input, parameters: parameters, batchSize: batchSize,
                                   threads: workers.threadCount))
    }

    /// Forward with each thread computing a block of the output (``BLAS/productBlock(part:of:m:n:)``).
    private struct ForwardBlocks: ParallelWork {
        let layer: DenseLayer
        let output: UnsafeMutablePointer<Float>
        let input: UnsafePointer<Float>
        let parameters: UnsafePointer<Float>
        let batchSize: Int
        let threads: Int

        func run(part: Int) {
            let (inputSize, outputSize) = (layer.inputSize, layer.outputSize)
            let bias = parameters + outputSize * inputSize
            let (rows, units) = BLAS.productBlock(part: part, of: threads, m: batchSize, n: outputSize)
            for row in rows {
                (output + row * outputSize + units.lowerBound).update(from: bias + units.lowerBound, count: units.count)
            }
            BLAS.gemm(part: part, of: threads, c: output, a: input, transposeA: false, b: parameters,
                      transposeB: true, m: batchSize, n: outputSize, k: inputSize, beta: 1)
        }
    }

    /// Backward with each thread computing a block of dWeight, of dInput, and of dBias's units.
    private struct BackwardBlocks: ParallelWork {
        let layer: DenseLayer
        let dInput: UnsafeMutablePointer<Float>?
        let dParameters: UnsafeMutablePointer<Float>
        let dOutput: UnsafePointer<Float>
        let input: UnsafePointer<Float>
        let parameters: UnsafePointer<Float>
        let batchSize: Int
        let threads: Int

        func run(part: Int) {
            let (inputSize, outputSize) = (layer.inputSize, layer.outputSize)
            // dWeight (out, in) += dOutputᵀ · input
            BLAS.gemm(part: part, of: threads, c: dParameters, a: dOutput, transposeA: true, b: input,
                      transposeB: false, m: outputSize, n: inputSize, k: batchSize, beta: 1)
            let dBias = dParameters + outputSize * inputSize
            let units = WorkerPool.partRange(part, of: outputSize, parts: threads)
            for row in 0..<batchSize {
                let dOutputRow = dOutput + row * outputSize
                for unit in units { dBias[unit] += dOutputRow[unit] }
            }
            guard let dInput else { return }
            // dInput (B, in) += dOutput · weight
            BLAS.gemm(part: part, of: threads, c: dInput, a: dOutput, transposeA: false, b: parameters,
                      transposeB: false, m: batchSize, n: inputSize, k: outputSize, beta: 1)
        }
    }

    /// output (B, out) = input (B, in) · weight (out, in)ᵀ + bias (out); overwrites `output`.
    public static func affineForward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                                     weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                     batchSize: Int, inputSize: Int, outputSize: Int) {
        for row in 0..<batchSize {
            (output + row * outputSize).update(from: bias, count: outputSize)
        }
        BLAS.gemm(c: output, a: input, transposeA: false, b: weight, transposeB: true,
                  m: batchSize, n: outputSize, k: inputSize, beta: 1)
    }

    /// Backward of ``affineForward``, accumulating:
    /// dWeight (out, in) += dOutputᵀ · input; dBias (out) += Σ_rows dOutput; dInput (B, in) += dOutput · weight.
    public static func affineBackward(dInput: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>,
                                      dBias: UnsafeMutablePointer<Float>, dOutput: UnsafePointer<Float>,
                                      input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                      batchSize: Int, inputSize: Int, outputSize: Int) {
        BLAS.gemm(c: dWeight, a: dOutput, transposeA: true, b: input, transposeB: false,
                  m: outputSize, n: inputSize, k: batchSize, beta: 1)
        for row in 0..<batchSize {
            let dOutputRow = dOutput + row * outputSize
            for unit in 0..<outputSize { dBias[unit] += dOutputRow[unit] }
        }
        if let dInput {
            BLAS.gemm(c: dInput, a: dOutput, transposeA: false, b: weight, transposeB: false,
                      m: batchSize, n: inputSize, k: outputSize, beta: 1)
        }
    }
}
