// Layers that only move values: Flatten (any shape to a vector) and LastTimeStep (a sequence to its last step).

/// Reads any input shape as a flat vector: output (B, count) is a copy of input (B, shape...).
public struct FlattenLayer: Layer, Hashable {
    public let inputShape: Shape
    public var outputShape: Shape { .features(inputShape.count) }
    public var parameterTensors: [ParameterTensor] { [] }

    public init(inputShape: Shape) { self.inputShape = inputShape }

    public func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, parameters: UnsafePointer<Float>,
                        cache: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        output.update(from: input, count: context.batchSize * inputShape.count)
    }

    public func backward(dInput: UnsafeMutablePointer<Float>?, dParameters: UnsafeMutablePointer<Float>,
                         dOutput: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, input: UnsafePointer<Float>,
                         parameters: UnsafePointer<Float>, cache: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        guard let dInput else { return }
        for index in 0..<(context.batchSize * inputShape.count) { dInput[index] += dOutput[index] }
    }
}

/// The last step of a sequence: input (B, T, F) → output (B, F) = input[:, T − 1, :]. The head of a recurrent
/// classifier reads the last hidden state through it.
public struct LastTimeStepLayer: Layer, Hashable {
    public let inputShape: Shape
    public var outputShape: Shape { .features(inputShape.dimensions[1]) }
    public var parameterTensors: [ParameterTensor] { [] }

    /// `inputShape` must be (T, F).
    public init(inputShape: Shape) {
        precondition(inputShape.rank == 2, "the last time step needs a T×F input, got \(inputShape)")
        self.inputShape = inputShape
    }

    public func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, parameters: UnsafePointer<Float>,
                        cache: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        let (steps, features) = (inputShape.dimensions[0], inputShape.dimensions[1])
        for row in 0..<context.batchSize {
            (output + row * features).update(from: input + (row * steps + steps - 1) * features, count: features)
        }
    }

    public func backward(dInput: UnsafeMutablePointer<Float>?, dParameters: UnsafeMutablePointer<Float>,
                         dOutput: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, input: UnsafePointer<Float>,
                         parameters: UnsafePointer<Float>, cache: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, context: LayerContext) {
        guard let dInput else { return }
        let (steps, features) = (inputShape.dimensions[0], inputShape.dimensions[1])
        for row in 0..<context.batchSize {
            let target = dInput + (row * steps + steps - 1) * features
            let source = dOutput + row * features
            for feature in 0..<features { target[feature] += source[feature] }
        }
    }
}
