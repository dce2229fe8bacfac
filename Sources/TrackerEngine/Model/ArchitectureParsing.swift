// Parsing the command-line architecture spec ("128,64", "128:tanh,64") into an Architecture.

extension Architecture {
    /// Parses the CLI spec: comma-separated hidden layers `UNITS[:ACTIVATION]`, e.g. "128,64" or "128:tanh,64".
    ///
    /// An empty (or all-blank) string means no hidden layer. Whitespace around tokens is allowed; activation names
    /// are case-insensitive; units must be 1...65536. A hidden layer without an activation gets
    /// `defaultActivation`. The output layer (`outputSize` units, linear) is appended.
    public static func parse(_ spec: String, inputSize: Int, outputSize: Int,
                             defaultActivation: Activation) throws(ArchitectureError) -> Architecture {
        guard inputSize >= 1 else { throw ArchitectureError("input size must be at least 1, got \(inputSize)") }
        guard (1...maximumUnits).contains(outputSize) else {
            throw ArchitectureError("output size must be between 1 and \(maximumUnits), got \(outputSize)")
        }
        var layers: [LayerSpec] = []
        if !trimmed(Substring(spec)).isEmpty {
            for (position, rawToken) in spec.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
                layers.append(try parseLayer(trimmed(rawToken), position: position + 1, spec: spec,
                                             defaultActivation: defaultActivation))
            }
        }
        layers.append(LayerSpec(kind: .dense, units: outputSize, activation: nil))
        return Architecture(inputSize: inputSize, layers: layers)
    }

    private static let activationNames = Activation.allCases.map(\.rawValue).joined(separator: ", ")

    private static func parseLayer(_ token: Substring, position: Int, spec: String,
                                   defaultActivation: Activation) throws(ArchitectureError) -> LayerSpec {
        let expected = "expected UNITS[:ACTIVATION] with ACTIVATION one of \(activationNames)"
        guard !token.isEmpty else {
            throw ArchitectureError("empty layer at position \(position) in --arch '\(spec)': \(expected)")
        }
        let parts = token.split(separator: ":", omittingEmptySubsequences: false).map(trimmed)
        guard parts.count <= 2, let unitsText = parts.first, !unitsText.isEmpty,
              unitsText.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw ArchitectureError("invalid layer '\(token)' in --arch '\(spec)': \(expected)")
        }
        guard let units = Int(unitsText), (1...maximumUnits).contains(units) else {
            throw ArchitectureError(
                "invalid layer '\(token)' in --arch '\(spec)': UNITS must be between 1 and \(maximumUnits)")
        }
        var activation = defaultActivation
        if parts.count == 2 {
            let name = parts[1]
            guard !name.isEmpty else {
                throw ArchitectureError("invalid layer '\(token)' in --arch '\(spec)': \(expected)")
            }
            guard let parsed = Activation(rawValue: name.lowercased()) else {
                throw ArchitectureError(
                    "invalid layer '\(token)' in --arch '\(spec)': unknown activation '\(name)', expected one of \(activationNames)")
            }
            activation = parsed
        }
        return LayerSpec(kind: .dense, units: units, activation: activation)
    }

    private static func trimmed(_ text: Substring) -> Substring {
        var result = text
        while let first = result.first, first.isWhitespace { result.removeFirst() }
        while let last = result.last, last.isWhitespace { result.removeLast() }
        return result
    }
}
