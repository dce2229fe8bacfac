// `tracker compare` output: one row per (run or group, layer), as an aligned table, Markdown or CSV; nested JSON.
import Foundation
import TrackerAnalysis
import TrackerExperiments
import TrackerReport
import TrackerStore

/// One output row: a group of runs and one of its layers (nil for a group without snapshots).
struct ComparisonRow {
    let groupIndex: Int
    let group: ComparisonGroup
    let layer: LayerComparison?
}

/// A column of the comparison: how it reads for people, its CSV fields in full precision, what it sorts by.
struct ComparisonColumn {
    let name: String
    /// Describes the group, not the layer: blank on the rows after a group's first in table and Markdown output.
    let describesGroup: Bool
    let rightAligned: Bool
    let text: (ComparisonRow) -> String
    /// CSV fields: the column's value first, then its spread or interval.
    let fields: [(name: String, value: (ComparisonRow) -> SQLValue)]
    let sortValue: (ComparisonRow) -> SQLValue
}

enum ComparisonWriter {
    /// The rows: each group's layers in order, groups in the comparison's order.
    static func rows(_ comparison: Comparison) -> [ComparisonRow] {
        comparison.groups.enumerated().flatMap { index, group in
            group.layers.isEmpty ? [ComparisonRow(groupIndex: index, group: group, layer: nil)]
                : group.layers.map { ComparisonRow(groupIndex: index, group: group, layer: $0) }
        }
    }

    /// Every column the comparison has, in their default order: the parameters, then the group's runs, seed (runs
    /// alone) or size (groups) and test accuracy, then the layer, its phase class, peak step, peak, decay, final value and the values at the
    /// requested steps, then the status, then (with `trajectories`) a sparkline.
    static func columns(_ comparison: Comparison, trajectories: Bool) -> [ComparisonColumn] {
        var columns: [ComparisonColumn] = comparison.parameterNames.map { name in
            ComparisonColumn(name: name, describesGroup: true,
                             rightAligned: comparison.groups.allSatisfy { isNumeric($0.parameters[name]) },
                             text: { parameterText($0.group.parameters[name]) },
                             fields: [(name, { parameterField($0.group.parameters[name]) })],
                             sortValue: { RunComparison.sortValue($0.group.parameters[name]) })
        }
        columns.append(ComparisonColumn(
            name: "runs", describesGroup: true, rightAligned: false,
            text: { shortened(idRanges($0.group.runIDs), to: 24) },
            fields: [("runs", { .text(idRanges($0.group.runIDs)) })],
            sortValue: { .integer($0.group.runIDs.first ?? 0) }))
        if comparison.grouping == .none {
            func seed(_ row: ComparisonRow) -> SQLValue { row.group.runs.first.map { .integer($0.seed) } ?? .null }
            columns.append(ComparisonColumn(name: "seed", describesGroup: true, rightAligned: true,
                                            text: { TableWriter.humanText(seed($0)) }, fields: [("seed", seed)],
                                            sortValue: seed))
        }
        if comparison.grouping != .none {
            columns.append(ComparisonColumn(
                name: "n", describesGroup: true, rightAligned: true, text: { "\($0.group.runs.count)" },
                fields: [("n", { .integer(Int64($0.group.runs.count)) })],
                sortValue: { .integer(Int64($0.group.runs.count)) }))
        }
        columns.append(summaryColumn("test_accuracy", describesGroup: true) { $0.group.testAccuracy })

        func layerText(_ row: ComparisonRow) -> SQLValue { row.layer.map { .text($0.layerName) } ?? .null }
        columns.append(ComparisonColumn(name: "layer", describesGroup: false, rightAligned: false,
                                        text: { TableWriter.humanText(layerText($0)) }, fields: [("layer", layerText)],
                                        sortValue: { row in row.layer.map { .integer(Int64($0.layerIndex)) } ?? .null }))
        if comparison.groups.contains(where: { $0.layers.contains { $0.reduction != "none" } }) {
            func reduction(_ row: ComparisonRow) -> SQLValue { row.layer.map { .text($0.reduction) } ?? .null }
            columns.append(ComparisonColumn(name: "reduction", describesGroup: false, rightAligned: false,
                                            text: { TableWriter.humanText(reduction($0)) },
                                            fields: [("reduction", reduction)], sortValue: reduction))
        }
        columns.append(ComparisonColumn(
            name: "class", describesGroup: false, rightAligned: false, text: { classText($0.layer) },
            fields: [("class", { row in mostCommon(row.layer).map { .text($0.phaseClass.rawValue) } ?? .null }),
                     ("class_fraction", { row in
                         guard let layer = row.layer, let common = mostCommon(layer) else { return .null }
                         return .real(Double(common.count) / Double(layer.phases.seedCount))
                     }),
                     ("class_counts", { row in row.layer.map { .text(classCounts($0.phases)) } ?? .null })],
            sortValue: { row in mostCommon(row.layer).map { .text($0.phaseClass.rawValue) } ?? .null }))
        columns.append(ComparisonColumn(
            name: "peak_step", describesGroup: false, rightAligned: true, text: { peakStepText($0.layer?.phases) },
            fields: [("peak_step", { real($0.layer?.phases.medianPeakStep) }),
                     ("peak_step_low", { real($0.layer?.phases.peakStepLower) }),
                     ("peak_step_high", { real($0.layer?.phases.peakStepUpper) })],
            sortValue: { real($0.layer?.phases.medianPeakStep) }))
        columns.append(summaryColumn("peak", describesGroup: false) { $0.layer?.peakValue })
        columns.append(summaryColumn("decay_fraction", describesGroup: false) { $0.layer?.decayFraction })
        columns.append(summaryColumn("final", describesGroup: false) { $0.layer?.finalValue })
        for (index, step) in comparison.atSteps.enumerated() {
            columns.append(summaryColumn("at_\(step)", describesGroup: false) { row in
                row.layer.map { index < $0.atSteps.count ? $0.atSteps[index] : SampleSummary([Double]()) }
            })
        }
        columns.append(ComparisonColumn(name: "status", describesGroup: true, rightAligned: false,
                                        text: { statusText($0.group) }, fields: [("status", { .text(statusText($0.group)) })],
                                        sortValue: { .text(statusText($0.group)) }))
        if trajectories {
            columns.append(ComparisonColumn(
                name: "trajectory", describesGroup: false, rightAligned: false,
                text: { row in row.layer?.trajectory.map { Sparkline.render($0.values, width: 24) } ?? "" },
                fields: [], sortValue: { _ in .null }))
        }
        return columns
    }

    /// Rows sorted by `column`'s value (NULLs last either way); stable, so ties keep the comparison's order.
    static func sorted(_ rows: [ComparisonRow], by column: ComparisonColumn, descending: Bool) -> [ComparisonRow] {
        let keyed = rows.enumerated().map { (index: $0.offset, key: column.sortValue($0.element), row: $0.element) }
        return keyed.sorted { left, right in
            switch (left.key == .null, right.key == .null) {
            case (true, false): return false
            case (false, true): return true
            case (true, true): return left.index < right.index
            case (false, false):
                if left.key == right.key { return left.index < right.index }
                return descending ? SQLValue.sortsBefore(right.key, left.key) : SQLValue.sortsBefore(left.key, right.key)
            }
        }.map(\.row)
    }

    /// The rows in `format` (table, csv or markdown), ending with a newline.
    static func render(_ rows: [ComparisonRow], columns: [ComparisonColumn], as format: OutputFormat) -> String {
        if format == .csv {
            let fields = columns.flatMap(\.fields)
            let table = ResultTable(columns: fields.map(\.name), rows: rows.map { row in fields.map { $0.value(row) } })
            return TableWriter.csv(table)
        }
        // A group's own cells are written once, on its first row, so the layers of a group read as one block.
        let cells = rows.enumerated().map { index, row in
            columns.map { column in
                column.describesGroup && index > 0 && rows[index - 1].groupIndex == row.groupIndex
                    ? "" : column.text(row)
            }
        }
        let header = columns.map(\.name)
        let rightAligned = columns.map(\.rightAligned)
        return format == .markdown ? TableWriter.markdown(header: header, cells: cells, rightAligned: rightAligned)
            : TableWriter.aligned(header: header, cells: cells, rightAligned: rightAligned)
    }

    // MARK: JSON

    /// One JSON object: what was compared and how, then the groups (in the order of their first row in `rows`),
    /// each with its parameters, runs, test accuracy and layers (in row order).
    static func json(_ comparison: Comparison, rows: [ComparisonRow]) -> String {
        var order: [Int] = []
        var layersByGroup: [Int: [LayerComparison]] = [:]
        for row in rows {
            if layersByGroup[row.groupIndex] == nil { order.append(row.groupIndex) }
            layersByGroup[row.groupIndex, default: []] += row.layer.map { [$0] } ?? []
        }
        let groups = order.map { index in
            groupJSON(comparison.groups[index], layers: layersByGroup[index] ?? [], comparison: comparison)
        }
        let grouping: String
        switch comparison.grouping {
        case .none: grouping = JSONText.string("none")
        case .seeds: grouping = JSONText.string("seeds")
        case .keys(let names): grouping = "[" + names.map(JSONText.string).joined(separator: ",") + "]"
        }
        let parameters = comparison.detectorParameters
        return JSONText.object([
            ("statistic", JSONText.string(comparison.statistic)),
            ("detector", JSONText.object([
                ("version", JSONText.string(comparison.detectorVersion)),
                ("prominence", number(parameters.noiseMultiplier)),
                ("min_amplitude", number(parameters.minimumAmplitude)),
            ])),
            ("group_by", grouping),
            ("at_steps", "[" + comparison.atSteps.map(String.init).joined(separator: ",") + "]"),
            ("parameters", "[" + comparison.parameterNames.map(JSONText.string).joined(separator: ",") + "]"),
            ("pooled_parameters", "[" + comparison.pooledParameterNames.map(JSONText.string).joined(separator: ",") + "]"),
            ("groups", "[\n  " + groups.joined(separator: ",\n  ") + "\n]"),
        ]) + "\n"
    }

    private static func groupJSON(_ group: ComparisonGroup, layers: [LayerComparison],
                                  comparison: Comparison) -> String {
        let parameters = comparison.parameterNames.map { name -> (String, String) in
            switch group.parameters[name] {
            case .value(let value): return (name, JSONText.value(value))
            case .mixed(let values): return (name, "[" + values.map(JSONText.value).joined(separator: ",") + "]")
            case nil: return (name, "null")
            }
        }
        let runs = group.runs.map { run in
            JSONText.object([("id", "\(run.id)"), ("uuid", JSONText.string(run.uuid)),
                             ("name", run.name.map(JSONText.string) ?? "null"), ("seed", "\(run.seed)"),
                             ("status", JSONText.string(run.status)), ("test_accuracy", number(run.testAccuracy))])
        }
        let statuses = group.statusCounts.sorted { statusRank($0.key) < statusRank($1.key) }
            .map { ($0.key, "\($0.value)") }
        let layerObjects = layers.map { layer -> String in
            let common = mostCommon(layer)
            let counts = PhaseClass.allCases.compactMap { phaseClass -> (String, String)? in
                let count = layer.phases.classCounts[phaseClass] ?? 0
                return count > 0 ? (phaseClass.rawValue, "\(count)") : nil
            }
            let atSteps = zip(comparison.atSteps, layer.atSteps).map { step, summary in
                JSONText.object([("step", "\(step)")] + summaryMembers(summary))
            }
            return JSONText.object([
                ("layer", JSONText.string(layer.layerName)), ("layer_index", "\(layer.layerIndex)"),
                ("reduction", JSONText.string(layer.reduction)), ("n", "\(layer.records.count)"),
                ("class", JSONText.object([
                    ("most_common", common.map { JSONText.string($0.phaseClass.rawValue) } ?? "null"),
                    ("count", "\(common?.count ?? 0)"),
                    ("fraction", number(common.map { Double($0.count) / Double(layer.phases.seedCount) })),
                    ("counts", JSONText.object(counts)),
                ])),
                ("peak_step", JSONText.object([
                    ("median", number(layer.phases.medianPeakStep)), ("ci_low", number(layer.phases.peakStepLower)),
                    ("ci_high", number(layer.phases.peakStepUpper)), ("n", "\(layer.phases.peakCount)"),
                ])),
                ("peak", JSONText.object(summaryMembers(layer.peakValue))),
                ("decay_fraction", JSONText.object(summaryMembers(layer.decayFraction))),
                ("final", JSONText.object(summaryMembers(layer.finalValue))),
                ("at_steps", "[" + atSteps.joined(separator: ",") + "]"),
            ])
        }
        return JSONText.object([
            ("parameters", JSONText.object(parameters)),
            ("n", "\(group.runs.count)"),
            ("runs", "[" + runs.joined(separator: ",") + "]"),
            ("status", JSONText.object(statuses)),
            ("test_accuracy", JSONText.object(summaryMembers(group.testAccuracy))),
            ("layers", "[" + layerObjects.joined(separator: ",") + "]"),
        ])
    }

    private static func summaryMembers(_ summary: SampleSummary) -> [(String, String)] {
        [("mean", number(summary.mean)), ("sd", number(summary.standardDeviation)), ("n", "\(summary.count)")]
    }

    private static func number(_ value: Double?) -> String {
        value.map { $0.isFinite ? "\($0)" : "null" } ?? "null"
    }

    // MARK: Cells

    /// A column of "mean ± sd" cells (one value alone when there is no spread), with `NAME` and `NAME_sd` fields.
    private static func summaryColumn(_ name: String, describesGroup: Bool,
                                      _ summary: @escaping (ComparisonRow) -> SampleSummary?) -> ComparisonColumn {
        ComparisonColumn(name: name, describesGroup: describesGroup, rightAligned: true,
                         text: { summaryText(summary($0)) },
                         fields: [(name, { real(summary($0)?.mean) }), ("\(name)_sd", { real(summary($0)?.standardDeviation) })],
                         sortValue: { real(summary($0)?.mean) })
    }

    private static func real(_ value: Double?) -> SQLValue {
        value.flatMap { $0.isFinite ? SQLValue.real($0) : nil } ?? .null
    }

    /// `rise_then_decay=4 flat=1`: the classes that occur, in the detector's order.
    static func classCounts(_ summary: SeedSummary) -> String {
        PhaseClass.allCases.compactMap { phaseClass in
            let count = summary.classCounts[phaseClass] ?? 0
            return count > 0 ? "\(phaseClass.rawValue)=\(count)" : nil
        }.joined(separator: " ")
    }

    static func parameterText(_ value: ParameterValue?) -> String {
        switch value {
        case .value(let value): return TableWriter.humanText(value)
        case .mixed(let values): return values.map(TableWriter.humanText).joined(separator: "/")
        case nil: return ""
        }
    }

    private static func parameterField(_ value: ParameterValue?) -> SQLValue {
        switch value {
        case .value(let value): return value
        case .mixed(let values): return .text(values.map(TableWriter.humanText).joined(separator: "/"))
        case nil: return .null
        }
    }

    private static func isNumeric(_ value: ParameterValue?) -> Bool {
        switch value {
        case .value(.integer), .value(.real), .value(.null), nil: return true
        default: return false
        }
    }

    /// `list` (comma-separated) cut after the items that fit in `width` characters, with `,…` for the rest:
    /// `1,11,21,31,41,51,…`. The full list stays in CSV and JSON.
    static func shortened(_ list: String, to width: Int) -> String {
        guard list.count > width else { return list }
        var kept = ""
        for item in list.split(separator: ",") {
            let next = kept.isEmpty ? String(item) : kept + "," + item
            if next.count + 2 > width { break }
            kept = next
        }
        return kept + ",…"
    }

    private static func mostCommon(_ layer: LayerComparison?) -> (phaseClass: PhaseClass, count: Int)? {
        layer?.phases.mostCommonClass
    }

    private static func statusRank(_ status: String) -> Int {
        ["finished", "running", "interrupted", "failed", "crashed"].firstIndex(of: status) ?? 5
    }

    // The cells the report writes too (TrackerReport's ReportText holds them, so both say the same).
    static func summaryText(_ summary: SampleSummary?) -> String { ReportText.summary(summary) }
    static func classText(_ layer: LayerComparison?) -> String { ReportText.phaseClass(layer) }
    static func peakStepText(_ summary: SeedSummary?) -> String { ReportText.peakStep(summary) }
    static func statusText(_ group: ComparisonGroup) -> String { ReportText.status(group) }
    static func idRanges(_ ids: [Int64]) -> String { ReportText.idRanges(ids) }
}
