// Element-wise activation functions: a forward/backward pair each, the derivative taken from the output.
import Foundation

/// An element-wise nonlinearity applied after a layer's affine map.
public enum Activation: String, Codable, CaseIterable, Sendable {
    /// max(0, x)
    case relu
    /// tanh(x)
    case tanh
    /// 1 / (1 + e⁻ˣ)
    case sigmoid

    /// output[i] = f(input[i]) for `count` values; `output` may be `input` (in place).
    public func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int) {
        switch self {
        case .relu:
            for index in 0..<count { output[index] = rectify(input[index]) }
        case .tanh:
            for index in 0..<count { output[index] = hyperbolicTangent(input[index]) }
        case .sigmoid:
            for index in 0..<count { output[index] = logistic(input[index]) }
        }
    }

    /// dInput[i] = dOutput[i] · f′(x[i]), with f′ written in terms of the forward output y = f(x):
    /// relu′ = [y > 0], tanh′ = 1 − y², sigmoid′ = y(1 − y). `dInput` may be `dOutput` (in place); this one
    /// overwrites rather than accumulates, as it maps a gradient buffer onto itself.
    public func backward(dInput: UnsafeMutablePointer<Float>, dOutput: UnsafePointer<Float>,
                         output: UnsafePointer<Float>, count: Int) {
        switch self {
        case .relu:
            for index in 0..<count { dInput[index] = output[index] > 0 ? dOutput[index] : 0 }
        case .tanh:
            for index in 0..<count {
                let y = output[index]
                dInput[index] = dOutput[index] * (1 - y * y)
            }
        case .sigmoid:
            for index in 0..<count {
                let y = output[index]
                dInput[index] = dOutput[index] * (y * (1 - y))
            }
        }
    }

    /// f(x) for one value; the same numbers as ``forward(output:input:count:)``.
    public func callAsFunction(_ x: Float) -> Float {
        switch self {
        case .relu: rectify(x)
        case .tanh: hyperbolicTangent(x)
        case .sigmoid: logistic(x)
        }
    }
}

@inline(__always) private func rectify(_ x: Float) -> Float { x > 0 ? x : 0 }

@inline(__always) private func hyperbolicTangent(_ x: Float) -> Float { tanhf(x) }

/// 1/(1 + e⁻ˣ) without overflow: for x < 0 it is computed as eˣ/(1 + eˣ).
@inline(__always) private func logistic(_ x: Float) -> Float {
    if x >= 0 { return 1 / (1 + expf(-x)) }
    let e = expf(x)
    return e / (1 + e)
}
