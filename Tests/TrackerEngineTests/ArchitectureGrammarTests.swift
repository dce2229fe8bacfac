// The layer grammar: every token, fusion of activations, inserted last steps, input shapes, names, canonical JSON.
import Foundation
import Testing
import TrackerEngine

@Suite("Architecture grammar")
struct ArchitectureGrammarTests {
    private let image = Shape([1, 28, 28])

    @Test("the reference CNN: tokens, shapes, names, probes, summary")
    func referenceCNN() throws {
        let architecture = try Architecture.parse(
            "conv16k5p2-relu-maxpool2-conv32k5p2-relu-maxpool2-flatten-dense128-relu", inputShape: image, outputSize: 10)
        #expect(architecture.inputShape == image)
        #expect(architecture.layers == [
            .conv2d(channels: 16, kernel: 5, padding: 2, activation: .relu), .maxPool(2),
            .conv2d(channels: 32, kernel: 5, padding: 2, activation: .relu), .maxPool(2), .flatten,
            .dense(128, .relu), .dense(10),
        ])
        #expect(try architecture.outputShapes().map(\.dimensions) == [
            [16, 28, 28], [16, 14, 14], [32, 14, 14], [32, 7, 7], [1568], [128], [10],
        ])
        #expect(architecture.layerNames == ["conv1", "maxpool1", "conv2", "maxpool2", "flatten1", "dense1", "output"])
        #expect(architecture.probedLayerIndices == [0, 2, 5])
        #expect(architecture.summary == "1x28x28-conv16k5p2relu-maxpool2-conv32k5p2relu-maxpool2-flatten-128relu-10")
        // 16·1·25 + 16, 32·16·25 + 32, 1568·128 + 128, 128·10 + 10
        #expect(architecture.parameterCount == 416 + 12832 + 200_832 + 1290)
    }

    @Test("recurrent layers read images row by row and get a last step before the head",
          arguments: [LayerKind.rnn, .lstm, .gru])
    func recurrent(kind: LayerKind) throws {
        let architecture = try Architecture.parse("\(kind.rawValue)128", inputShape: image, outputSize: 10)
        #expect(architecture.inputShape == Shape([28, 28]))
        #expect(architecture.layers == [.recurrent(kind, units: 128), .lastTimeStep, .dense(10)])
        #expect(try architecture.outputShapes().map(\.dimensions) == [[28, 128], [128], [10]])
        #expect(architecture.layerNames == ["\(kind.rawValue)1", "last1", "output"])
        #expect(architecture.probedLayerIndices == [0])
        // An explicit `last` is kept, not doubled.
        let explicit = try Architecture.parse("\(kind.rawValue)64-last-dense32-tanh", inputShape: image, outputSize: 10)
        #expect(explicit.layers == [.recurrent(kind, units: 64), .lastTimeStep, .dense(32, .tanh), .dense(10)])
    }

    @Test("an activation after a dense layer is fused: the layer grammar and the comma form give one architecture")
    func fusion() throws {
        let grammar = try Architecture.parse("dense128-relu-dense64-relu", inputShape: Shape([1, 8, 8]), outputSize: 10)
        let comma = try Architecture.parse("128,64", inputSize: 64, outputSize: 10, defaultActivation: .relu)
        #expect(grammar == comma)
        // Without an activation token a layer is linear; a standalone activation stays a layer of its own.
        let linear = try Architecture.parse("dense32-dense16", inputShape: image, outputSize: 10)
        #expect(linear.layers == [.dense(32), .dense(16), .dense(10)])
        let pooled = try Architecture.parse("conv4k3-maxpool2-relu-gap", inputShape: image, outputSize: 10)
        #expect(pooled.layers == [.conv2d(channels: 4, kernel: 3), .maxPool(2), .activation(.relu), .globalAveragePool,
                                  .dense(10)])
        #expect(pooled.layerNames == ["conv1", "maxpool1", "act1", "gap1", "output"])
    }

    @Test("dense networks encode exactly as in #2, so stored architecture hashes still match")
    func canonicalJSON() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let architecture = try Architecture.parse("128,64", inputSize: 64, outputSize: 10, defaultActivation: .relu)
        let json = String(decoding: try encoder.encode(architecture), as: UTF8.self)
        #expect(json == #"{"inputSize":64,"layers":[{"activation":"relu","kind":"dense","units":128},"#
                + #"{"activation":"relu","kind":"dense","units":64},{"kind":"dense","units":10}]}"#)
        let cnn = try Architecture.parse("conv8k3s2p1-tanh-avgpool2s1-gap", inputShape: image, outputSize: 10)
        let cnnJSON = String(decoding: try encoder.encode(cnn), as: UTF8.self)
        #expect(cnnJSON == #"{"inputShape":[1,28,28],"layers":[{"activation":"tanh","kernel":3,"kind":"conv2d","padding":1,"#
                + #""stride":2,"units":8},{"kernel":2,"kind":"avgpool2d","stride":1},{"kind":"globalavgpool"},"#
                + #"{"kind":"dense","units":10}]}"#)
        #expect(try JSONDecoder().decode(Architecture.self, from: Data(cnnJSON.utf8)) == cnn)
        var probed = cnn
        probed.probes = ["conv1"]
        #expect(try JSONDecoder().decode(Architecture.self, from: encoder.encode(probed)) == probed)
    }

    @Test("errors point at the bad token and say what was expected")
    func errors() {
        func message(_ spec: String, shape: Shape = Shape([1, 28, 28])) -> String {
            do {
                _ = try Architecture.parse(spec, inputShape: shape, outputSize: 10)
                return "no error"
            } catch {
                return error.description
            }
        }
        #expect(message("conv16k5p2-relu-maxpol2").hasPrefix(
            "architecture 'conv16k5p2-relu-maxpol2': token 3 'maxpol2' (column 17) is not a layer; expected dense<UNITS>"))
        #expect(message("conv16k5p6") == "architecture 'conv16k5p6': token 1 'conv16k5p6' (column 1): padding must be smaller than the kernel, got p6 with k5")
        #expect(message("dense0") == "architecture 'dense0': token 1 'dense0' (column 1): units must be between 1 and 65536, got 0")
        #expect(message("dense16- -relu").hasPrefix("architecture 'dense16- -relu': empty token 2 (column 10)"))
        #expect(message("lstm8-conv4k3") == "architecture 28x28-lstm8-conv4k3-10: conv1 (conv4k3) needs a C×H×W input, got 28×8")
        #expect(message("conv4k3", shape: Shape([64])) == "architecture 64-conv4k3-10: conv1 (conv4k3) needs a C×H×W input, got 64")
        #expect(message("maxpool32") == "architecture 1x28x28-maxpool32-10: maxpool1 (maxpool32) has a 32×32 window larger than its 1×28×28 input")
    }

    @Test("batch norm and dropout: tokens, names, shapes, summary, canonical JSON, probe points")
    func batchNormAndDropout() throws {
        let mlp = try Architecture.parse("dense128-bn-relu-dropout0.5-dense64-batchnorm-tanh-dropout.25",
                                         inputShape: image, outputSize: 10)
        #expect(mlp.layers == [.dense(128), .batchNorm, .activation(.relu), .dropout(0.5), .dense(64), .batchNorm,
                               .activation(.tanh), .dropout(0.25), .dense(10)])
        #expect(mlp.layerNames == ["dense1", "batchnorm1", "act1", "dropout1", "dense2", "batchnorm2", "act2",
                                   "dropout2", "output"])
        #expect(mlp.summary == "784-128-batchnorm-relu-dropout0.5-64-batchnorm-tanh-dropout0.25-10")
        // dense 784·128 + 128, batch norm 4·128 (scale, shift, running mean and variance), dense 128·64 + 64,
        // batch norm 4·64, output 64·10 + 10.
        #expect(mlp.parameterCount == 100_480 + 512 + 8256 + 256 + 650)
        let network = try Network(architecture: mlp, capacity: 2)
        // The probe reads each block after its batch norm and activation, before the dropout.
        #expect(network.probePoints.map(\.name) == ["dense1", "dense2"])
        #expect(network.probePoints.map(\.networkLayerIndex) == [2, 6])
        #expect(network.layers[2] is ActivationLayer && network.layers[3] is DropoutLayer)

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let cnn = try Architecture.parse("conv4k3p1-bn-relu-maxpool2-dropout0.1-gap", inputShape: image, outputSize: 10)
        let json = String(decoding: try encoder.encode(cnn), as: UTF8.self)
        #expect(json == #"{"inputShape":[1,28,28],"layers":[{"kernel":3,"kind":"conv2d","padding":1,"stride":1,"#
                + #""units":4},{"kind":"batchnorm"},{"activation":"relu","kind":"activation"},{"kernel":2,"#
                + #""kind":"maxpool2d","stride":2},{"kind":"dropout","rate":0.1},{"kind":"globalavgpool"},"#
                + #"{"kind":"dense","units":10}]}"#)
        #expect(try JSONDecoder().decode(Architecture.self, from: Data(json.utf8)) == cnn)
        #expect(try Network(architecture: cnn, capacity: 1).probePoints.map(\.networkLayerIndex) == [2])
        #expect(try Architecture.parse("dense8-bn", inputShape: Shape([4]), outputSize: 2).layers
                    == [.dense(8), .batchNorm, .dense(2)])
        // The summary writes rates as the grammar reads them, so a summary's tokens parse back.
        let rates = try Architecture.parse("dropout0-dropout0.00001-dropout.125-dropout0.999999999",
                                           inputShape: Shape([4]), outputSize: 2)
        #expect(rates.summary == "4-dropout0-dropout0.00001-dropout0.125-dropout0.999999999-2")
        #expect(rates.layers.map(\.rate) == [0, 0.00001, 0.125, 0.999_999_999, nil])
    }

    @Test("batch norm and dropout errors")
    func batchNormAndDropoutErrors() {
        func message(_ spec: String, shape: Shape = Shape([1, 28, 28])) -> String {
            do {
                _ = try Architecture.parse(spec, inputShape: shape, outputSize: 10)
                return "no error"
            } catch {
                return error.description
            }
        }
        #expect(message("dense8-dropout1.5") == "architecture 'dense8-dropout1.5': token 2 'dropout1.5' (column 8): dropout rate must be in [0, 1), got 1.5")
        #expect(message("dense8-dropout1") == "architecture 'dense8-dropout1': token 2 'dropout1' (column 8): dropout rate must be in [0, 1), got 1")
        #expect(message("dense8-dropout").hasPrefix("architecture 'dense8-dropout': token 2 'dropout' (column 8) is not a layer"))
        #expect(message("dense8-dropout0.5.1").hasPrefix("architecture 'dense8-dropout0.5.1': token 2 'dropout0.5.1' (column 8) is not a layer"))
        #expect(message("dense8-dropoutx").hasPrefix("architecture 'dense8-dropoutx': token 2 'dropoutx' (column 8) is not a layer"))
        #expect(message("lstm8-bn") == "architecture 28x28-lstm8-batchnorm-last-10: batchnorm1 (batchnorm) needs a vector or a C×H×W input, got 28×8")
        let negative = Architecture(inputShape: .features(4), layers: [.dropout(-0.1), .dense(2)])
        #expect(throws: ArchitectureError.self) { try negative.validate() }
    }

    @Test("every activation is a token", arguments: Activation.allCases)
    func activations(activation: Activation) throws {
        let architecture = try Architecture.parse("dense8-\(activation.rawValue)", inputShape: Shape([4]), outputSize: 2)
        #expect(architecture.layers == [.dense(8, activation), .dense(2)])
    }
}
