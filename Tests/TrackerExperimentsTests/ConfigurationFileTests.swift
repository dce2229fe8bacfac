// The settings table and configuration files: round trips, layering, and errors that name the key and the line.
import Testing
import TrackerEngine
@testable import TrackerExperiments

@Suite struct ConfigurationFileTests {
    /// Reads `yaml` as the file "run.yaml" into a configuration.
    func configuration(_ yaml: String) throws -> ExperimentConfiguration {
        try ExperimentConfiguration(ConfigurationFile.settings(fromYAML: yaml, source: "run.yaml"))
    }

    /// The one-line error that reading `yaml` throws.
    func error(_ yaml: String) -> String? {
        do {
            _ = try configuration(yaml)
            return nil
        } catch let error as SettingError {
            return error.description
        } catch {
            return "not a SettingError: \(error)"
        }
    }

    @Test func everyKeyIsAFlagNameOnceAndEverySettingIsInTheTable() {
        let keys = ExperimentConfiguration.settings.map(\.key)
        #expect(Set(keys).count == keys.count)
        #expect(keys.allSatisfy { $0.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" } })
        let errorNames = ExperimentConfiguration.settings.flatMap(\.errorNames)
        #expect(Set(errorNames).count == errorNames.count)
        #expect(ExperimentConfiguration.settings.filter { !$0.isStored }.map(\.key) == ["name", "tag"])
    }

    @Test func theDefaultConfigurationIsWrittenAsOneLinePerSetting() {
        var defaults = ExperimentConfiguration()
        defaults.blasThreads = 1  // the default is the machine's core count
        #expect(ConfigurationFile.yaml(for: defaults) == """
            data: digits
            data-format: null
            labels: null
            label-column: last
            header: auto
            shape: null
            arch: 128,64
            probe: null
            activation: relu
            initialization: he
            recurrent-init: orthogonal
            init-scale: 1.0
            optimizer: sgd
            lr: 0.05
            momentum: 0.9
            nesterov: false
            beta1: 0.9
            beta2: 0.999
            weight-decay: 0.0
            lr-schedule: constant
            lr-step-every: 1000
            lr-step-factor: 0.1
            lr-min-factor: 0.0
            warmup: 0
            clip-norm: null
            decov: 0.0
            batch: 32
            epochs: 20
            seed: 0
            threads: 1
            snapshot-every: 50
            test-samples: null
            probe-samples: 256
            shuffle-labels: false
            statistics: default
            store-matrices: 0

            """)
    }

    @Test func writtenConfigurationsReadBackIdentically() throws {
        var changed = ExperimentConfiguration()
        changed.dataset = "mnist-5k"
        changed.architecture = "128"  // reads as a number in YAML unless quoted
        changed.probes = ["dense1", "conv 2"]
        changed.activation = .tanh
        changed.initialization = .glorot
        changed.recurrentInitialization = .scheme
        changed.initializationScale = 0.3
        changed.optimizer = .adamw
        changed.learningRate = 1e-5
        changed.momentum = 0.1 + 0.2  // no short decimal: the shortest round-trip text is still exact
        changed.nesterov = true
        changed.beta1 = 0.8
        changed.beta2 = 0.95
        changed.weightDecay = 0.01
        changed.schedule = .step(every: 300, factor: 0.5)
        changed.warmupSteps = 10
        changed.gradientClipNorm = 1.5
        changed.decov = 0.25
        changed.decovLayers = ["dense1", "dense2"]
        changed.batchSize = 64
        changed.epochs = 3
        changed.seed = .max
        changed.blasThreads = 2
        changed.snapshotEvery = 7
        changed.testSamples = 500
        changed.probeSamples = 100
        changed.shuffleLabels = true
        let yaml = ConfigurationFile.yaml(for: changed)
        #expect(yaml.contains("arch: \"128\"\n"))
        #expect(yaml.contains("probe: [dense1, \"conv 2\"]\n"))
        #expect(yaml.contains("lr: 1e-05\n"))
        #expect(try configuration(yaml) == changed)

        changed.schedule = .cosine(minimumFactor: 0.25)
        #expect(try configuration(ConfigurationFile.yaml(for: changed)) == changed)
        #expect(try configuration(ConfigurationFile.yaml(for: ExperimentConfiguration())) == ExperimentConfiguration())
    }

    @Test func filesMayUseBlockListsSingleNamesNullAndComments() throws {
        let read = try configuration("""
            # a sweep point
            arch: dense32-relu-dense16-relu   # two hidden layers
            probe:
              - dense1
              - dense2
            tag: sweep
            name: "first: try"
            clip-norm: ~
            lr-schedule: step
            lr-step-every: 200
            shuffle-labels: true
            """)
        #expect(read.architecture == "dense32-relu-dense16-relu")
        #expect(read.probes == ["dense1", "dense2"])
        #expect(read.tags == ["sweep"])
        #expect(read.name == "first: try")
        #expect(read.gradientClipNorm == nil)
        #expect(read.schedule == .step(every: 200, factor: 0.1))
        #expect(read.shuffleLabels)
        #expect(try configuration("probe: dense1,dense2").probes == ["dense1", "dense2"])
        #expect(try configuration("") == ExperimentConfiguration())
        #expect(try configuration("# nothing but a comment\n") == ExperimentConfiguration())
    }

    @Test func scheduleParametersApplyToTheirOwnScheduleWhateverTheOrder() throws {
        let stepFirst = try configuration("lr-step-factor: 0.5\nlr-schedule: step\nlr-min-factor: 0.2")
        #expect(stepFirst.schedule == .step(every: 1000, factor: 0.5))
        #expect(try configuration("lr-schedule: cosine\nlr-min-factor: 0.2").schedule == .cosine(minimumFactor: 0.2))
        #expect(try configuration("lr-step-every: 10").schedule == .constant)
    }

    @Test func laterValuesOverrideEarlierOnes() throws {
        let file = try ConfigurationFile.settings(fromYAML: "lr: 0.02\nepochs: 3\nlr-schedule: step", source: "run.yaml")
        let flags = [GivenSetting(key: "epochs", value: .scalar("5"), origin: .commandLine),
                     GivenSetting(key: "lr-step-every", value: .scalar("40"), origin: .commandLine)]
        let layered = try ExperimentConfiguration(file + flags)
        #expect(layered.learningRate == 0.02)
        #expect(layered.epochs == 5)
        #expect(layered.schedule == .step(every: 40, factor: 0.1))
    }

    @Test func unknownKeysNameTheKeyAndTheLineWithAHint() {
        #expect(error("lr: 0.1\n\nlrr: 0.2\n") == "run.yaml:3: unknown key 'lrr' (did you mean 'lr'?)")
        #expect(error("learning_rate: 0.1") == "run.yaml:1: unknown key 'learning_rate' (did you mean 'lr'?)")
        #expect(error("weight_decay: 0.1") == "run.yaml:1: unknown key 'weight_decay' (did you mean 'weight-decay'?)")
        #expect(error("epochs: 2\nfrobnicate: yes") == "run.yaml:2: unknown key 'frobnicate' "
                + "(keys are the flags of tracker run without their dashes, e.g. lr, batch, epochs)")
    }

    @Test func valuesOfTheWrongTypeNameTheKeyAndTheLine() {
        #expect(error("arch: 24,12\nlr: fast") == "run.yaml:2: lr: expected a number, got 'fast'")
        #expect(error("epochs: 2.5") == "run.yaml:1: epochs: expected an integer, got '2.5'")
        #expect(error("seed: -1") == "run.yaml:1: seed: expected an integer from 0 to 2^64 - 1, got '-1'")
        #expect(error("nesterov: yes") == "run.yaml:1: nesterov: expected true or false, got 'yes'")
        #expect(error("activation: swish") == "run.yaml:1: activation: expected one of relu, leakyrelu, tanh, sigmoid, gelu, got 'swish'")
        #expect(error("lr-schedule: linear") == "run.yaml:1: lr-schedule: expected one of constant, step, cosine, got 'linear'")
        #expect(error("epochs: null") == "run.yaml:1: epochs: expected an integer, got null")
        #expect(error("epochs: [1, 2]") == "run.yaml:1: epochs: expected an integer, got a list of 2")
        #expect(error("lr:\n  base: 0.1") == "run.yaml:1: lr: expected a number, found a mapping")
        #expect(error("probe: [dense1, [dense2]]") == "run.yaml:1: probe: expected null or a list of layer names, found a list holding a list")
        #expect(error("tag: [a, '']") == "run.yaml:1: tag: expected a name or a list of names, got a list of 2")
        #expect(error("epochs: 2\nepochs: 3")?.hasPrefix("run.yaml:1: epochs: given more than once") == true)
    }

    @Test func malformedYAMLNamesItsLine() {
        #expect(error("lr: 0.1\narch: [24, 12\nepochs: 2\n") == "run.yaml:3: not valid YAML: did not find expected ',' "
                + "or ']' (column 7, while parsing a flow sequence from line 2)")
        #expect(error("lr: 0.1\n  epochs: 2\n")
                == "run.yaml:2: not valid YAML: mapping values are not allowed in this context (column 9)")
        #expect(error("- lr\n- epochs\n")
                == "run.yaml:1: expected settings as 'key: value' lines, found a list (e.g. 'lr: 0.05')")
        #expect(error("just text") == "run.yaml:1: expected settings as 'key: value' lines, found the text 'just text' "
                + "(e.g. 'lr: 0.05')")
    }
}
