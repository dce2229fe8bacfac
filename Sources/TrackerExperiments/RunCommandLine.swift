// The `tracker run` command line that re-runs a stored run: its stored configuration written back as flags.
import Foundation

/// A `tracker run` command line rebuilt from a run's stored settings.
public struct RunCommandLine: Sendable, Equatable {
    /// The arguments after `tracker run`, unquoted: `["--data", "mnist-5k", "--lr", "0.05", "--probe", "dense1"]`.
    public let arguments: [String]
    /// Keys whose stored value no flag can give: a setting stored as `null` whose default is not null (none of
    /// today's settings; a setting added later could be). Empty when ``arguments`` re-create the run exactly.
    public let unexpressed: [String]

    /// Settings always written, even at their default value: what the run is, and what its numbers depend on (the
    /// thread count's default is the machine's core count).
    public static let alwaysWritten: Set<String> = ["data", "arch", "seed", "threads"]

    /// The command line of a run's stored configuration (the YAML of `tracker show --config`).
    ///
    /// Settings equal to the defaults of this tracker version are left out, except ``alwaysWritten``. Flags are
    /// written as `tracker run` takes them: `--key value`, `--key`/`--no-key` for true/false switches
    /// (`nesterov`, `shuffle-labels`), `--probe a b` for the probed layers.
    ///
    /// - Parameter source: what the text is, for errors ("run 3's configuration").
    /// - Throws: ``SettingError`` when the stored text does not read (an unknown key, a wrong type).
    public init(storedConfiguration text: String, source: String) throws(SettingError) {
        var configuration = ExperimentConfiguration()
        for given in try ConfigurationFile.settings(fromYAML: text, source: source) {
            guard let setting = ExperimentConfiguration.setting(given.key) else { continue }
            try setting.apply(given.value, to: &configuration, origin: given.origin)
        }
        let defaults = Dictionary(ExperimentConfiguration().storedSettings.map { ($0.key, $0.value) },
                                  uniquingKeysWith: { first, _ in first })
        var arguments: [String] = []
        var unexpressed: [String] = []
        for (key, value) in configuration.storedSettings
        where value != defaults[key] || Self.alwaysWritten.contains(key) {
            switch value {
            case .null:
                unexpressed.append(key)
            case .list(let items):
                arguments += ["--" + key] + items
            case .scalar(let text) where Self.switches.contains(key):
                arguments.append(text == "true" ? "--" + key : "--no-" + key)
            case .scalar(let text):
                arguments += ["--" + key, text]
            }
        }
        self.arguments = arguments
        self.unexpressed = unexpressed
    }

    /// Settings that are on/off flags of `tracker run` (`--nesterov`, `--no-nesterov`).
    static let switches: Set<String> = ["nesterov", "shuffle-labels"]

    /// The whole command for a POSIX shell: `tracker run` and the arguments, each quoted where it needs to be.
    ///
    /// - Parameter database: a `--db FILE` to add first (nil: none).
    public func shellCommand(database: String? = nil) -> String {
        let all = ["tracker", "run"] + (database.map { ["--db", $0] } ?? []) + arguments
        return all.map(Self.shellQuoted).joined(separator: " ")
    }

    /// `text` as one POSIX shell word: plain when made of safe characters, else single-quoted (`'` as `'\''`).
    public static func shellQuoted(_ text: String) -> String {
        let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/:=,@+-%")
        if !text.isEmpty && text.unicodeScalars.allSatisfy(safe.contains) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
