// Phase detection over stored runs: read snapshot series, detect, store the results, and reuse them when current.
import Foundation
import TrackerAnalysis
import TrackerStore

/// Detected phases of stored runs, computed on demand and kept in `phase_results`.
///
/// A stored result is reused only when it was computed by this detector version with the same parameters, for a
/// run that had already ended with the status it still has; otherwise the run's series are read again, detected
/// and the rows replaced (never mixed). A run still `running` is analysed on what it has each time, and its rows
/// say so (`runStatus`).
public enum PhaseAnalysis {
    /// The results of `statistic` for every probed layer (or `layer`) of `runIDs`, in run, layer, reduction order.
    ///
    /// - Parameter recompute: detect again even where stored results are current.
    /// - Throws: store errors, e.g. an unknown statistic.
    public static func results(for runIDs: [Int64], in database: TrackerDatabase, statistic: String = "mean_abs_r",
                               parameters: PhaseDetectorParameters = PhaseDetectorParameters(), layer: String? = nil,
                               recompute: Bool = false) throws -> [PhaseRecord] {
        let statuses = try database.runStatuses(runIDs)
        let parametersJSON = json(parameters)
        var cached = try database.phaseRecords(runIDs: runIDs, statistic: statistic)
        func isCurrent(_ record: PhaseRecord) -> Bool {
            record.detectorVersion == PhaseDetector.version && record.parameters == parametersJSON
                && record.runStatus != "running" && record.runStatus == statuses[record.runID]
        }
        // A run is fresh only if every stored row of it is current.
        let stale = Set(cached.filter { !isCurrent($0) }.map(\.runID))
        let fresh = recompute ? [] : Set(cached.map(\.runID)).subtracting(stale)
        let toCompute = runIDs.filter { statuses[$0] != nil && !fresh.contains($0) }
        cached.removeAll { !fresh.contains($0.runID) }
        var computed: [PhaseRecord] = []
        if !toCompute.isEmpty {
            var computedAt: String?  // one analysis, one time: taken by the first record, shared by the others
            for series in try database.snapshotSeries(runIDs: toCompute, statistic: statistic) {
                let detected = record(for: series, statistic: statistic, parameters: parameters,
                                      parametersJSON: parametersJSON, computedAt: computedAt)
                computedAt = detected.computedAt
                computed.append(detected)
            }
            try database.savePhaseRecords(computed)
        }
        return (cached + computed)
            .filter { layer == nil || $0.layerName == layer }
            .sorted { ($0.runID, $0.layerIndex, $0.reduction) < ($1.runID, $1.layerIndex, $1.reduction) }
    }

    /// Detects the phases of one series and describes them as a `phase_results` row.
    ///
    /// - Parameter computedAt: the `computed_at` time to record (nil: now).
    public static func record(for series: SnapshotSeries, statistic: String, parameters: PhaseDetectorParameters,
                              parametersJSON: String? = nil, computedAt: String? = nil) -> PhaseRecord {
        let floor = SnapshotStatistic.named(statistic)?.noiseFloor(samples: series.probeSamples)
        let result = PhaseDetector.detect(steps: series.steps, values: series.values, parameters: parameters,
                                          noiseFloor: floor)
        return PhaseRecord(
            runID: series.runID, layerIndex: series.layerIndex, reduction: series.reduction, statistic: statistic,
            detectorVersion: result.detectorVersion, parameters: parametersJSON ?? json(parameters),
            phaseClass: result.phaseClass.rawValue, pointCount: result.pointCount, lastStep: series.steps.last,
            runStatus: series.runStatus, startValue: result.startValue, peakStep: result.peakStep,
            peakValue: result.peakValue, riseAmplitude: result.riseAmplitude, riseDuration: result.riseDuration,
            decayFraction: result.decayFraction, halfDecayStep: result.halfDecayStep, finalValue: result.finalValue,
            noiseSigma: result.noiseSigma, noiseFloor: result.noiseFloor, otherPeaks: result.otherPeaks,
            firstNonFiniteStep: result.firstNonFiniteStep, computedAt: computedAt, layerName: series.layerName)
    }

    /// The parameters as stored: canonical JSON (sorted keys), so equal parameters compare equal as text.
    static func json(_ parameters: PhaseDetectorParameters) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(parameters)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
