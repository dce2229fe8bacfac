// Softmax cross-entropy over logits: the kernels, and the loss object that owns its buffers.
import Foundation

/// The classification loss: softmax over each row of logits, then the negative log-probability of the label.
public enum SoftmaxCrossEntropy {
    /// For each row b: probabilities[b] = softmax(logits[b]) and losses[b] = −ln p[b, label[b]].
    ///
    /// Stable: with m = maxⱼ zⱼ, pⱼ = e^(zⱼ−m) / Σₖ e^(zₖ−m) and the loss is ln Σₖ e^(zₖ−m) − (z_label − m), never
    /// ln 0. Shapes: probabilities, logits (batchSize, classCount); losses, labels (batchSize). Non-finite logits
    /// give a NaN or infinite loss, returned as is. `probabilities` may be `logits` (in place) only if the
    /// caller no longer needs the logits.
    public static func forward(probabilities: UnsafeMutablePointer<Float>, losses: UnsafeMutablePointer<Float>,
                               logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                               batchSize: Int, classCount: Int) {
        for row in 0..<batchSize {
            let z = logits + row * classCount
            let p = probabilities + row * classCount
            var maximum = z[0]
            for index in 1..<classCount where z[index] > maximum { maximum = z[index] }
            let label = Int(labels[row])
            let labelLogit = z[label]
            var sum: Float = 0
            for index in 0..<classCount {
                let e = expf(z[index] - maximum)
                p[index] = e
                sum += e
            }
            let inverse = 1 / sum
            for index in 0..<classCount { p[index] *= inverse }
            losses[row] = logf(sum) - (labelLogit - maximum)
        }
    }

    /// Gradient of the batch-mean loss L = (1/B) Σ_b losses[b], accumulated:
    /// dLogits[b, j] += (p[b, j] − [j = label[b]]) / B. Shapes as in ``forward``.
    public static func backward(dLogits: UnsafeMutablePointer<Float>, probabilities: UnsafePointer<Float>,
                                labels: UnsafePointer<Int32>, batchSize: Int, classCount: Int) {
        let scale = 1 / Float(batchSize)
        for row in 0..<batchSize {
            let p = probabilities + row * classCount
            let d = dLogits + row * classCount
            let label = Int(labels[row])
            for index in 0..<classCount {
                let indicator: Float = index == label ? 1 : 0
                d[index] += (p[index] - indicator) * scale
            }
        }
    }

    /// Number of rows whose arg-max logit (the first one on ties) equals the label. NaN logits never win.
    public static func correctCount(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                    batchSize: Int, classCount: Int) -> Int {
        var correct = 0
        for row in 0..<batchSize {
            let z = logits + row * classCount
            var best = 0
            for index in 1..<classCount where z[index] > z[best] || (z[best].isNaN && !z[index].isNaN) {
                best = index
            }
            if best == Int(labels[row]) { correct += 1 }
        }
        return correct
    }
}

/// The softmax cross-entropy loss of a training step, with its probability and per-sample loss buffers
/// (allocated once for `capacity` rows).
public final class SoftmaxCrossEntropyLoss {
    public let classCount: Int
    private let probabilities: UnsafeMutablePointer<Float>   // (capacity, classCount)
    private let losses: UnsafeMutablePointer<Float>          // (capacity)

    public init(capacity: Int, classCount: Int) {
        self.classCount = classCount
        probabilities = .allocate(capacity: max(capacity * classCount, 1))
        probabilities.initialize(repeating: 0, count: max(capacity * classCount, 1))
        losses = .allocate(capacity: max(capacity, 1))
        losses.initialize(repeating: 0, count: max(capacity, 1))
    }

    deinit {
        probabilities.deallocate()
        losses.deallocate()
    }

    /// The summed loss (in Double, in row order) and the number of correct rows of a batch of logits.
    public func forward(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                        batchSize: Int) -> (lossSum: Double, correct: Int) {
        SoftmaxCrossEntropy.forward(probabilities: probabilities, losses: losses, logits: logits, labels: labels,
                                    batchSize: batchSize, classCount: classCount)
        var lossSum = 0.0
        for row in 0..<batchSize { lossSum += Double(losses[row]) }
        let correct = SoftmaxCrossEntropy.correctCount(logits: logits, labels: labels, batchSize: batchSize,
                                                       classCount: classCount)
        return (lossSum, correct)
    }

    /// Adds ∂(batch-mean loss)/∂logits of the last ``forward`` into `dLogits`.
    public func backward(dLogits: UnsafeMutablePointer<Float>, labels: UnsafePointer<Int32>, batchSize: Int) {
        SoftmaxCrossEntropy.backward(dLogits: dLogits, probabilities: probabilities, labels: labels,
                                     batchSize: batchSize, classCount: classCount)
    }
}

/// A term added to the loss of a training step (e.g. a ``DeCovRegularizer`` on a block's activations, or weight
/// decay written as a penalty). It runs after the forward pass and before the backward pass.
public protocol Regularizer: AnyObject {
    /// Stored with the step metrics, e.g. "decov_dense1".
    var name: String { get }
    /// Called once by ``Trainer`` with its network, before any step: checks that the term fits the network and
    /// allocates what ``apply(to:context:)`` needs. The default does nothing.
    ///
    /// - Throws: ``TrainingError`` saying, in one line, why the term cannot apply to this network.
    func prepare(for network: Network) throws(TrainingError)
    /// Adds the term's gradient to the network's output gradients (for activation penalties: a layer's
    /// ``Network/dOutput(ofLayer:)``, which the backward pass then carries down) or parameter gradients, and returns
    /// its value (already weighted). Allocates nothing.
    func apply(to network: Network, context: LayerContext) -> Double
}

extension Regularizer {
    public func prepare(for network: Network) throws(TrainingError) {}
}
