// The network: its layers plus all parameter, gradient, activation, cache and scratch memory, and the passes.
import TrackerNumerics

/// A contiguous tensor of the flat parameter buffer and how the optimiser treats it.
public struct ParameterSegment: Sendable, Hashable {
    /// Index into ``Network/layers``.
    public let layerIndex: Int
    /// The tensor's name within its layer ("weight", "bias", ...).
    public let name: String
    public let role: ParameterRole
    /// Its values in ``Network/parameters`` (and ``Network/gradients``).
    public let range: Range<Int>

    public init(layerIndex: Int, name: String, role: ParameterRole, range: Range<Int>) {
        self.layerIndex = layerIndex
        self.name = name
        self.role = role
        self.range = range
    }
}

/// An output the correlation snapshots read: a hidden block's post-activation output.
///
/// A block is a dense, conv or recurrent layer with the batch-norm and activation layers written right after it:
/// for `dense128-bn-relu` the probe reads the ReLU's output, as for `dense128-relu`. Dropout is not part of a block
/// (it is the identity in the evaluation passes that snapshots take).
public struct ProbePoint: Sendable, Hashable {
    /// The architecture layer's name, e.g. "conv1".
    public let name: String
    /// Index into ``Architecture/layers``.
    public let layerIndex: Int
    /// Index into ``Network/layers`` of the layer whose output is read.
    public let networkLayerIndex: Int
    /// Per-sample shape of that output.
    public let shape: Shape
    /// The units of a snapshot: channels, hidden units or features.
    public let units: Int
    /// How the output becomes rows of a (samples, units) matrix; one snapshot per reduction.
    public let reductions: [ProbeReduction]
}

/// A network that owns its memory, llm.c style: one flat parameter buffer, one flat gradient buffer of the same
/// layout, and per layer an output, an output-gradient and a cache buffer of `capacity` samples, plus one scratch
/// buffer shared by all layers. Everything is allocated in `init`; the passes allocate nothing.
///
/// With `threads` > 1 the network owns a ``WorkerPool`` and hands it to its layers in the ``LayerContext``: the
/// convolution and recurrent layers split each batch over the threads (the others ignore it). Results are
/// bit-identical from run to run for the same thread count, and differ between thread counts only in rounding.
///
/// An architecture layer expands into one or more network layers: a dense or conv layer with an activation becomes
/// the affine layer followed by an ``ActivationLayer``.
public final class Network {
    /// The validated description the layers were built from.
    public let architecture: Architecture
    /// Largest batch a pass can take.
    public let capacity: Int
    /// The network layers, in order.
    public let layers: [any Layer]
    /// For each network layer, the index of the architecture layer it belongs to.
    public let architectureLayerIndex: [Int]
    /// Start of each network layer's parameters; `parameterOffsets[layers.count]` = parameterCount.
    public let parameterOffsets: [Int]
    /// Every parameter tensor, in memory order.
    public let parameterSegments: [ParameterSegment]
    /// What the snapshots read, in architecture order.
    public let probePoints: [ProbePoint]
    /// The threads the layers split their batches over (nil for one thread).
    public let workers: WorkerPool?

    private let parameterBuffer: Buffer<Float>
    private let gradientBuffer: Buffer<Float>
    private let inputBuffer: Buffer<Float>          // (capacity, input shape)
    private let outputBuffers: [Buffer<Float>]      // per layer (capacity, output shape)
    private let dOutputBuffers: [Buffer<Float>]     // per layer (capacity, output shape)
    private let cacheBuffers: [Buffer<Float>]       // per layer, cacheCount(capacity)
    private let scratchBuffer: Buffer<Float>        // max scratchCount(capacity) over layers

    /// The network layers of an architecture, each with the index of its architecture layer; nothing is allocated.
    public static func makeLayers(_ architecture: Architecture) throws(ArchitectureError) -> [(architectureIndex: Int, layer: any Layer)] {
        let shapes = try architecture.outputShapes()
        var result: [(Int, any Layer)] = []
        for (index, spec) in architecture.layers.enumerated() {
            let input = index == 0 ? architecture.inputShape : shapes[index - 1]
            let output = shapes[index]
            switch spec.kind {
            case .dense:
                result.append((index, DenseLayer(inputShape: input, outputSize: spec.units)))
            case .flatten:
                result.append((index, FlattenLayer(inputShape: input)))
            case .last:
                result.append((index, LastTimeStepLayer(inputShape: input)))
            case .rnn:
                result.append((index, RecurrentLayer(cell: .rnn, inputShape: input, hiddenSize: spec.units)))
            case .lstm:
                result.append((index, RecurrentLayer(cell: .lstm, inputShape: input, hiddenSize: spec.units)))
            case .gru:
                result.append((index, RecurrentLayer(cell: .gru, inputShape: input, hiddenSize: spec.units)))
            case .activation:
                break
            case .conv2d:
                result.append((index, Conv2DLayer(inputShape: input, channels: spec.units, kernel: spec.kernel ?? 0,
                                                  stride: spec.stride ?? 1, padding: spec.padding ?? 0)))
            case .maxpool2d, .avgpool2d:
                result.append((index, Pool2DLayer(kind: spec.kind == .maxpool2d ? .max : .average, inputShape: input,
                                                  kernel: spec.kernel ?? 0, stride: spec.stride ?? spec.kernel ?? 1)))
            case .globalavgpool:
                result.append((index, GlobalAveragePoolLayer(inputShape: input)))
            case .dropout:
                result.append((index, DropoutLayer(rate: spec.rate ?? 0, shape: input)))
            case .batchnorm:
                result.append((index, BatchNormLayer(shape: input)))
            }
            if let activation = spec.activation {
                result.append((index, ActivationLayer(activation, shape: output)))
            }
        }
        return result
    }

    /// Builds the layers of a valid architecture and allocates every buffer (parameters zero). `threads` (1...256)
    /// is the number of threads the passes may use (see the type's documentation).
    public init(architecture: Architecture, capacity: Int, threads: Int = 1) throws(ArchitectureError) {
        try architecture.validate()
        guard capacity >= 1 else { throw ArchitectureError("network capacity must be at least 1, got \(capacity)") }
        guard (1...256).contains(threads) else {
            throw ArchitectureError("a network runs on 1 to 256 threads, got \(threads)")
        }
        let built = try Self.makeLayers(architecture)
        self.architecture = architecture
        self.capacity = capacity
        layers = built.map(\.layer)
        architectureLayerIndex = built.map(\.architectureIndex)
        var offsets = [0]
        var segments: [ParameterSegment] = []
        for (index, layer) in layers.enumerated() {
            var start = offsets[offsets.count - 1]
            for tensor in layer.parameterTensors {
                segments.append(ParameterSegment(layerIndex: index, name: tensor.name, role: tensor.role,
                                                 range: start ..< start + tensor.count))
                start += tensor.count
            }
            offsets.append(start)
        }
        parameterOffsets = offsets
        parameterSegments = segments
        parameterBuffer = Buffer(count: offsets[offsets.count - 1])
        gradientBuffer = Buffer(count: offsets[offsets.count - 1])
        inputBuffer = Buffer(count: capacity * architecture.inputShape.count)
        outputBuffers = layers.map { Buffer(count: capacity * $0.outputShape.count) }
        dOutputBuffers = layers.map { Buffer(count: capacity * $0.outputShape.count) }
        cacheBuffers = layers.map { Buffer(count: $0.cacheCount(batchSize: capacity)) }
        scratchBuffer = Buffer(count: layers.map { $0.scratchCount(batchSize: capacity, threads: threads) }.max() ?? 0)
        workers = threads > 1 ? WorkerPool(threadCount: threads) : nil

        probePoints = architecture.probedLayerIndices.map { Self.probePoint(architecture, layerIndex: $0, built: built) }
    }

    /// The output of architecture layer `layerIndex`'s block (see ``ProbePoint``), whether or not it is probed.
    public static func probePoint(_ architecture: Architecture, layerIndex: Int) throws(ArchitectureError) -> ProbePoint {
        precondition(architecture.layers.indices.contains(layerIndex), "layer index \(layerIndex) outside the architecture")
        return probePoint(architecture, layerIndex: layerIndex, built: try makeLayers(architecture))
    }

    private static func probePoint(_ architecture: Architecture, layerIndex probed: Int,
                                   built: [(architectureIndex: Int, layer: any Layer)]) -> ProbePoint {
        // A block ends after the batch-norm and activation layers that follow it.
        var end = probed
        while end + 1 < architecture.layers.count - 1,
              [.activation, .batchnorm].contains(architecture.layers[end + 1].kind) { end += 1 }
        let networkIndex = built.lastIndex { $0.architectureIndex == end }!
        let shape = built[networkIndex].layer.outputShape
        return ProbePoint(name: architecture.layerNames[probed], layerIndex: probed, networkLayerIndex: networkIndex,
                          shape: shape, units: architecture.units(ofLayer: probed, outputShape: shape),
                          reductions: ProbeReduction.reductions(for: shape))
    }

    /// Trainable parameters plus non-trained state.
    public var parameterCount: Int { parameterBuffer.count }

    /// All parameters, layer after layer.
    public var parameters: UnsafeMutableBufferPointer<Float> { parameterBuffer.elements }
    /// ∂L/∂parameters, same layout as ``parameters``.
    public var gradients: UnsafeMutableBufferPointer<Float> { gradientBuffer.elements }
    /// The batch fed to ``forward(_:)``: (capacity, input shape), first batchSize samples used.
    public var input: UnsafeMutableBufferPointer<Float> { inputBuffer.elements }
    /// Network layer `index`'s output after ``forward(_:)``: (capacity, output shape).
    public func output(ofLayer index: Int) -> UnsafeMutableBufferPointer<Float> { outputBuffers[index].elements }
    /// ∂L/∂(network layer `index`'s output). Add ∂L/∂logits to the last one before ``backward(_:)``.
    public func dOutput(ofLayer index: Int) -> UnsafeMutableBufferPointer<Float> { dOutputBuffers[index].elements }
    /// The logits after ``forward(_:)``: (capacity, classes).
    public var logits: UnsafeMutablePointer<Float> { outputBuffers[outputBuffers.count - 1].base }
    /// ∂L/∂logits: (capacity, classes).
    public var dLogits: UnsafeMutablePointer<Float> { dOutputBuffers[dOutputBuffers.count - 1].base }
    /// Network layer `index`'s slice of ``parameters`` (and of ``gradients``).
    public func parameterRange(ofLayer index: Int) -> Range<Int> { parameterOffsets[index] ..< parameterOffsets[index + 1] }

    /// Initialises every tensor in memory order from `generator` (see ``InitializationOptions``).
    public func initialize(_ options: InitializationOptions, generator: inout SeededGenerator) {
        for segment in parameterSegments {
            let tensor = layers[segment.layerIndex].parameterTensors.first { $0.name == segment.name }!
            options.fill(UnsafeMutableBufferPointer(rebasing: parameters[segment.range]), as: tensor.initializer,
                         generator: &generator)
        }
    }

    // The hot loops below iterate by integer index: in unoptimised builds, `for x in array` over class or
    // existential elements and `.reversed()` go through unspecialised standard-library generics that allocate.

    /// Runs every layer on the first `context.batchSize` samples of ``input``; the last output holds the logits.
    /// `context.layerIndex` is set per layer, and `context.workers` to the network's ``workers``. A training pass
    /// also updates each layer's state tensors (batch-norm running statistics) right after that layer's forward.
    public func forward(_ context: LayerContext) {
        checkBatchSize(context.batchSize)
        var layerContext = context
        layerContext.workers = workers
        var input = UnsafePointer(inputBuffer.base)
        for index in layers.indices {
            layerContext.layerIndex = index
            let output = outputBuffers[index].base
            let parameters = parameterBuffer.base + parameterOffsets[index]
            layers[index].forward(output: output, input: input, parameters: parameters,
                                  cache: cacheBuffers[index].base, scratch: scratchBuffer.base, context: layerContext)
            if context.mode == .training {
                layers[index].updateState(parameters: parameters, cache: cacheBuffers[index].base, context: layerContext)
            }
            input = UnsafePointer(output)
        }
    }

    /// Traps on a batch size outside 1...capacity. The message is built only on failure: in debug builds an
    /// interpolated `precondition` message allocates its closure context on every call.
    private func checkBatchSize(_ batchSize: Int) {
        if batchSize < 1 || batchSize > capacity {
            preconditionFailure("batch size \(batchSize) outside 1...\(capacity)")
        }
    }

    /// An evaluation pass over `batchSize` samples.
    public func forward(batchSize: Int) {
        forward(LayerContext(mode: .evaluation, batchSize: batchSize))
    }

    /// Zeroes the parameter gradients and every output gradient (the backward pass accumulates into them).
    public func zeroGradients() {
        gradientBuffer.zero()
        for index in 0..<dOutputBuffers.count { dOutputBuffers[index].zero() }
    }

    /// Back-propagates the output gradients (∂L/∂logits in the last, plus anything a regulariser added to a hidden
    /// one) through the layers in reverse order, adding into ``gradients``. Needs the preceding ``forward(_:)``
    /// with the same context.
    public func backward(_ context: LayerContext) {
        checkBatchSize(context.batchSize)
        var layerContext = context
        layerContext.workers = workers
        var index = layers.count - 1
        while index >= 0 {
            defer { index -= 1 }
            layerContext.layerIndex = index
            let input = index == 0 ? UnsafePointer(inputBuffer.base) : UnsafePointer(outputBuffers[index - 1].base)
            let dInput = index == 0 ? nil : dOutputBuffers[index - 1].base
            layers[index].backward(dInput: dInput, dParameters: gradientBuffer.base + parameterOffsets[index],
                                   dOutput: dOutputBuffers[index].base, output: outputBuffers[index].base,
                                   input: input, parameters: parameterBuffer.base + parameterOffsets[index],
                                   cache: cacheBuffers[index].base, scratch: scratchBuffer.base, context: layerContext)
        }
    }
}
