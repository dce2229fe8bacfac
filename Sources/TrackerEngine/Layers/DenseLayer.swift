// The fully connected layer: an affine forward/backward pair through BLAS.
import TrackerNumerics

/// A fully connected (affine) layer y = x · Wᵀ + b. Any input shape is read as a flat vector of its values.
///
/// Parameters, in order: weight (outputSize, inputSize) row-major, then bias (outputSize).
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
        Self.affineForward(output: output, input: input, weight: parameters, bias: parameters + outputSize * inputSize,
                           batchSize: context.batchSize, inputSize: inputSize, outputSize: outputSize)
    }

    public func backward(dInput: UnsafeMutablePointer<Float>?, dParameters: UnsafeMutablePointer<Float>,
                         dOutput: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, input: UnsafePointer<Float>,
                         parameters: UnsafePointer<Float>, cache: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        Self.affineBackward(dInput: dInput, dWeight: dParameters, dBias: dParameters + outputSize * inputSize,
                            dOutput: dOutput, input: input, weight: parameters,
                            batchSize: context.batchSize, inputSize: inputSize, outputSize: outputSize)
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
