// Learning-rate schedules (constant, step, cosine) with an optional linear warm-up, and gradient-norm clipping.
import Foundation
import TrackerNumerics

/// How the learning rate changes over the run.
public enum LearningRateSchedule: Codable, Hashable, Sendable {
    /// The base rate throughout.
    case constant
    /// The base rate times `factor` every `every` steps: lr · factor^⌊t / every⌋.
    case step(every: Int, factor: Double)
    /// Cosine annealing from the base rate to `minimumFactor` · base at the last step.
    case cosine(minimumFactor: Double)

    /// The rate for the update after `step` updates (0-based) of `totalSteps`, with a linear warm-up over the first
    /// `warmupSteps` updates from base/W to base: lr_t = base · (t + 1)/W for t < W, then the schedule on t − W of
    /// totalSteps − W.
    public func rate(base: Double, step: Int, totalSteps: Int, warmupSteps: Int = 0) -> Double {
        if step < warmupSteps { return base * Double(step + 1) / Double(warmupSteps) }
        let t = step - warmupSteps
        let span = max(totalSteps - warmupSteps, 1)
        switch self {
        case .constant:
            return base
        case .step(let every, let factor):
            return base * integerPower(factor, t / max(every, 1))
        case .cosine(let minimumFactor):
            let progress = min(Double(t) / Double(max(span - 1, 1)), 1)
            return base * (minimumFactor + (1 - minimumFactor) * 0.5 * (1 + cos(Double.pi * progress)))
        }
    }

    /// The name stored with a run: "constant", "step", "cosine".
    public var name: String {
        switch self {
        case .constant: "constant"
        case .step: "step"
        case .cosine: "cosine"
        }
    }

    /// The first problem with the schedule's settings, or nil.
    public var problem: String? {
        switch self {
        case .constant: return nil
        case .step(let every, let factor):
            if every < 1 { return "the step schedule needs an interval of at least 1 step, got \(every)" }
            if !(factor > 0 && factor <= 1) { return "the step schedule's factor must be in (0, 1], got \(factor)" }
            return nil
        case .cosine(let minimumFactor):
            return (0...1).contains(minimumFactor) ? nil
                : "the cosine schedule's minimum factor must be in [0, 1], got \(minimumFactor)"
        }
    }
}

/// Global gradient-norm clipping: the L2 norm over every trained gradient.
public enum GradientClipping {
    /// The L2 norm of the trained gradients (state tensors excluded): each segment's sum of squares through BLAS
    /// (vectorised, single precision), the segments added in Double. It runs every step (the norm is stored with
    /// the step), so it must cost little next to the products.
    public static func norm(_ gradients: UnsafePointer<Float>, segments: [ParameterSegment]) -> Double {
        var sum = 0.0
        for segmentIndex in 0..<segments.count where segments[segmentIndex].role != .state {
            let range = segments[segmentIndex].range
            sum += Double(BLAS.sumOfSquares(gradients + range.lowerBound, count: range.count))
        }
        return sum.squareRoot()
    }

    /// Scales every gradient by maxNorm / (norm + 1e-6) when norm > maxNorm (as `torch.nn.utils.clip_grad_norm_`).
    public static func clip(_ gradients: UnsafeMutablePointer<Float>, count: Int, norm: Double, maxNorm: Double) {
        guard norm > maxNorm, norm.isFinite else { return }
        let scale = Float(maxNorm / (norm + 1e-6))
        for index in 0..<count { gradients[index] *= scale }
    }
}
