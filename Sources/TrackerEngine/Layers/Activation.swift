// Element-wise activation functions, and the layer that applies one.
import Foundation

/// An element-wise nonlinearity.
public enum Activation: String, Codable, CaseIterable, Sendable {
    /// max(0, x)
    case relu
    /// x for x > 0, else 0.01·x
    case leakyrelu
    /// tanh(x)
    case tanh
    /// 1 / (1 + e⁻ˣ)
    case sigmoid
    /// x·Φ(x), Φ the standard normal CDF (the exact, erf form, as PyTorch's default)
    case gelu

    /// The negative-side slope of ``leakyrelu`` (PyTorch's default).
    public static let leakySlope: Float = 0.01

    /// output[i] = f(input[i]) for `count` values; `output` may be `input` (in place).
    public func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int) {
        switch self {
        case .relu:
            for index in 0..<count { output[index] = rectify(input[index]) }
        case .leakyrelu:
            for index in 0..<count { output[index] = leakyRectify(input[index]) }
        case .tanh:
            for index in 0..<count { output[index] = tanhf(input[index]) }
        case .sigmoid:
            for index in 0..<count { output[index] = logistic(input[index]) }
        case .gelu:
            for index in 0..<count { output[index] = gaussianErrorLinear(input[index]) }
        }
    }

    /// dInput[i] += dOutput[i] · f′(x[i]), f′ taken from the output y = f(x) where it can be (relu′ = [y > 0],
    /// leaky relu′ = y > 0 ? 1 : 0.01, tanh′ = 1 − y², sigmoid′ = y(1 − y)) and from the input x for GELU
    /// (Φ(x) + x·φ(x)).
    public func backward(dInput: UnsafeMutablePointer<Float>, dOutput: UnsafePointer<Float>,
                         output: UnsafePointer<Float>, input: UnsafePointer<Float>, count: Int) {
        switch self {
        case .relu:
            // Branch-free (a select the compiler vectorises): the sign of a ReLU's output is a coin flip, and a
            // mispredicted branch per element cost more than the rest of the layer.
            for index in 0..<count {
                let gradient = dOutput[index]
                dInput[index] += output[index] > 0 ? gradient : 0
            }
        case .leakyrelu:
            for index in 0..<count {
                let gradient = dOutput[index]
                dInput[index] += output[index] > 0 ? gradient : Self.leakySlope * gradient
            }
        case .tanh:
            for index in 0..<count {
                let y = output[index]
                dInput[index] += dOutput[index] * (1 - y * y)
            }
        case .sigmoid:
            for index in 0..<count {
                let y = output[index]
                dInput[index] += dOutput[index] * (y * (1 - y))
            }
        case .gelu:
            for index in 0..<count {
                let x = input[index]
                let cdf = 0.5 * (1 + erff(x * 0.707_106_77))
                let density = 0.398_942_3 * expf(-0.5 * x * x)
                dInput[index] += dOutput[index] * (cdf + x * density)
            }
        }
    }

    /// f(x) for one value; the same numbers as ``forward(output:input:count:)``.
    public func callAsFunction(_ x: Float) -> Float {
        switch self {
        case .relu: rectify(x)
        case .leakyrelu: leakyRectify(x)
        case .tanh: tanhf(x)
        case .sigmoid: logistic(x)
        case .gelu: gaussianErrorLinear(x)
        }
    }
}

@inline(__always) private func rectify(_ x: Float) -> Float { x > 0 ? x : 0 }

@inline(__always) private func leakyRectify(_ x: Float) -> Float { x > 0 ? x : Activation.leakySlope * x }

@inline(__always) private func gaussianErrorLinear(_ x: Float) -> Float { 0.5 * x * (1 + erff(x * 0.707_106_77)) }

/// 1/(1 + e⁻ˣ) without overflow: for x < 0 it is computed as eˣ/(1 + eˣ).
@inline(__always) private func logistic(_ x: Float) -> Float {
    if x >= 0 { return 1 / (1 + expf(-x)) }
    let e = expf(x)
    return e / (1 + e)
}

/// An ``Activation`` as a layer of its own, so normalisation can sit between an affine map and its nonlinearity.
/// No parameters; any shape (applied element-wise).
public struct ActivationLayer: Layer, Hashable {
    public let activation: Activation
    public let inputShape: Shape
    public var outputShape: Shape { inputShape }
    public var parameterTensors: [ParameterTensor] { [] }

    public init(_ activation: Activation, shape: Shape) {
        self.activation = activation
        inputShape = shape
    }

    /// With workers and enough values, each thread takes a slice of the samples (see `IndependentSamples`).
    public func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, parameters: UnsafePointer<Float>,
                        cache: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        if let workers = context.workers,
           workers.shouldSplit(work: IndependentSamples.work(self, batchSize: context.batchSize)) {
            workers.run(IndependentSamples(forward: self, output: output, input: input, parameters: parameters,
                                           cache: cache, scratch: scratch, context: context))
            return
        }
        activation.forward(output: output, input: input, count: context.batchSize * inputShape.count)
    }

    public func backward(dInput: UnsafeMutablePointer<Float>?, dParameters: UnsafeMutablePointer<Float>,
                         dOutput: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, input: UnsafePointer<Float>,
                         parameters: UnsafePointer<Float>, cache: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        guard let dInput else { return }
        if let workers = context.workers,
           workers.shouldSplit(work: IndependentSamples.work(self, batchSize: context.batchSize)) {
            workers.run(IndependentSamples(backward: self, dInput: dInput, dParameters: dParameters, dOutput: dOutput,
                                           output: output, input: input, parameters: parameters, cache: cache,
                                           scratch: scratch, context: context))
            return
        }
        activation.backward(dInput: dInput, dOutput: dOutput, output: output, input: input,
                            count: context.batchSize * inputShape.count)
    }
}
