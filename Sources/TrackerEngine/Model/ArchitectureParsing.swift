// Parsing an architecture spec: the layer grammar ("conv16k5p2-relu-maxpool2-flatten-dense128-relu", "lstm128")
// and the comma form of #2 ("128,64", "128:tanh,64").

extension Architecture {
    /// The layer grammar, for help texts: tokens joined by "-".
    public static let grammarHelp = """
        dense<UNITS>, conv<CHANNELS>k<KERNEL>[s<STRIDE>][p<PADDING>], maxpool<K>[s<STRIDE>], avgpool<K>[s<STRIDE>], \
        gap (global average pool), flatten, rnn<UNITS>, lstm<UNITS>, gru<UNITS>, last (last time step), \
        dropout<RATE> (e.g. dropout0.5), batchnorm (or bn), and the activations relu, leakyrelu, tanh, sigmoid, gelu
        """

    /// Parses an architecture spec for data whose samples have shape `inputShape` and `outputSize` classes.
    ///
    /// Two forms:
    /// - **Layer grammar**: tokens joined by "-" (see ``grammarHelp``), e.g. `conv16k5p2-relu-maxpool2-flatten-
    ///   dense128-relu` or `lstm128`. What is written is what is built: a layer without a following activation token
    ///   is linear. An activation right after a dense or conv layer becomes that layer's activation (so
    ///   `dense128-relu-dense64-relu` is the same architecture, with the same hash, as `128,64`). Batch norm goes
    ///   between an affine layer and its activation (`dense128-bn-relu`: the activation is then a layer of its own),
    ///   dropout where it is written (`dense128-relu-dropout0.5`).
    /// - **Comma form** (#2): `UNITS[:ACTIVATION]` per hidden dense layer, e.g. `128,64` or `128:tanh,64`; a layer
    ///   without an activation gets `defaultActivation`. Used when the spec has a comma or colon, or is one number.
    ///
    /// An empty spec means no hidden layer. The output layer (dense, `outputSize` units, linear) is appended; after
    /// a recurrent layer a `last` step is inserted first, so the head reads the last hidden state. The input shape
    /// is adapted to the first layer: a vector for dense layers, T×F = H×W for a recurrent layer on 1×H×W images.
    ///
    /// - Throws: ``ArchitectureError`` naming the bad token, its position and what was expected, or a layer that
    ///   cannot take its input.
    public static func parse(_ spec: String, inputShape: Shape, outputSize: Int,
                             defaultActivation: Activation = .relu) throws(ArchitectureError) -> Architecture {
        guard (1...maximumUnits).contains(outputSize) else {
            throw ArchitectureError("output size must be between 1 and \(maximumUnits), got \(outputSize)")
        }
        let text = trimmed(Substring(spec))
        var hidden: [LayerSpec]
        if text.isEmpty {
            hidden = []
        } else if text.contains(",") || text.contains(":") || text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            hidden = try parseCommaForm(spec, defaultActivation: defaultActivation)
        } else {
            hidden = try parseLayerGrammar(spec)
        }
        // Element-wise layers after the recurrent one (activation, dropout, batch norm) keep its T×H shape.
        if let lastBlock = hidden.last(where: { ![.activation, .dropout, .batchnorm].contains($0.kind) }),
           lastBlock.kind.isRecurrent {
            hidden.append(.lastTimeStep)
        }
        let architecture = Architecture(inputShape: adaptedInputShape(inputShape, firstLayer: hidden.first),
                                        layers: hidden + [.dense(outputSize)])
        try architecture.validate()
        return architecture
    }

    /// The comma-form parser of #2, kept for existing scripts.
    public static func parse(_ spec: String, inputSize: Int, outputSize: Int,
                             defaultActivation: Activation) throws(ArchitectureError) -> Architecture {
        guard inputSize >= 1 else { throw ArchitectureError("input size must be at least 1, got \(inputSize)") }
        return try parse(spec, inputShape: .features(inputSize), outputSize: outputSize,
                         defaultActivation: defaultActivation)
    }

    private static func adaptedInputShape(_ shape: Shape, firstLayer: LayerSpec?) -> Shape {
        switch firstLayer?.kind {
        case .conv2d?, .maxpool2d?, .avgpool2d?, .globalavgpool?:
            return shape
        case .rnn?, .lstm?, .gru?, .last?:
            if shape.rank == 3 && shape.dimensions[0] == 1 { return Shape(Array(shape.dimensions.dropFirst())) }
            return shape
        default:
            return .features(shape.count)
        }
    }

    // MARK: - Layer grammar

    private static func parseLayerGrammar(_ spec: String) throws(ArchitectureError) -> [LayerSpec] {
        var layers: [LayerSpec] = []
        var column = 1
        for (position, rawToken) in spec.split(separator: "-", omittingEmptySubsequences: false).enumerated() {
            let leading = rawToken.prefix { $0.isWhitespace }.count
            let token = trimmed(rawToken)
            let tokenColumn = column + leading
            column += rawToken.count + 1
            let where_ = "token \(position + 1) '\(token)' (column \(tokenColumn))"
            guard !token.isEmpty else {
                throw ArchitectureError("architecture '\(spec)': empty token \(position + 1) (column \(tokenColumn)); expected a layer: \(grammarHelp)")
            }
            guard let layer = parseToken(Substring(token.lowercased())) else {
                throw ArchitectureError("architecture '\(spec)': \(where_) is not a layer; expected \(grammarHelp)")
            }
            if let problem = layer.problem {
                throw ArchitectureError("architecture '\(spec)': \(where_): \(problem)")
            }
            let parsed = layer.spec
            // Fuse an activation into the dense or conv layer right before it (the #2 form of a dense block).
            if parsed.kind == .activation, let previous = layers.last,
               previous.kind == .dense || previous.kind == .conv2d, previous.activation == nil {
                layers[layers.count - 1].activation = parsed.activation
            } else {
                layers.append(parsed)
            }
        }
        return layers
    }

    /// One token: a spec, or a spec with the problem of its numbers (out of range), or nil if it is no layer at all.
    private static func parseToken(_ token: Substring) -> (spec: LayerSpec, problem: String?)? {
        if let activation = Activation(rawValue: String(token)) { return (.activation(activation), nil) }
        switch token {
        case "flatten": return (.flatten, nil)
        case "gap", "globalavgpool": return (.globalAveragePool, nil)
        case "last": return (.lastTimeStep, nil)
        case "batchnorm", "bn": return (.batchNorm, nil)
        default: break
        }
        if token.hasPrefix("dropout") { return parseDropout(token.dropFirst("dropout".count)) }
        // NAME followed by letter-tagged numbers: conv16k5s1p2 → ("conv", 16, [k: 5, s: 1, p: 2]).
        let name = token.prefix { $0.isLetter }
        var rest = token.dropFirst(name.count)
        guard let first = leadingNumber(&rest) else { return nil }
        var fields: [Character: Int] = [:]
        while let tag = rest.first, tag.isLetter {
            rest = rest.dropFirst()
            guard fields[tag] == nil, let value = leadingNumber(&rest) else { return nil }
            fields[tag] = value
        }
        guard rest.isEmpty else { return nil }
        func units(_ value: Int, _ what: String) -> String? {
            (1...maximumUnits).contains(value) ? nil : "\(what) must be between 1 and \(maximumUnits), got \(value)"
        }
        switch name {
        case "dense":
            guard fields.isEmpty else { return nil }
            return (.dense(first), units(first, "units"))
        case "rnn", "lstm", "gru":
            guard fields.isEmpty else { return nil }
            return (.recurrent(LayerKind(rawValue: String(name))!, units: first), units(first, "hidden units"))
        case "conv":
            guard let kernel = fields["k"], Set(fields.keys).isSubset(of: ["k", "s", "p"]) else { return nil }
            let spec = LayerSpec.conv2d(channels: first, kernel: kernel, stride: fields["s"] ?? 1,
                                        padding: fields["p"] ?? 0)
            return (spec, units(first, "channels") ?? windowProblem(spec))
        case "maxpool", "avgpool":
            guard Set(fields.keys).isSubset(of: ["s"]) else { return nil }
            let spec = name == "maxpool" ? LayerSpec.maxPool(first, stride: fields["s"])
                : LayerSpec.averagePool(first, stride: fields["s"])
            return (spec, windowProblem(spec))
        default:
            return nil
        }
    }

    /// `dropout<RATE>`: RATE a plain decimal with at most nine digits on either side of the point (`0.5`, `.25`,
    /// `0`); nil when it is not one.
    private static func parseDropout(_ text: Substring) -> (spec: LayerSpec, problem: String?)? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.allSatisfy({ $0.count <= 9 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              parts.contains(where: { !$0.isEmpty }),
              let rate = Double((parts[0].isEmpty ? "0" : String(parts[0])) + (parts.count == 2 ? "." + parts[1] : ""))
        else { return nil }
        return (.dropout(rate), rate < 1 ? nil : "dropout rate must be in [0, 1), got \(text)")
    }

    private static func windowProblem(_ spec: LayerSpec) -> String? {
        let (kernel, stride, padding) = (spec.kernel ?? 0, spec.stride ?? 1, spec.padding ?? 0)
        if kernel < 1 || kernel > 64 { return "kernel must be between 1 and 64, got \(kernel)" }
        if stride < 1 || stride > 64 { return "stride must be between 1 and 64, got \(stride)" }
        if padding >= kernel { return "padding must be smaller than the kernel, got p\(padding) with k\(kernel)" }
        return nil
    }

    /// Reads leading ASCII digits (at most 9) from `text`.
    private static func leadingNumber(_ text: inout Substring) -> Int? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 9 else { return nil }
        text = text.dropFirst(digits.count)
        return Int(digits)
    }

    // MARK: - Comma form (#2)

    private static let activationNames = Activation.allCases.map(\.rawValue).joined(separator: ", ")

    private static func parseCommaForm(_ spec: String,
                                       defaultActivation: Activation) throws(ArchitectureError) -> [LayerSpec] {
        var layers: [LayerSpec] = []
        for (position, rawToken) in spec.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            layers.append(try parseDenseToken(trimmed(rawToken), position: position + 1, spec: spec,
                                              defaultActivation: defaultActivation))
        }
        return layers
    }

    private static func parseDenseToken(_ token: Substring, position: Int, spec: String,
                                        defaultActivation: Activation) throws(ArchitectureError) -> LayerSpec {
        let expected = "expected UNITS[:ACTIVATION] with ACTIVATION one of \(activationNames)"
        guard !token.isEmpty else {
            throw ArchitectureError("architecture '\(spec)': empty layer at position \(position): \(expected)")
        }
        let parts = token.split(separator: ":", omittingEmptySubsequences: false).map(trimmed)
        guard parts.count <= 2, let unitsText = parts.first, !unitsText.isEmpty,
              unitsText.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw ArchitectureError("architecture '\(spec)': invalid layer '\(token)': \(expected)")
        }
        guard let units = Int(unitsText), (1...maximumUnits).contains(units) else {
            throw ArchitectureError(
                "architecture '\(spec)': invalid layer '\(token)': UNITS must be between 1 and \(maximumUnits)")
        }
        var activation = defaultActivation
        if parts.count == 2 {
            let name = parts[1]
            guard !name.isEmpty else {
                throw ArchitectureError("architecture '\(spec)': invalid layer '\(token)': \(expected)")
            }
            guard let parsed = Activation(rawValue: name.lowercased()) else {
                throw ArchitectureError(
                    "architecture '\(spec)': invalid layer '\(token)': unknown activation '\(name)', expected one of \(activationNames)")
            }
            activation = parsed
        }
        return .dense(units, activation)
    }

    private static func trimmed(_ text: Substring) -> Substring {
        var result = text
        while let first = result.first, first.isWhitespace { result.removeFirst() }
        while let last = result.last, last.isWhitespace { result.removeLast() }
        return result
    }
}
