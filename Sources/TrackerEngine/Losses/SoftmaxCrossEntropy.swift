// Softmax cross-entropy over logits: a forward/backward pair, numerically stable.
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
