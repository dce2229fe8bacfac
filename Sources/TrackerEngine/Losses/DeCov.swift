// The DeCov penalty (Cogswell et al., 2015, arXiv:1511.06068): its kernel, and the regulariser on a block's output.
//
// Legend: R rows (samples of a batch, or sample × time step), D units (features, channels or hidden units).
import TrackerNumerics

/// The DeCov penalty of a (R, D) matrix H of activations and its gradient.
///
/// With the column means μ, the centred rows X = H − 1μᵀ and the (biased) covariance C = (1/R) XᵀX:
///
///     L(H) = ½ (‖C‖²_F − ‖diag C‖²) = ½ Σ_{a≠b} C_ab²        (units of H, squared twice)
///
/// Gradient (derived here, checked by finite differences in the tests): with M = C − diag C (symmetric),
/// dL = Σ_ab M_ab dC_ab and dC = (1/R)(dXᵀX + XᵀdX), so dL = (2/R) tr(M Xᵀ dX) and ∂L/∂X = (2/R) X M. Since
/// X = (I − 11ᵀ/R) H and 1ᵀX = 0, the centring changes nothing: ∂L/∂H = (2/R) X M, i.e. per row
/// ∂L/∂h_n = (2/R) (h_n − μ)ᵀ (C − diag C). The factor is 2/R, not 1/R: both factors of C depend on h_n.
///
/// Edge cases: R = 1 gives X = 0, so L = 0 and a zero gradient; D = 1 has no pair, so L = 0. A non-finite value
/// gives a non-finite L (and gradient), which the caller reports as is.
public enum DeCov {
    /// Computes X into `centered` (R, D) and C into `covariance` (D, D), and returns L in Double (the column means
    /// and the sum of squares are accumulated in Double, the product XᵀX in single precision through BLAS).
    public static func forward(values: UnsafePointer<Float>, rows: Int, units: Int,
                               centered: UnsafeMutablePointer<Float>, covariance: UnsafeMutablePointer<Float>) -> Double {
        for unit in 0..<units {
            var sum = 0.0
            for row in 0..<rows { sum += Double(values[row * units + unit]) }
            let mean = Float(sum / Double(rows))
            for row in 0..<rows { centered[row * units + unit] = values[row * units + unit] - mean }
        }
        BLAS.gemm(c: covariance, a: centered, transposeA: true, b: centered, transposeB: false,
                  m: units, n: units, k: rows, alpha: 1 / Float(rows), beta: 0)
        var squares = 0.0
        for a in 0..<units {
            for b in 0..<units where a != b {
                let value = Double(covariance[a * units + b])
                squares += value * value
            }
        }
        return 0.5 * squares
    }

    /// dValues (R, D) += scale · ∂L/∂H = scale · (2/R) · X · (C − diag C), from the `centered` and `covariance` of the
    /// matching ``forward(values:rows:units:centered:covariance:)``. Zeroes the diagonal of `covariance`.
    public static func backward(dValues: UnsafeMutablePointer<Float>, centered: UnsafePointer<Float>,
                                covariance: UnsafeMutablePointer<Float>, rows: Int, units: Int, scale: Float) {
        for unit in 0..<units { covariance[unit * units + unit] = 0 }
        BLAS.gemm(c: dValues, a: centered, transposeA: false, b: covariance, transposeB: false,
                  m: rows, n: units, k: units, alpha: scale * 2 / Float(rows), beta: 1)
    }
}

/// λ · DeCov of one block's output in every training step (see ``DeCov``), its gradient added to that output's
/// gradient before the backward pass, so it flows through the block and everything below it.
///
/// The output is the one a snapshot of the layer reads (``Network/probePoint(_:layerIndex:)``): for a dense, conv
/// or recurrent layer, its block's post-activation output (after `bn-relu` in `dense128-bn-relu`, before a dropout
/// that follows); any other hidden layer can be named too (e.g. `gap1`).
///
/// The output is read as the snapshots read it (``ProbeReduction``): a vector output as is (rows = batch); a
/// C×H×W output with the channels as units, each sample's spatial mean per channel (rows = batch), the gradient of
/// a mean spread evenly over its H×W positions (÷ H·W); a T×H sequence time-pooled, every (sample, time step) a row
/// (rows = batch × T). So the penalty works on the same units whose correlations the snapshots measure.
///
/// ```swift
/// let trainer = try Trainer(architecture: architecture, options: options, training: data,
///                           regularizers: [DeCovRegularizer(layer: "dense1", weight: 0.1)])
/// ```
/// Its buffers are sized for the network in ``prepare(for:)``; ``apply(to:context:)`` allocates nothing.
public final class DeCovRegularizer: Regularizer {
    /// The architecture layer whose block output is penalised, e.g. "dense1".
    public let layer: String
    /// λ ≥ 0, the factor on L in the objective.
    public let weight: Double
    /// "decov_" + the layer name, e.g. "decov_dense1".
    public let name: String

    private var point: ProbePoint?
    private var reduction = ProbeReduction.none
    private var rowsPerSample = 1
    private var positions = 1
    private var reduced: Buffer<Float>?         // (capacity, D): spatial means of a C×H×W output
    private var reducedGradient: Buffer<Float>? // (capacity, D): ∂(λL)/∂ means
    private var centered = Buffer<Float>(count: 0)
    private var covariance = Buffer<Float>(count: 0)

    /// λ · DeCov on the block output of the architecture layer named `layer`.
    public init(layer: String, weight: Double) {
        precondition(weight >= 0 && weight.isFinite, "DeCov weight must be finite and not negative, got \(weight)")
        self.layer = layer
        self.weight = weight
        name = "decov_\(layer)"
    }

    /// Finds the block output and allocates the buffers for `network.capacity` samples.
    ///
    /// - Throws: ``TrainingError`` (setting `decov`) when `layer` names no hidden layer.
    public func prepare(for network: Network) throws(TrainingError) {
        let architecture = network.architecture
        let hidden = architecture.layerNames.dropLast()
        guard let index = hidden.firstIndex(of: layer) else {
            throw TrainingError("no hidden layer named '\(layer)' for DeCov (layers: \(hidden.joined(separator: ", ")))",
                                setting: "decov")
        }
        let point: ProbePoint
        do { point = try Network.probePoint(architecture, layerIndex: index) } catch {
            throw TrainingError(error.description, setting: "decov")
        }
        self.point = point
        let units = point.units
        switch point.shape.rank {
        case 1:
            reduction = .none
        case 2:
            reduction = .timePooled
            rowsPerSample = point.shape.dimensions[0]
        default:
            reduction = .spatialMean
            positions = point.shape.count / units
            reduced = Buffer(count: network.capacity * units)
            reducedGradient = Buffer(count: network.capacity * units)
        }
        centered = Buffer(count: network.capacity * rowsPerSample * units)
        covariance = Buffer(count: units * units)
    }

    /// Adds λ · ∂L/∂output to the block output's gradient and returns λ · L for this batch.
    public func apply(to network: Network, context: LayerContext) -> Double {
        guard let point else { preconditionFailure("DeCovRegularizer.apply before prepare(for:)") }
        let units = point.units
        let batchSize = context.batchSize
        let output = UnsafePointer(network.output(ofLayer: point.networkLayerIndex).baseAddress!)
        let dOutput = network.dOutput(ofLayer: point.networkLayerIndex).baseAddress!
        let scale = Float(weight)
        guard reduction == .spatialMean, let reduced, let reducedGradient else {
            let rows = batchSize * rowsPerSample
            let penalty = DeCov.forward(values: output, rows: rows, units: units, centered: centered.base,
                                        covariance: covariance.base)
            DeCov.backward(dValues: dOutput, centered: centered.base, covariance: covariance.base, rows: rows,
                           units: units, scale: scale)
            return weight * penalty
        }
        Trainer.reduce(output, shape: point.shape, reduction: .spatialMean, samples: batchSize, into: reduced.base)
        let penalty = DeCov.forward(values: reduced.base, rows: batchSize, units: units, centered: centered.base,
                                    covariance: covariance.base)
        reducedGradient.zero(count: batchSize * units)
        DeCov.backward(dValues: reducedGradient.base, centered: centered.base, covariance: covariance.base,
                       rows: batchSize, units: units, scale: scale)
        let share = 1 / Float(positions)
        for row in 0..<batchSize * units {
            let gradient = reducedGradient.base[row] * share
            let plane = dOutput + row * positions
            for position in 0..<positions { plane[position] += gradient }
        }
        return weight * penalty
    }
}
