// Architecture: parsing the --arch spec, error messages, names, summary, parameter count, validation, Codable.
import Foundation
import Testing
import TrackerEngine

@Suite("Architecture")
struct ArchitectureTests {
    @Test("parses hidden layers with the default activation")
    func parsesPlainSpec() throws {
        let architecture = try Architecture.parse("128,64", inputSize: 64, outputSize: 10, defaultActivation: .relu)
        #expect(architecture.layers == [LayerSpec(units: 128, activation: .relu), LayerSpec(units: 64, activation: .relu),
                                        LayerSpec(units: 10, activation: nil)])
        #expect(architecture.summary == "64-128relu-64relu-10")
        // (64·128 + 128) + (128·64 + 64) + (64·10 + 10)
        #expect(architecture.parameterCount == 8320 + 8256 + 650)
        #expect(architecture.hiddenLayers.count == 2)
        #expect(architecture.outputSize == 10)
        #expect((0..<3).map(architecture.layerName(at:)) == ["dense1", "dense2", "output"])
    }

    @Test("explicit activations, whitespace and case are accepted")
    func parsesActivations() throws {
        let architecture = try Architecture.parse(" 128 : tanh , 64,\t32:SIGMOID ", inputSize: 4, outputSize: 3,
                                                  defaultActivation: .relu)
        #expect(architecture.layers.map(\.units) == [128, 64, 32, 3])
        #expect(architecture.layers.map(\.activation) == [.tanh, .relu, .sigmoid, nil])
        #expect(architecture.summary == "4-128tanh-64relu-32sigmoid-3")
    }

    @Test("an empty spec means no hidden layer", arguments: ["", "   "])
    func emptySpec(spec: String) throws {
        let architecture = try Architecture.parse(spec, inputSize: 64, outputSize: 10, defaultActivation: .tanh)
        #expect(architecture.layers == [LayerSpec(units: 10, activation: nil)])
        #expect(architecture.hiddenLayers.isEmpty)
        #expect(architecture.summary == "64-10")
        #expect(architecture.parameterCount == 650)
        #expect(architecture.layerName(at: 0) == "output")
    }

    @Test("unit bounds are inclusive")
    func unitBounds() throws {
        #expect(try Architecture.parse("1,65536", inputSize: 2, outputSize: 2, defaultActivation: .relu)
            .layers.map(\.units) == [1, 65536, 2])
    }

    @Test("bad comma-form layers give one clear line")
    func exactMessages() {
        let expected = "expected UNITS[:ACTIVATION] with ACTIVATION one of relu, leakyrelu, tanh, sigmoid, gelu"
        #expect(parseError("128,abc") == "architecture '128,abc': invalid layer 'abc': \(expected)")
        #expect(parseError("128:swish") == "architecture '128:swish': invalid layer '128:swish': unknown activation 'swish', expected one of relu, leakyrelu, tanh, sigmoid, gelu")
        #expect(parseError("0") == "architecture '0': invalid layer '0': UNITS must be between 1 and 65536")
        #expect(parseError("65537") == "architecture '65537': invalid layer '65537': UNITS must be between 1 and 65536")
        #expect(parseError("128,,64") == "architecture '128,,64': empty layer at position 2: \(expected)")
    }

    @Test("malformed tokens are rejected",
          arguments: ["128,", ",128", "-5", "+5", "1.5", "128:", ":relu", "128:relu:tanh", "12 8", "99999999999999999999999",
                      "dense", "dense0", "conv16", "conv16k5q2", "conv16k5k3", "maxpool2p1", "lstm", "dense128--relu",
                      "relu-", "convk5"])
    func malformed(spec: String) {
        let message = parseError(spec)
        #expect(message?.contains("architecture '\(spec)'") == true, "\(message ?? "no error")")
    }

    @Test("input and output sizes are checked")
    func sizes() {
        #expect(throws: ArchitectureError.self) { try Architecture.parse("8", inputSize: 0, outputSize: 3, defaultActivation: .relu) }
        #expect(throws: ArchitectureError.self) { try Architecture.parse("8", inputSize: 3, outputSize: 0, defaultActivation: .relu) }
    }

    @Test("validate rejects unusable architectures")
    func validation() throws {
        try Architecture(inputSize: 3, layers: [LayerSpec(units: 2, activation: nil)]).validate()
        let cases: [(Architecture, String)] = [
            (Architecture(inputSize: 3, layers: []), "at least an output layer"),
            (Architecture(inputSize: 3, layers: [LayerSpec(units: 0, activation: .relu), LayerSpec(units: 2, activation: nil)]),
             "dense1 (0relu) has 0 units"),
            (Architecture(inputSize: 3, layers: [.conv2d(channels: 4, kernel: 3), .dense(2)]),
             "conv1 (conv4k3) needs a C×H×W input, got 3"),
            (Architecture(inputShape: Shape([1, 4, 4]), layers: [.conv2d(channels: 4, kernel: 5), .dense(2)]),
             "has a 5×5 window larger than its 1×4×4 input"),
            (Architecture(inputSize: 3, layers: [.recurrent(.lstm, units: 4), .dense(2)]),
             "lstm1 (lstm4) needs a T×F sequence input, got 3"),
            (Architecture(inputSize: 3, layers: [.dense(4), .activation(.relu)]), "the output layer must be dense"),
            (Architecture(inputShape: Shape([3]), layers: [.dense(4), .dense(2)], probes: ["dense9"]),
             "no hidden layer named 'dense9' to probe (layers: dense1)"),
            (Architecture(inputSize: 3, layers: [LayerSpec(units: 2, activation: .relu)]), "output layer must be linear"),
        ]
        for (architecture, fragment) in cases {
            do {
                try architecture.validate()
                Issue.record("\(architecture.summary) should be invalid")
            } catch {
                #expect(error.description.contains(fragment), "\(error.description)")
            }
        }
    }

    @Test("round-trips through JSON")
    func codable() throws {
        let architecture = try Architecture.parse("16:tanh,8", inputSize: 4, outputSize: 3, defaultActivation: .relu)
        let data = try JSONEncoder().encode(architecture)
        #expect(try JSONDecoder().decode(Architecture.self, from: data) == architecture)
    }

    private func parseError(_ spec: String) -> String? {
        do {
            _ = try Architecture.parse(spec, inputSize: 64, outputSize: 10, defaultActivation: .relu)
            return nil
        } catch {
            return error.description
        }
    }
}
