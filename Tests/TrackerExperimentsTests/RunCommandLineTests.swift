// RunCommandLine: stored configurations written back as `tracker run` flags, and shell quoting.
import Testing
@testable import TrackerExperiments

@Suite struct RunCommandLineTests {
    @Test func settingsAwayFromTheDefaultsBecomeFlags() throws {
        var configuration = ExperimentConfiguration()
        configuration.learningRate = 0.07
        configuration.nesterov = true
        configuration.probes = ["dense1", "dense2"]
        configuration.seed = 5
        configuration.blasThreads = 2
        let line = try RunCommandLine(storedConfiguration: ConfigurationFile.yaml(for: configuration),
                                      source: "run 1's configuration")
        let defaults = ExperimentConfiguration()
        #expect(line.arguments == [
            "--data", defaults.dataset, "--arch", defaults.architecture, "--probe", "dense1", "dense2",
            "--lr", "0.07", "--nesterov", "--seed", "5", "--threads", "2",
        ])
        #expect(line.unexpressed.isEmpty)
        // Read back as flags, they give the same stored configuration.
        var again = ExperimentConfiguration()
        var index = 0
        while index < line.arguments.count {
            let key = String(line.arguments[index].dropFirst(2))
            var values: [String] = []
            index += 1
            while index < line.arguments.count && !line.arguments[index].hasPrefix("--") {
                values.append(line.arguments[index])
                index += 1
            }
            let setting = try #require(ExperimentConfiguration.setting(key))
            let value: SettingValue = key == "probe" ? .list(values) : values.isEmpty ? .scalar("true") : .scalar(values[0])
            try setting.apply(value, to: &again, origin: .commandLine)
        }
        #expect(ConfigurationFile.yaml(for: again) == ConfigurationFile.yaml(for: configuration))
    }

    @Test func switchesTurnedOffAndQuoting() throws {
        let line = try RunCommandLine(storedConfiguration: "arch: \"dense8-relu\"\nshuffle-labels: true\nseed: 1\n",
                                      source: "test")
        #expect(line.arguments.contains("--shuffle-labels"))
        #expect(RunCommandLine.shellQuoted("0.05") == "0.05")
        #expect(RunCommandLine.shellQuoted("synthetic:sequence,steps=12") == "synthetic:sequence,steps=12")
        #expect(RunCommandLine.shellQuoted("my data/x y.csv") == "'my data/x y.csv'")
        #expect(RunCommandLine.shellQuoted("it's") == "'it'\\''s'")
        #expect(RunCommandLine.shellQuoted("") == "''")
        #expect(line.shellCommand(database: "runs.sqlite").hasPrefix("tracker run --db runs.sqlite --data "))
    }

    @Test func anUnreadableConfigurationIsAnError() {
        #expect(throws: SettingError.self) {
            _ = try RunCommandLine(storedConfiguration: "lr: fast\n", source: "run 2's configuration")
        }
    }
}
