// How the report and the figures write values: parameters, mean ± sd, phase classes, peak steps, run id ranges.
import Foundation
import TrackerAnalysis
import TrackerExperiments
import TrackerStore

/// Text of stored values, as `tracker compare` writes them in its table.
public enum ReportText {
    /// A stored value for people: integers as is, reals with at most 6 significant digits, text on one line, NULL
    /// empty.
    public static func value(_ value: SQLValue) -> String {
        switch value {
        case .null: return ""
        case .integer(let integer): return String(integer)
        case .real(let real): return significant(real, 6)
        case .text(let text): return text.replacingOccurrences(of: "\n", with: " ")
        case .blob(let bytes): return "<\(bytes.count) bytes>"
        }
    }

    /// A parameter over a group: its value, or the distinct values joined by `/`.
    public static func parameter(_ value: ParameterValue?) -> String {
        switch value {
        case .value(let value): return Self.value(value)
        case .mixed(let values): return values.map(Self.value).joined(separator: "/")
        case nil: return ""
        }
    }

    /// `%.Ng`: `value` with `digits` significant digits.
    public static func significant(_ value: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)g", value)
    }

    /// `0.2314 ± 0.012` (4 significant digits, the spread 2), `0.2314` for one value, empty for none.
    public static func summary(_ summary: SampleSummary?) -> String {
        guard let summary, let mean = summary.mean else { return "" }
        guard let spread = summary.standardDeviation else { return significant(mean, 4) }
        return significant(mean, 4) + " ± " + significant(spread, 2)
    }

    /// `rise_then_decay` for one run; `rise_then_decay 4/5` for a group (the most common class, its count, n).
    public static func phaseClass(_ layer: LayerComparison?) -> String {
        guard let layer, let common = layer.phases.mostCommonClass else { return "" }
        let total = layer.phases.seedCount
        return total == 1 ? common.phaseClass.rawValue : "\(common.phaseClass.rawValue) \(common.count)/\(total)"
    }

    /// `412` (the median peak step, rounded), with the bootstrap 95 % CI when there is one: `412 [380, 460]`.
    public static func peakStep(_ summary: SeedSummary?) -> String {
        guard let summary, let median = summary.medianPeakStep else { return "" }
        func step(_ value: Double) -> String { String(Int(value.rounded())) }
        guard let lower = summary.peakStepLower, let upper = summary.peakStepUpper else { return step(median) }
        return "\(step(median)) [\(step(lower)), \(step(upper))]"
    }

    /// Run ids as ranges: `1-3,7,9-10`.
    public static func idRanges(_ ids: [Int64]) -> String {
        var parts: [String] = []
        var index = 0
        let sorted = ids.sorted()
        while index < sorted.count {
            var end = index
            while end + 1 < sorted.count && sorted[end + 1] == sorted[end] + 1 { end += 1 }
            parts.append(end == index ? "\(sorted[index])" : end == index + 1 ? "\(sorted[index]),\(sorted[end])"
                         : "\(sorted[index])-\(sorted[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }

    /// The status of a group's runs: `finished`, or `4 finished, 1 running` when they differ.
    public static func status(_ group: ComparisonGroup) -> String {
        if group.statusCounts.count == 1, let only = group.statusCounts.keys.first {
            return group.runs.count == 1 || only == "finished" ? only : "\(group.runs.count) \(only)"
        }
        let order = ["finished", "running", "interrupted", "failed", "crashed"]
        return group.statusCounts.sorted { (order.firstIndex(of: $0.key) ?? 5, $0.key) < (order.firstIndex(of: $1.key) ?? 5, $1.key) }
            .map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    }

    /// What names a group in a legend: the parameters that set it apart (`lr=0.05, arch=24-12`; one the group does
    /// not have, such as Adam's betas for an SGD run, is left out), with `run 3` for a run alone and `(n=5)` for a
    /// group of several runs; `all runs` when nothing sets it apart.
    public static func legendLabel(_ group: ComparisonGroup, parameterNames: [String], showSeed: Bool) -> String {
        var parts = parameterNames.compactMap { name -> String? in
            let value = parameter(group.parameters[name])
            return value.isEmpty ? nil : "\(name)=\(value)"
        }
        if group.runs.count == 1, let run = group.runs.first {
            if showSeed { parts.append("seed \(run.seed)") }
            return "run \(run.id)" + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", "))
        }
        let body = parts.isEmpty ? "all runs" : parts.joined(separator: ", ")
        return body + " (n=\(group.runs.count))"
    }
}
