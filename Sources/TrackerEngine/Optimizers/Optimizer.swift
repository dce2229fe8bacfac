// Optimisers: SGD (momentum, Nesterov), Adam and AdamW, each owning its state and knowing parameter roles.
import TrackerNumerics

/// Which optimiser a run uses.
public enum OptimizerKind: String, Codable, CaseIterable, Sendable {
    /// SGD with classic (heavy-ball) momentum, or Nesterov momentum; weight decay as an L2 term on the gradient.
    case sgd
    /// Adam (Kingma & Ba, 2015); weight decay as an L2 term on the gradient (PyTorch's `Adam(weight_decay=)`).
    case adam
    /// AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay.
    case adamw
}

/// The settings of an optimiser.
public struct OptimizerSettings: Codable, Hashable, Sendable {
    public var kind: OptimizerKind
    /// SGD momentum μ ∈ [0, 1).
    public var momentum: Float
    /// SGD: Nesterov momentum instead of classic.
    public var nesterov: Bool
    /// Adam's β₁, β₂ ∈ [0, 1) and ε > 0.
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// Weight decay λ ≥ 0, applied to weights only (never to biases or non-trained state).
    public var weightDecay: Float

    public init(kind: OptimizerKind = .sgd, momentum: Float = 0.9, nesterov: Bool = false, beta1: Float = 0.9,
                beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.kind = kind
        self.momentum = momentum
        self.nesterov = nesterov
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// The first problem with these settings, or nil.
    public var problem: SettingProblem? {
        if !(momentum >= 0 && momentum < 1) { return SettingProblem("momentum", "must be in [0, 1), got \(momentum)") }
        if nesterov && (kind != .sgd || momentum == 0) {
            return SettingProblem("nesterov", "needs the SGD optimizer with momentum > 0")
        }
        if !(beta1 >= 0 && beta1 < 1) { return SettingProblem("beta1", "must be in [0, 1), got \(beta1)") }
        if !(beta2 >= 0 && beta2 < 1) { return SettingProblem("beta2", "must be in [0, 1), got \(beta2)") }
        if !(epsilon > 0 && epsilon.isFinite) { return SettingProblem("epsilon", "must be positive, got \(epsilon)") }
        if !(weightDecay >= 0 && weightDecay.isFinite) {
            return SettingProblem("weight_decay", "must be ≥ 0, got \(weightDecay)")
        }
        return nil
    }
}

/// An optimiser: owns its state (allocated once) and updates the parameters from their gradients.
public protocol Optimizer: AnyObject {
    /// One update of every trained segment with step size `learningRate`. Allocates nothing.
    func update(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, learningRate: Float)
}

/// Builds the optimiser `settings` describe for the tensors in `segments`.
public func makeOptimizer(_ settings: OptimizerSettings, segments: [ParameterSegment]) -> any Optimizer {
    switch settings.kind {
    case .sgd: SGDOptimizer(settings, segments: segments)
    case .adam, .adamw: AdamOptimizer(settings, segments: segments)
    }
}

/// A trained segment's range and whether weight decay applies, kept as plain integers for the hot loop.
struct TrainedRange {
    let start: Int
    let end: Int
    let decays: Bool

    static func from(_ segments: [ParameterSegment]) -> [TrainedRange] {
        segments.filter { $0.role != .state }
            .map { TrainedRange(start: $0.range.lowerBound, end: $0.range.upperBound, decays: $0.role == .weight) }
    }
}

/// SGD with momentum (PyTorch's formulation): g = ∇ + λw (weights only); v = μv + g;
/// w −= lr · (Nesterov ? g + μv : v). With μ = 0 it is plain SGD.
public final class SGDOptimizer: Optimizer {
    public let settings: OptimizerSettings
    private let ranges: [TrainedRange]
    private let velocity: Buffer<Float>

    public init(_ settings: OptimizerSettings, segments: [ParameterSegment]) {
        self.settings = settings
        ranges = TrainedRange.from(segments)
        velocity = Buffer(count: segments.map(\.range.upperBound).max() ?? 0)
    }

    public func update(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, learningRate: Float) {
        let (momentum, nesterov) = (settings.momentum, settings.nesterov)
        let velocity = velocity.base
        for rangeIndex in 0..<ranges.count {
            let range = ranges[rangeIndex]
            let decay = range.decays ? settings.weightDecay : 0
            for index in range.start..<range.end {
                let g = gradients[index] + decay * parameters[index]
                let v = momentum * velocity[index] + g
                velocity[index] = v
                parameters[index] -= learningRate * (nesterov ? g + momentum * v : v)
            }
        }
    }
}

/// Adam and AdamW: m = β₁m + (1 − β₁)g; v = β₂v + (1 − β₂)g²; w −= lr · m̂ / (√v̂ + ε) with bias-corrected
/// m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ). Adam adds λw to g (weights only); AdamW first shrinks weights by
/// w −= lr·λ·w (decoupled). Bias corrections are computed in Double once per step.
public final class AdamOptimizer: Optimizer {
    public let settings: OptimizerSettings
    private let ranges: [TrainedRange]
    private let firstMoment: Buffer<Float>
    private let secondMoment: Buffer<Float>
    private var steps = 0

    public init(_ settings: OptimizerSettings, segments: [ParameterSegment]) {
        self.settings = settings
        ranges = TrainedRange.from(segments)
        let count = segments.map(\.range.upperBound).max() ?? 0
        firstMoment = Buffer(count: count)
        secondMoment = Buffer(count: count)
    }

    public func update(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, learningRate: Float) {
        steps += 1
        let (beta1, beta2, epsilon) = (settings.beta1, settings.beta2, settings.epsilon)
        let correction1 = Float(1 - integerPower(Double(beta1), steps))
        let correction2 = Float(1 - integerPower(Double(beta2), steps))
        let decoupled = settings.kind == .adamw
        let m = firstMoment.base
        let v = secondMoment.base
        for rangeIndex in 0..<ranges.count {
            let range = ranges[rangeIndex]
            let decay = range.decays ? settings.weightDecay : 0
            for index in range.start..<range.end {
                var g = gradients[index]
                if decoupled {
                    parameters[index] -= learningRate * decay * parameters[index]
                } else {
                    g += decay * parameters[index]
                }
                let mi = beta1 * m[index] + (1 - beta1) * g
                let vi = beta2 * v[index] + (1 - beta2) * g * g
                m[index] = mi
                v[index] = vi
                parameters[index] -= learningRate * (mi / correction1) / ((vi / correction2).squareRoot() + epsilon)
            }
        }
    }
}

/// baseⁿ by repeated squaring: IEEE basic operations only, so identical on every libm.
@inline(__always) func integerPower(_ base: Double, _ exponent: Int) -> Double {
    var result = 1.0
    var factor = base
    var power = exponent
    while power > 0 {
        if power & 1 == 1 { result *= factor }
        factor *= factor
        power >>= 1
    }
    return result
}
