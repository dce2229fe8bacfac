// The network: its layers plus all parameter, gradient and activation memory, and the forward/backward passes.

/// A feed-forward network that owns its memory, llm.c style: one flat parameter buffer, one flat gradient buffer
/// of the same layout, and per layer an output buffer and an output-gradient buffer of `capacity` rows.
///
/// Parameters are laid out layer after layer, each layer in its own documented layout (dense: weight
/// (units, fanIn) then bias (units)). Buffers are allocated once in `init`; the passes allocate nothing.
/// The buffer pointers stay valid while the network lives.
public final class Network {
    /// The validated description the layers were built from.
    public let architecture: Architecture
    /// Largest batch a pass can take (rows of every activation buffer).
    public let capacity: Int
    /// One layer per ``Architecture/layers`` entry, in order.
    public let layers: [any Layer]
    /// Start of each layer's parameters in ``parameters``; `parameterOffsets[layers.count]` = parameterCount.
    public let parameterOffsets: [Int]

    private let parameterBuffer: Buffer<Float>
    private let gradientBuffer: Buffer<Float>
    private let inputBuffer: Buffer<Float>          // (capacity, inputSize)
    private let outputBuffers: [Buffer<Float>]      // per layer (capacity, units)
    private let dOutputBuffers: [Buffer<Float>]     // per layer (capacity, units)

    /// Builds the layers of a valid architecture and allocates every buffer (parameters zero).
    public init(architecture: Architecture, capacity: Int) throws(ArchitectureError) {
        try architecture.validate()
        guard capacity >= 1 else { throw ArchitectureError("network capacity must be at least 1, got \(capacity)") }
        self.architecture = architecture
        self.capacity = capacity
        var layers: [any Layer] = []
        var offsets = [0]
        for (index, spec) in architecture.layers.enumerated() {
            let layer: any Layer
            switch spec.kind {
            case .dense:
                layer = DenseLayer(inputSize: architecture.inputSize(ofLayer: index), outputSize: spec.units,
                                   activation: spec.activation)
            }
            layers.append(layer)
            offsets.append(offsets[offsets.count - 1] + layer.parameterCount)
        }
        self.layers = layers
        parameterOffsets = offsets
        parameterBuffer = Buffer(count: offsets[offsets.count - 1])
        gradientBuffer = Buffer(count: offsets[offsets.count - 1])
        inputBuffer = Buffer(count: capacity * architecture.inputSize)
        outputBuffers = layers.map { Buffer(count: capacity * $0.outputSize) }
        dOutputBuffers = layers.map { Buffer(count: capacity * $0.outputSize) }
    }

    /// Total trainable parameters (= ``Architecture/parameterCount``).
    public var parameterCount: Int { parameterBuffer.count }

    /// All parameters, layer after layer.
    public var parameters: UnsafeMutableBufferPointer<Float> { parameterBuffer.elements }
    /// ∂L/∂parameters, same layout as ``parameters``.
    public var gradients: UnsafeMutableBufferPointer<Float> { gradientBuffer.elements }
    /// The batch fed to ``forward(batchSize:)``: (capacity, inputSize), first batchSize rows used.
    public var input: UnsafeMutableBufferPointer<Float> { inputBuffer.elements }
    /// Layer `index`'s output after ``forward(batchSize:)``: (capacity, units), post-activation.
    public func output(ofLayer index: Int) -> UnsafeMutableBufferPointer<Float> { outputBuffers[index].elements }
    /// ∂L/∂(layer `index`'s output): (capacity, units). Put ∂L/∂logits in the last one before ``backward(batchSize:)``.
    public func dOutput(ofLayer index: Int) -> UnsafeMutableBufferPointer<Float> { dOutputBuffers[index].elements }
    /// Layer `index`'s slice of ``parameters`` (and of ``gradients``).
    public func parameterRange(ofLayer index: Int) -> Range<Int> { parameterOffsets[index] ..< parameterOffsets[index + 1] }

    /// Initialises every layer in order from `generator` (see ``Initialization``).
    public func initialize(_ initialization: Initialization, generator: inout SeededGenerator) {
        for (index, layer) in layers.enumerated() {
            let range = parameterRange(ofLayer: index)
            layer.initialize(parameters: UnsafeMutableBufferPointer(rebasing: parameters[range]),
                             initialization: initialization, generator: &generator)
        }
    }

    // The hot loops below iterate by integer index: in unoptimised builds, `for x in array` over class or
    // existential elements and `.reversed()` go through unspecialised standard-library generics that allocate.

    /// Runs every layer on the first `batchSize` rows of ``input``; the last layer's output holds the logits.
    public func forward(batchSize: Int) {
        precondition(batchSize >= 1 && batchSize <= capacity, "batch size \(batchSize) outside 1...\(capacity)")
        var input = UnsafePointer(inputBuffer.base)
        for index in layers.indices {
            let output = outputBuffers[index].base
            layers[index].forward(output: output, input: input,
                                  parameters: parameterBuffer.base + parameterOffsets[index], batchSize: batchSize)
            input = UnsafePointer(output)
        }
    }

    /// Zeroes the parameter gradients and every output gradient (the backward pass accumulates into them).
    public func zeroGradients() {
        gradientBuffer.zero()
        for index in 0..<dOutputBuffers.count { dOutputBuffers[index].zero() }
    }

    /// Back-propagates ∂L/∂logits (in the last ``dOutput(ofLayer:)``) through the layers in reverse order, adding
    /// into ``gradients``. Needs the activations of the preceding ``forward(batchSize:)`` with the same batch size.
    /// Overwrites the output gradients (they end as gradients of pre-activations).
    public func backward(batchSize: Int) {
        precondition(batchSize >= 1 && batchSize <= capacity, "batch size \(batchSize) outside 1...\(capacity)")
        var index = layers.count - 1
        while index >= 0 {
            defer { index -= 1 }
            let input = index == 0 ? UnsafePointer(inputBuffer.base) : UnsafePointer(outputBuffers[index - 1].base)
            let dInput = index == 0 ? nil : dOutputBuffers[index - 1].base
            layers[index].backward(dInput: dInput, dParameters: gradientBuffer.base + parameterOffsets[index],
                                   dOutput: dOutputBuffers[index].base, output: outputBuffers[index].base,
                                   input: input, parameters: parameterBuffer.base + parameterOffsets[index],
                                   batchSize: batchSize)
        }
    }
}
