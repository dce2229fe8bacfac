// Stochastic gradient descent with classic momentum.

/// Plain SGD with classic (heavy-ball) momentum.
public enum SGD {
    /// For each i < count: velocity[i] = momentum · velocity[i] + gradients[i];
    /// parameters[i] −= learningRate · velocity[i]. With momentum 0 this is plain SGD.
    public static func update(parameters: UnsafeMutablePointer<Float>, velocity: UnsafeMutablePointer<Float>,
                              gradients: UnsafePointer<Float>, count: Int,
                              learningRate: Float, momentum: Float) {
        for index in 0..<count {
            let v = momentum * velocity[index] + gradients[index]
            velocity[index] = v
            parameters[index] -= learningRate * v
        }
    }
}
