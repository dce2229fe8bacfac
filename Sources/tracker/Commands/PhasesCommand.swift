// `tracker phases RUN...`: when each probed layer's correlation rises, peaks and decays.
import ArgumentParser
import Foundation
import TrackerAnalysis
import TrackerExperiments
import TrackerStore

/// The phase-detector options `phases` and `compare` share.
struct DetectorOptions: ParsableArguments {
    @Option(name: .customLong("stat"),
            help: "The snapshot statistic analysed: any scalar statistic (tracker statistics lists them).")
    var statistic = "mean_abs_r"

    @Option(help: "A peak, a rise or a decay needs at least this many noise sigmas (k).")
    var prominence = PhaseDetectorParameters().noiseMultiplier

    @Option(help: "...and at least this amplitude in the statistic's units (delta).")
    var minAmplitude = PhaseDetectorParameters().minimumAmplitude

    @Flag(help: "Detect again even where stored results are current.")
    var recompute = false

    var parameters: PhaseDetectorParameters {
        PhaseDetectorParameters(noiseMultiplier: prominence, minimumAmplitude: minAmplitude)
    }

    func validate() throws {
        guard prominence.isFinite, prominence >= 0 else { throw ValidationError("--prominence must be ≥ 0") }
        guard minAmplitude.isFinite, minAmplitude >= 0 else { throw ValidationError("--min-amplitude must be ≥ 0") }
        guard SnapshotStatistic.named(statistic)?.kind == .scalar else {
            throw ValidationError("--stat: no snapshot statistic named '\(statistic)' (known: "
                                  + SnapshotStatistic.scalars.map(\.name).joined(separator: ", ") + ")")
        }
    }
}

struct PhasesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phases",
        abstract: "Detect when each probed layer's correlation rises, peaks and decays.",
        discussion: """
            For each run and probed layer, the snapshot series (mean |r| by default) is smoothed on a log(1 + step) \
            axis (Savitzky-Golay, order 2, a window of about a tenth of the series), its noise estimated from the \
            residuals (sigma = 1.4826 MAD), and classified: rise_then_decay (a peak whose rise and decay each exceed \
            max(k sigma, delta) and that lies above the noise floor of independent units), rise, decay, flat, \
            insufficient (fewer than 8 finite snapshots) or non_finite (a diverged run). peak_step is the refined \
            peak; decay_fraction = (peak - final) / (peak - start); half_decay_step is the first snapshot after the \
            peak back half-way to the start. Results are stored in phase_results (see `tracker sql`) and reused \
            until the run, the detector or its parameters change. A run still running is analysed on what it has.

            Examples: tracker phases 3   tracker phases 1 2 3 --layer dense2 --format csv
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var detector: DetectorOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: ArgumentHelp("Runs: integer ids or uuid prefixes; none for every run.", valueName: "run"))
    var references: [String] = []

    @Option(help: "Only this layer (e.g. dense2, conv1, lstm1).")
    var layer: String?

    func run() throws {
        let store = try database.openForAnalysis()
        let runIDs = references.isEmpty ? try store.runIDs(matching: nil) : try references.map(store.resolveRun)
        if runIDs.isEmpty { throw CommandFailure("no runs in \(database.db)") }
        if let layer {
            let known = try store.probedLayerNames(runIDs: runIDs)
            if !known.contains(layer) {
                throw usageFailure("--layer: no probed layer named '\(layer)' in the runs given (known: "
                                   + known.joined(separator: ", ") + ")")
            }
        }
        let records = try PhaseAnalysis.results(for: runIDs, in: store, statistic: detector.statistic,
                                                parameters: detector.parameters, layer: layer,
                                                recompute: detector.recompute)
        if records.isEmpty { throw CommandFailure("the runs given have no snapshots") }
        print(TableWriter.render(Self.table(records), as: output.format), terminator: "")
    }

    /// One row per run, layer and reduction.
    static func table(_ records: [PhaseRecord]) -> ResultTable {
        let multipleReductions = Set(records.map(\.reduction)).count > 1 || records.contains { $0.reduction != "none" }
        var columns = ["run", "layer"]
        if multipleReductions { columns.append("reduction") }
        columns += ["class", "peak_step", "peak", "start", "rise", "decay_fraction", "half_decay_step", "final",
                    "noise_sigma", "status"]
        let rows: [[SQLValue]] = records.map { record in
            func real(_ value: Double?) -> SQLValue { value.map { .real($0) } ?? .null }
            var row: [SQLValue] = [.integer(record.runID), .text(record.layerName)]
            if multipleReductions { row.append(.text(record.reduction)) }
            row += [.text(record.phaseClass), record.peakStep.map { .integer(Int64($0.rounded())) } ?? .null,
                    real(record.peakValue), real(record.startValue), real(record.riseAmplitude),
                    real(record.decayFraction), record.halfDecayStep.map { .integer(Int64($0)) } ?? .null,
                    real(record.finalValue), real(record.noiseSigma), .text(record.runStatus)]
            return row
        }
        return ResultTable(columns: columns, rows: rows)
    }
}
