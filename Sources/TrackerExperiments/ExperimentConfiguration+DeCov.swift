// The text form of a DeCov setting, `WEIGHT[@LAYER,LAYER...]`, as `tracker run --decov` takes it.
import Foundation

extension ExperimentConfiguration {
    /// Parses `WEIGHT[@LAYER,LAYER...]` into a DeCov weight λ and the layers it penalises (empty = every probed
    /// layer): `0.1`, `0.1@dense1,dense2`. λ is a finite number ≥ 0 (0 turns DeCov off). Layer names are checked
    /// against the architecture later, when the run is built.
    ///
    /// - Throws: ``ConfigurationError`` (setting `decov`) naming what is wrong.
    public static func parseDeCov(_ text: String) throws(ConfigurationError) -> (weight: Double, layers: [String]) {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let weightText = parts[0].trimmingCharacters(in: .whitespaces)
        guard let weight = Double(weightText), weight.isFinite, weight >= 0 else {
            throw ConfigurationError("DeCov setting '\(text)' must be WEIGHT[@LAYER,...] with WEIGHT a number ≥ 0, "
                                     + "got '\(weightText)'", setting: "decov")
        }
        guard parts.count == 2 else { return (weight, []) }
        let layers = parts[1].split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if layers.contains(where: \.isEmpty) {
            throw ConfigurationError("DeCov setting '\(text)' has an empty layer name after '@'", setting: "decov")
        }
        if let repeated = layers.indices.first(where: { layers[..<$0].contains(layers[$0]) }) {
            throw ConfigurationError("DeCov setting '\(text)' names \(layers[repeated]) twice", setting: "decov")
        }
        return (weight, layers)
    }
}
