// The layer protocol: sizes, parameter layout, initialisation and a forward/backward pair over caller-owned memory.

/// One layer of a ``Network``, llm.c style: the layer holds only its sizes; the network owns every buffer.
///
/// Conventions for every layer:
/// - Memory is row-major; a batch of activations is `(batchSize, size)`.
/// - `parameters` is this layer's slice of the network's flat parameter buffer, `parameterCount` values, in the
///   layout the layer documents; `dParameters` has the same layout.
/// - `backward` accumulates (`+=`) into `dParameters` and `dInput`, which the caller zeroed before the
///   step; layers run backward in reverse order.
/// - Neither call allocates.
public protocol Layer: Sendable {
    /// Values per sample going in.
    var inputSize: Int { get }
    /// Values per sample coming out.
    var outputSize: Int { get }
    /// Number of trainable parameters.
    var parameterCount: Int { get }

    /// Fills `parameters` (`parameterCount` values) with initial values drawn from `generator`.
    func initialize(parameters: UnsafeMutableBufferPointer<Float>, initialization: Initialization,
                    generator: inout SeededGenerator)

    /// output (batchSize, outputSize) = layer(input (batchSize, inputSize)).
    func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                 parameters: UnsafePointer<Float>, batchSize: Int)

    /// Given dOutput = ∂L/∂output (batchSize, outputSize), adds ∂L/∂parameters to `dParameters` and, unless
    /// `dInput` is nil (the first layer), ∂L/∂input (batchSize, inputSize) to `dInput`.
    ///
    /// `output` and `input` are those of the matching forward call. The layer may overwrite `dOutput` (scratch).
    func backward(dInput: UnsafeMutablePointer<Float>?, dParameters: UnsafeMutablePointer<Float>,
                  dOutput: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, input: UnsafePointer<Float>,
                  parameters: UnsafePointer<Float>, batchSize: Int)
}
