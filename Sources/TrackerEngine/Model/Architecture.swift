// The description of a network: input shape, layer specs, names, shapes, probe points, summary and canonical JSON.

/// What a layer spec computes.
public enum LayerKind: String, Codable, CaseIterable, Sendable {
    /// Fully connected; `units` outputs; any input shape read as a vector.
    case dense
    /// 2-D convolution over a C×H×W input; `units` output channels, `kernel`, `stride`, `padding`.
    case conv2d
    /// Max over `kernel`×`kernel` windows moved by `stride`, per channel.
    case maxpool2d
    /// Mean over `kernel`×`kernel` windows moved by `stride`, per channel.
    case avgpool2d
    /// Mean over all positions, per channel: C×H×W → C.
    case globalavgpool
    /// Any shape → a vector.
    case flatten
    /// A standalone element-wise ``Activation``.
    case activation
    /// Elman recurrent layer with tanh, `units` hidden units, over a T×F sequence → T×units.
    case rnn
    /// Long short-term memory, `units` hidden units → T×units.
    case lstm
    /// Gated recurrent unit, `units` hidden units → T×units.
    case gru
    /// The last step of a sequence: T×F → F.
    case last
    /// Inverted dropout with probability `rate` in training passes; the identity in evaluation passes. Any shape.
    case dropout
    /// Batch normalisation: per feature of a vector, or per channel of a C×H×W image (over batch and positions).
    case batchnorm

    /// Kinds that own weights and form a "block" whose output is snapshotted by default.
    public var isBlock: Bool { [.dense, .conv2d, .rnn, .lstm, .gru].contains(self) }
    /// Kinds that read a sequence.
    public var isRecurrent: Bool { [.rnn, .lstm, .gru].contains(self) }
    /// Kinds whose `units` field means something.
    var hasUnits: Bool { isBlock }

    /// The stem of layer names: "dense1", "conv2", "maxpool1", "gap1", "lstm1", ...
    var nameStem: String {
        switch self {
        case .dense: "dense"
        case .conv2d: "conv"
        case .maxpool2d: "maxpool"
        case .avgpool2d: "avgpool"
        case .globalavgpool: "gap"
        case .flatten: "flatten"
        case .activation: "act"
        case .rnn: "rnn"
        case .lstm: "lstm"
        case .gru: "gru"
        case .last: "last"
        case .dropout: "dropout"
        case .batchnorm: "batchnorm"
        }
    }
}

/// One layer of an ``Architecture``. Build with the static constructors; fields a kind does not use are nil.
public struct LayerSpec: Hashable, Sendable {
    public var kind: LayerKind
    /// Dense units, conv output channels, recurrent hidden units; 0 for kinds without units.
    public var units: Int
    /// For dense and conv: the activation applied to the block's output (nil = linear). For `.activation`: the one
    /// it applies. Recurrent layers have their own internal nonlinearities and leave this nil.
    public var activation: Activation?
    public var kernel: Int?
    public var stride: Int?
    public var padding: Int?
    /// For dropout: the probability that a value is zeroed in a training pass, in [0, 1).
    public var rate: Double?

    /// A spec as given, not validated (see ``Architecture/validate()``).
    public init(kind: LayerKind = .dense, units: Int, activation: Activation?, kernel: Int? = nil, stride: Int? = nil,
                padding: Int? = nil, rate: Double? = nil) {
        self.kind = kind
        self.units = units
        self.activation = activation
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.rate = rate
    }

    public static func dense(_ units: Int, _ activation: Activation? = nil) -> LayerSpec {
        LayerSpec(kind: .dense, units: units, activation: activation)
    }
    public static func conv2d(channels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                              activation: Activation? = nil) -> LayerSpec {
        LayerSpec(kind: .conv2d, units: channels, activation: activation, kernel: kernel, stride: stride, padding: padding)
    }
    public static func maxPool(_ kernel: Int, stride: Int? = nil) -> LayerSpec {
        LayerSpec(kind: .maxpool2d, units: 0, activation: nil, kernel: kernel, stride: stride ?? kernel)
    }
    public static func averagePool(_ kernel: Int, stride: Int? = nil) -> LayerSpec {
        LayerSpec(kind: .avgpool2d, units: 0, activation: nil, kernel: kernel, stride: stride ?? kernel)
    }
    public static let globalAveragePool = LayerSpec(kind: .globalavgpool, units: 0, activation: nil)
    public static let flatten = LayerSpec(kind: .flatten, units: 0, activation: nil)
    public static let lastTimeStep = LayerSpec(kind: .last, units: 0, activation: nil)
    public static func activation(_ activation: Activation) -> LayerSpec {
        LayerSpec(kind: .activation, units: 0, activation: activation)
    }
    public static func recurrent(_ kind: LayerKind, units: Int) -> LayerSpec {
        precondition(kind.isRecurrent, "\(kind) is not recurrent")
        return LayerSpec(kind: kind, units: units, activation: nil)
    }
    /// Inverted dropout zeroing each value with probability `rate` while training.
    public static func dropout(_ rate: Double) -> LayerSpec {
        LayerSpec(kind: .dropout, units: 0, activation: nil, rate: rate)
    }
    public static let batchNorm = LayerSpec(kind: .batchnorm, units: 0, activation: nil)

    /// The token of the summary: "128relu" (dense, as since #2), "conv16k5p2relu", "maxpool2", "lstm128", ...
    var summaryToken: String {
        let activationName = activation?.rawValue ?? ""
        switch kind {
        case .dense: return "\(units)\(activationName)"
        case .conv2d:
            let strideText = (stride ?? 1) == 1 ? "" : "s\(stride ?? 1)"
            let paddingText = (padding ?? 0) == 0 ? "" : "p\(padding ?? 0)"
            return "conv\(units)k\(kernel ?? 0)\(strideText)\(paddingText)\(activationName)"
        case .maxpool2d, .avgpool2d:
            let strideText = stride == nil || stride == kernel ? "" : "s\(stride!)"
            return "\(kind == .maxpool2d ? "maxpool" : "avgpool")\(kernel ?? 0)\(strideText)"
        case .globalavgpool: return "gap"
        case .flatten: return "flatten"
        case .activation: return activationName
        case .rnn, .lstm, .gru: return "\(kind.rawValue)\(units)"
        case .last: return "last"
        case .dropout: return "dropout\(Self.decimalText(rate ?? 0))"
        case .batchnorm: return "batchnorm"
        }
    }

    /// A rate of at most nine decimals (as the grammar reads them) written as a plain decimal, the way the grammar
    /// takes it back: 0.5 → "0.5", 0 → "0", 0.00001 → "0.00001" (not Swift's "1e-05").
    static func decimalText(_ value: Double) -> String {
        let text = "\(value)"
        if !text.contains("e") { return text.hasSuffix(".0") ? String(text.dropLast(2)) : text }
        var digits = String(Int((value * 1e9).rounded()))
        digits = String(repeating: "0", count: max(0, 9 - digits.count)) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "0." + digits
    }
}

extension LayerSpec: Codable {
    private enum CodingKeys: String, CodingKey { case kind, units, activation, kernel, stride, padding, rate }

    /// Canonical form: only the fields the kind uses; a dense layer encodes exactly as in #2
    /// (`{"activation":"relu","kind":"dense","units":128}`), so stored architecture hashes stay valid. A dropout
    /// layer adds its `rate` (`{"kind":"dropout","rate":0.5}`); a batch-norm layer is `{"kind":"batchnorm"}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        if kind.hasUnits { try container.encode(units, forKey: .units) }
        try container.encodeIfPresent(activation, forKey: .activation)
        try container.encodeIfPresent(kernel, forKey: .kernel)
        try container.encodeIfPresent(stride, forKey: .stride)
        try container.encodeIfPresent(padding, forKey: .padding)
        try container.encodeIfPresent(rate, forKey: .rate)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(LayerKind.self, forKey: .kind)
        units = try container.decodeIfPresent(Int.self, forKey: .units) ?? 0
        activation = try container.decodeIfPresent(Activation.self, forKey: .activation)
        kernel = try container.decodeIfPresent(Int.self, forKey: .kernel)
        stride = try container.decodeIfPresent(Int.self, forKey: .stride)
        padding = try container.decodeIfPresent(Int.self, forKey: .padding)
        rate = try container.decodeIfPresent(Double.self, forKey: .rate)
    }
}

/// How a probe point's output becomes a (samples, units) matrix for the correlation statistics.
public enum ProbeReduction: String, Codable, CaseIterable, Sendable {
    /// A vector output: one row per probe sample.
    case none
    /// A C×H×W output: each channel is a unit, and each probe image gives one row, its spatial mean per channel.
    case spatialMean = "spatial_mean"
    /// A T×H sequence: each hidden unit is a unit, and every (probe sequence, time step) gives a row.
    case timePooled = "time_pooled"
    /// A T×H sequence: only the last time step, one row per probe sequence.
    case lastStep = "last_step"

    /// The reductions snapshotted for an output of this shape.
    public static func reductions(for shape: Shape) -> [ProbeReduction] {
        switch shape.rank {
        case 1: [.none]
        case 2: [.timePooled, .lastStep]
        default: [.spatialMean]
        }
    }
}

/// A network's shape: the per-sample input shape, then `layers` in order, the last one the (linear dense) output layer.
public struct Architecture: Hashable, Sendable {
    /// Largest width (units, channels, hidden size) accepted for any layer.
    public static let maximumUnits = 65536

    /// Shape of one input sample.
    public var inputShape: Shape
    /// Hidden layers, then the output layer (dense, activation nil).
    public var layers: [LayerSpec]
    /// Names of the layers whose block output is snapshotted; nil = every hidden dense, conv and recurrent layer.
    public var probes: [String]?

    /// An architecture as given, not validated (see ``validate()``).
    public init(inputShape: Shape, layers: [LayerSpec], probes: [String]? = nil) {
        self.inputShape = inputShape
        self.layers = layers
        self.probes = probes
    }

    /// An architecture over feature vectors of `inputSize` values.
    public init(inputSize: Int, layers: [LayerSpec]) {
        self.init(inputShape: .features(max(inputSize, 1)), layers: layers)
    }

    /// Values per input sample.
    public var inputSize: Int { inputShape.count }

    /// Every layer but the output layer.
    public var hiddenLayers: ArraySlice<LayerSpec> { layers.dropLast() }

    /// Width of the output layer (the number of classes); 0 when there is no layer.
    public var outputSize: Int { layers.last?.units ?? 0 }

    /// Names: per kind, 1-based in order ("dense1", "dense2", "conv1", "maxpool1", "lstm1", ...); "output" for the
    /// last layer. A network of dense layers is named as in #2.
    public var layerNames: [String] {
        var counts: [LayerKind: Int] = [:]
        return layers.indices.map { index in
            if index == layers.count - 1 { return "output" }
            let kind = layers[index].kind
            counts[kind, default: 0] += 1
            return "\(kind.nameStem)\(counts[kind]!)"
        }
    }

    /// The name of the layer at `index` (see ``layerNames``).
    public func layerName(at index: Int) -> String {
        precondition(layers.indices.contains(index), "layer index \(index) outside 0..<\(layers.count)")
        return layerNames[index]
    }

    /// The input shape joined with each layer's token by "-": "64-128relu-64relu-10", "1x28x28-conv16k5p2relu-...".
    public var summary: String {
        ([inputShape.asciiDescription] + layers.map(\.summaryToken)).joined(separator: "-")
    }

    /// Indices of the snapshotted layers: ``probes`` by name, or every hidden block (dense, conv, recurrent).
    public var probedLayerIndices: [Int] {
        let names = layerNames
        if let probes {
            return probes.compactMap { names.firstIndex(of: $0) }
        }
        return layers.indices.dropLast().filter { layers[$0].kind.isBlock }
    }

    /// Units a snapshot of layer `index` sees: dense units, conv channels, recurrent hidden units; for other kinds
    /// the channels (images) or values (vectors) of its output.
    public func units(ofLayer index: Int, outputShape: Shape) -> Int {
        if layers[index].kind.hasUnits { return layers[index].units }
        switch outputShape.rank {
        case 1: return outputShape.count
        case 2: return outputShape.dimensions[1]
        default: return outputShape.dimensions[0]
        }
    }

    /// The per-sample output shape of every layer, checking that each layer accepts what comes in.
    public func outputShapes() throws(ArchitectureError) -> [Shape] {
        var shapes: [Shape] = []
        var current = inputShape
        let names = layerNames
        for (index, layer) in layers.enumerated() {
            let name = names[index]
            func fail(_ problem: String) -> ArchitectureError {
                ArchitectureError("architecture \(summary): \(name) (\(layer.summaryToken)) \(problem)")
            }
            if layer.kind.hasUnits, !(1...Self.maximumUnits).contains(layer.units) {
                throw fail("has \(layer.units) units, expected 1...\(Self.maximumUnits)")
            }
            switch layer.kind {
            case .dense:
                current = .features(layer.units)
            case .conv2d, .maxpool2d, .avgpool2d:
                guard current.rank == 3 else { throw fail("needs a C×H×W input, got \(current)") }
                // A pool's stride defaults to its kernel (as LayerSpec.maxPool and PyTorch), a conv's to 1.
                let defaultStride = layer.kind == .conv2d ? 1 : (layer.kernel ?? 1)
                let (kernel, stride, padding) = (layer.kernel ?? 0, layer.stride ?? defaultStride, layer.padding ?? 0)
                if layer.kind != .conv2d && padding != 0 { throw fail("has padding \(padding); pooling takes none") }
                guard kernel >= 1, stride >= 1, padding >= 0, padding < kernel else {
                    throw fail("needs kernel ≥ 1, stride ≥ 1 and 0 ≤ padding < kernel")
                }
                let (height, width) = (current.dimensions[1], current.dimensions[2])
                guard height + 2 * padding >= kernel, width + 2 * padding >= kernel else {
                    throw fail("has a \(kernel)×\(kernel) window larger than its \(current) input")
                }
                let channels = layer.kind == .conv2d ? layer.units : current.dimensions[0]
                current = Shape([channels, (height + 2 * padding - kernel) / stride + 1,
                                 (width + 2 * padding - kernel) / stride + 1])
            case .globalavgpool:
                guard current.rank == 3 else { throw fail("needs a C×H×W input, got \(current)") }
                current = .features(current.dimensions[0])
            case .flatten:
                current = .features(current.count)
            case .activation:
                guard layer.activation != nil else { throw fail("names no activation") }
            case .rnn, .lstm, .gru:
                guard current.rank == 2 else {
                    throw fail("needs a T×F sequence input, got \(current)")
                }
                current = Shape([current.dimensions[0], layer.units])
            case .last:
                guard current.rank == 2 else { throw fail("needs a T×F sequence input, got \(current)") }
                current = .features(current.dimensions[1])
            case .dropout:
                guard let rate = layer.rate, rate >= 0, rate < 1 else {
                    throw fail("needs a rate in [0, 1), got \(layer.rate.map { "\($0)" } ?? "none")")
                }
            case .batchnorm:
                guard current.rank == 1 || current.rank == 3 else {
                    throw fail("needs a vector or a C×H×W input, got \(current)")
                }
            }
            shapes.append(current)
        }
        return shapes
    }

    /// Trainable parameters (and state) of every layer, as the network lays them out.
    public var parameterCount: Int {
        guard let layers = try? Network.makeLayers(self) else { return 0 }
        return layers.reduce(0) { $0 + $1.layer.parameterCount }
    }

    /// Checks what a network needs: at least one layer, every layer accepting its input shape, sizes in range, a
    /// linear dense output layer, and probes that name hidden layers.
    public func validate() throws(ArchitectureError) {
        guard !layers.isEmpty else {
            throw ArchitectureError("architecture \(summary): needs at least an output layer")
        }
        let output = layers[layers.count - 1]
        guard output.kind == .dense else {
            throw ArchitectureError("architecture \(summary): the output layer must be dense, got \(output.kind.rawValue)")
        }
        if let activation = output.activation {
            throw ArchitectureError(
                "architecture \(summary): the output layer must be linear (softmax is in the loss), got \(activation.rawValue)")
        }
        _ = try outputShapes()
        if let probes {
            let hidden = layerNames.dropLast()
            for probe in probes where !hidden.contains(probe) {
                throw ArchitectureError("architecture \(summary): no hidden layer named '\(probe)' to probe "
                                        + "(layers: \(hidden.joined(separator: ", ")))")
            }
        }
    }
}

extension Architecture: Codable {
    private enum CodingKeys: String, CodingKey { case inputSize, inputShape, layers, probes }

    /// Canonical form: `inputSize` for a vector input (so dense networks encode exactly as in #2), `inputShape` for
    /// images and sequences; `probes` only when set.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if inputShape.rank == 1 {
            try container.encode(inputShape.count, forKey: .inputSize)
        } else {
            try container.encode(inputShape, forKey: .inputShape)
        }
        try container.encode(layers, forKey: .layers)
        try container.encodeIfPresent(probes, forKey: .probes)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let shape = try container.decodeIfPresent(Shape.self, forKey: .inputShape) {
            inputShape = shape
        } else {
            let size = try container.decode(Int.self, forKey: .inputSize)
            guard size >= 1 else {
                throw DecodingError.dataCorruptedError(forKey: .inputSize, in: container,
                                                       debugDescription: "input size must be at least 1")
            }
            inputShape = .features(size)
        }
        layers = try container.decode([LayerSpec].self, forKey: .layers)
        probes = try container.decodeIfPresent([String].self, forKey: .probes)
    }
}

/// A malformed or unusable architecture, with one line saying what and where.
public struct ArchitectureError: Error, CustomStringConvertible, Sendable {
    /// The message, one line.
    public let description: String

    /// An error with this one-line message.
    public init(_ description: String) {
        self.description = description
    }
}
