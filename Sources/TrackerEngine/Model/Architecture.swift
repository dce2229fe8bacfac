// The description of a network: input size, layer specs, names, summary and parameter count.

/// The kind of a layer. Only dense for now; conv2d, pool, rnn, lstm, gru, dropout and batchnorm are planned.
public enum LayerKind: String, Codable, Sendable {
    case dense
}

/// One layer of an ``Architecture``.
public struct LayerSpec: Codable, Hashable, Sendable {
    /// What the layer computes.
    public var kind: LayerKind
    /// Output width of the layer.
    public var units: Int
    /// nil = linear (the output layer: logits; the softmax lives in the loss).
    public var activation: Activation?

    /// A layer of `units` outputs; no validation (see ``Architecture/validate()``).
    public init(kind: LayerKind = .dense, units: Int, activation: Activation?) {
        self.kind = kind
        self.units = units
        self.activation = activation
    }
}

/// A feed-forward network's shape: `inputSize` values in, then `layers` in order, the last one the output layer.
public struct Architecture: Codable, Hashable, Sendable {
    /// Largest width accepted for any layer.
    public static let maximumUnits = 65536

    /// Features per sample.
    public var inputSize: Int
    /// Hidden layers, then the output layer (activation nil).
    public var layers: [LayerSpec]

    /// An architecture as given, not validated (see ``validate()``).
    public init(inputSize: Int, layers: [LayerSpec]) {
        self.inputSize = inputSize
        self.layers = layers
    }

    /// All layers but the last (the output layer).
    public var hiddenLayers: ArraySlice<LayerSpec> { layers.dropLast() }

    /// Width of the output layer (the number of classes); 0 when there is no layer.
    public var outputSize: Int { layers.last?.units ?? 0 }

    /// Input width of the layer at `index`: `inputSize` for the first, the previous layer's units after.
    public func inputSize(ofLayer index: Int) -> Int {
        index == 0 ? inputSize : layers[index - 1].units
    }

    /// Trainable parameters: Σ over dense layers of (fanIn · units + units).
    public var parameterCount: Int {
        layers.indices.reduce(0) { total, index in
            total + inputSize(ofLayer: index) * layers[index].units + layers[index].units
        }
    }

    /// "dense1", "dense2", … for hidden layers (kind and 1-based position), "output" for the last layer.
    public func layerName(at index: Int) -> String {
        precondition(layers.indices.contains(index), "layer index \(index) outside 0..<\(layers.count)")
        return index == layers.count - 1 ? "output" : "\(layers[index].kind.rawValue)\(index + 1)"
    }

    /// Sizes joined by "-", each hidden layer followed by its activation: e.g. "64-128relu-64relu-10".
    public var summary: String {
        ([String(inputSize)] + layers.map { "\($0.units)\($0.activation?.rawValue ?? "")" }).joined(separator: "-")
    }

    /// Checks what a network needs: inputSize ≥ 1, at least one layer, every width in 1...65536, and a linear
    /// output layer.
    public func validate() throws(ArchitectureError) {
        guard inputSize >= 1 else {
            throw ArchitectureError("architecture \(summary): input size must be at least 1, got \(inputSize)")
        }
        guard !layers.isEmpty else {
            throw ArchitectureError("architecture \(summary): needs at least an output layer")
        }
        for (index, layer) in layers.enumerated() where !(1...Self.maximumUnits).contains(layer.units) {
            throw ArchitectureError(
                "architecture \(summary): layer \(index + 1) has \(layer.units) units, expected 1...\(Self.maximumUnits)")
        }
        if let activation = layers[layers.count - 1].activation {
            throw ArchitectureError(
                "architecture \(summary): the output layer must be linear (softmax is in the loss), got \(activation.rawValue)")
        }
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
