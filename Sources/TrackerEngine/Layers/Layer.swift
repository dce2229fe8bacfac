// The layer protocol: shapes, parameter tensors with roles, cache and scratch sizes, and a forward/backward pair.
import TrackerNumerics

/// Whether a pass trains (dropout active, batch statistics) or evaluates (deterministic, running statistics).
public enum PassMode: Sendable, Hashable {
    case training
    case evaluation
}

/// What a layer may know about the pass it runs in. Passed by value; creating one allocates nothing.
public struct LayerContext: Sendable {
    /// Training or evaluation.
    public var mode: PassMode
    /// Samples in this batch (rows of every activation buffer that are in use).
    public var batchSize: Int
    /// The run's seed.
    public var seed: UInt64
    /// Updates done before this pass (0 for the first training step).
    public var step: Int
    /// Index of the layer in ``Network/layers``.
    public var layerIndex: Int
    /// Threads a layer may split its batch over (see ``Layer/scratchCount(batchSize:threads:)``); nil = one thread.
    /// ``Network`` sets its own pool here; with the same thread count, results repeat bit for bit.
    public var workers: WorkerPool?

    public init(mode: PassMode, batchSize: Int, seed: UInt64 = 0, step: Int = 0, layerIndex: Int = 0,
                workers: WorkerPool? = nil) {
        self.mode = mode
        self.batchSize = batchSize
        self.seed = seed
        self.step = step
        self.layerIndex = layerIndex
        self.workers = workers
    }

    /// Threads of ``workers`` (1 without a pool).
    public var threadCount: Int { workers?.threadCount ?? 1 }

    /// A generator determined by (seed, step, layer) alone, for stochastic layers (dropout): the same run draws the
    /// same numbers whatever else happened before, so runs stay reproducible and layers independent.
    public func generator() -> SeededGenerator {
        SeededGenerator(seed: SeededGenerator.mix(seed, UInt64(truncatingIfNeeded: step),
                                                  UInt64(truncatingIfNeeded: layerIndex)))
    }
}

/// What a parameter tensor is, for the optimiser and the initialiser.
public enum ParameterRole: String, Sendable, Hashable, Codable {
    /// A trained weight: initialised by the scheme, decayed by weight decay.
    case weight
    /// A trained bias (or scale/shift): no weight decay.
    case bias
    /// Not trained (e.g. batch-norm running statistics): the optimiser never touches it.
    case state
}

/// How a parameter tensor starts.
public enum TensorInitializer: Sendable, Hashable {
    /// All zeros (biases).
    case zeros
    /// All equal to a constant (e.g. a scale of 1).
    case constant(Float)
    /// Independent draws from the run's ``Initialization`` scheme with this fan-in and fan-out.
    case weight(fanIn: Int, fanOut: Int)
    /// A recurrent matrix of `blocks` square (size, size) blocks stacked along rows (one per gate): orthogonal per
    /// block when the run asks for orthogonal recurrent weights, else like ``weight(fanIn:fanOut:)`` with fan-in and
    /// fan-out `size`.
    case recurrent(blocks: Int, size: Int)
}

/// One tensor in a layer's parameter slice.
public struct ParameterTensor: Sendable, Hashable {
    /// "weight", "bias", "recurrent_weight", ...
    public let name: String
    /// How the optimiser treats it.
    public let role: ParameterRole
    /// Dimensions, outermost first (documentation; the count is what the memory layout uses).
    public let shape: [Int]
    /// How it starts.
    public let initializer: TensorInitializer

    public init(name: String, role: ParameterRole, shape: [Int], initializer: TensorInitializer) {
        self.name = name
        self.role = role
        self.shape = shape
        self.initializer = initializer
    }

    /// Values in the tensor.
    public var count: Int { shape.reduce(1, *) }
}

/// One layer of a ``Network``, llm.c style: the layer holds only its sizes; the network owns every buffer.
///
/// Conventions for every layer:
/// - Memory is row-major; a batch of activations is `(batchSize, inputShape...)` going in and
///   `(batchSize, outputShape...)` coming out.
/// - `parameters` is this layer's slice of the network's flat parameter buffer: its ``parameterTensors`` one after
///   the other; `dParameters` has the same layout.
/// - `cache` holds ``cacheCount(batchSize:)`` values that forward writes and the matching backward reads (e.g.
///   pre-activations, pooling arg-maxes, recurrent gates); `scratch` holds ``scratchCount(batchSize:threads:)``
///   values (threads = ``LayerContext/threadCount``) of temporary space shared by all layers, valid only during one
///   call.
/// - `backward` accumulates (`+=`) into `dParameters` and `dInput`, which the caller zeroed before the step; layers
///   run backward in reverse order. It may overwrite `dOutput`.
/// - Neither call allocates.
public protocol Layer: Sendable {
    /// Shape of one sample going in.
    var inputShape: Shape { get }
    /// Shape of one sample coming out.
    var outputShape: Shape { get }
    /// The tensors of this layer's parameter slice, in memory order (empty for layers without parameters).
    var parameterTensors: [ParameterTensor] { get }
    /// Values the layer keeps from forward to backward for a batch of `batchSize` (capacity is sized once).
    func cacheCount(batchSize: Int) -> Int
    /// Temporary values the layer needs during one call for a batch of `batchSize`.
    func scratchCount(batchSize: Int) -> Int
    /// Temporary values for one call when the context has `threads` ``LayerContext/workers`` (at least
    /// ``scratchCount(batchSize:)``; by default exactly that, for layers that do not split their batch). Must not
    /// decrease when `batchSize` decreases: the network sizes scratch once, for its capacity.
    func scratchCount(batchSize: Int, threads: Int) -> Int

    /// output (B, outputShape) = layer(input (B, inputShape)), B = context.batchSize.
    func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, parameters: UnsafePointer<Float>,
                 cache: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, context: LayerContext)

    /// Given dOutput = ∂L/∂output, adds ∂L/∂parameters to `dParameters` and, unless `dInput` is nil (the first
    /// layer), ∂L/∂input to `dInput`. `output`, `input` and `cache` are those of the matching forward call.
    func backward(dInput: UnsafeMutablePointer<Float>?, dParameters: UnsafeMutablePointer<Float>,
                  dOutput: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, input: UnsafePointer<Float>,
                  parameters: UnsafePointer<Float>, cache: UnsafeMutablePointer<Float>,
                  scratch: UnsafeMutablePointer<Float>, context: LayerContext)

    /// Updates the layer's ``ParameterRole/state`` tensors (e.g. batch-norm running statistics) from what a
    /// training-mode ``forward`` left in `cache`. ``Network`` calls it right after each training-mode forward, and
    /// only then; backward never writes gradients for state tensors, and optimisers never touch them. The default
    /// does nothing.
    func updateState(parameters: UnsafeMutablePointer<Float>, cache: UnsafePointer<Float>, context: LayerContext)
}

extension Layer {
    /// Trainable and state values in the layer's slice.
    public var parameterCount: Int { parameterTensors.reduce(0) { $0 + $1.count } }
    public func cacheCount(batchSize: Int) -> Int { 0 }
    public func scratchCount(batchSize: Int) -> Int { 0 }
    public func scratchCount(batchSize: Int, threads: Int) -> Int { scratchCount(batchSize: batchSize) }
    public func updateState(parameters: UnsafeMutablePointer<Float>, cache: UnsafePointer<Float>,
                            context: LayerContext) {}
}

/// One pass of a layer whose samples are independent, on one slice of the batch per thread: each part calls the
/// layer itself, without workers, on its samples. Fits layers without parameters or scratch whose output, cache and
/// dInput for a sample depend on that sample alone, with the cache holding `cacheCount(batchSize: 1)` values per
/// sample in sample order (activations, pooling). Every value is computed as in one call, so results are the same
/// bits for any thread count.
struct IndependentSamples<Wrapped: Layer>: ParallelWork {
    enum Pass { case forward, backward }

    let layer: Wrapped
    let pass: Pass
    /// Backward only (nil in forward).
    let dInput: UnsafeMutablePointer<Float>?
    let dParameters: UnsafeMutablePointer<Float>?
    let dOutput: UnsafeMutablePointer<Float>?
    /// Written in forward, read in backward.
    let output: UnsafeMutablePointer<Float>
    let input: UnsafePointer<Float>
    let parameters: UnsafePointer<Float>
    let cache: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>
    let context: LayerContext

    /// The forward pass of `layer`.
    init(forward layer: Wrapped, output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
         parameters: UnsafePointer<Float>, cache: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
         context: LayerContext) {
        self.layer = layer
        pass = .forward
        (dInput, dParameters, dOutput) = (nil, nil, nil)
        (self.output, self.input, self.parameters, self.cache, self.scratch, self.context) =
            (output, input, parameters, cache, scratch, context)
    }

    /// The backward pass of `layer`.
    init(backward layer: Wrapped, dInput: UnsafeMutablePointer<Float>, dParameters: UnsafeMutablePointer<Float>,
         dOutput: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, input: UnsafePointer<Float>,
         parameters: UnsafePointer<Float>, cache: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
         context: LayerContext) {
        self.layer = layer
        pass = .backward
        (self.dInput, self.dParameters, self.dOutput) = (dInput, dParameters, dOutput)
        (self.output, self.input, self.parameters, self.cache, self.scratch, self.context) =
            (UnsafeMutablePointer(mutating: output), input, parameters, cache, scratch, context)
    }

    /// Values of work a pass over `batchSize` samples of `layer` counts as, for ``WorkerPool/shouldSplit(work:)``:
    /// eight per input value, which is read and written through memory, at about eight multiply-adds' time in a
    /// product.
    static func work(_ layer: Wrapped, batchSize: Int) -> Int { 8 * batchSize * layer.inputShape.count }

    func run(part: Int) {
        let threads = context.threadCount
        let samples = WorkerPool.partRange(part, of: context.batchSize, parts: threads)
        if samples.isEmpty { return }
        var slice = context
        slice.batchSize = samples.count
        slice.workers = nil
        let first = samples.lowerBound
        let (inputCount, outputCount) = (layer.inputShape.count, layer.outputShape.count)
        let cacheCount = layer.cacheCount(batchSize: 1)
        switch pass {
        case .forward:
            layer.forward(output: output + first * outputCount, input: input + first * inputCount,
                          parameters: parameters, cache: cache + first * cacheCount, scratch: scratch, context: slice)
        case .backward:
            layer.backward(dInput: dInput.map { $0 + first * inputCount }, dParameters: dParameters!,
                           dOutput: dOutput! + first * outputCount, output: output + first * outputCount,
                           input: input + first * inputCount, parameters: parameters,
                           cache: cache + first * cacheCount, scratch: scratch, context: slice)
        }
    }
}
