// Snapshot series for analysis and the phase_results table: batch reads, and replacing results in one transaction.
import Foundation
import GRDB

/// One (run, probed layer, reduction) series of a snapshot statistic, ordered by step.
public struct SnapshotSeries: Sendable, Equatable {
    public let runID: Int64
    public let layerIndex: Int
    public let layerName: String
    public let reduction: String
    /// The run's status when read ('running' means the series may still grow).
    public let runStatus: String
    /// The run's probe samples (for noise floors).
    public let probeSamples: Int
    public let steps: [Int]
    /// NULL (a diverged or undefined statistic) is nil.
    public let values: [Double?]
}

/// A row of `phase_results`: the store's view of a detected phase (the analysis owns the meaning of each field).
public struct PhaseRecord: Sendable, Equatable {
    public var runID: Int64
    public var layerIndex: Int
    public var reduction: String
    public var statistic: String
    public var detectorVersion: String
    /// The detector's parameters, JSON.
    public var parameters: String
    public var phaseClass: String
    public var pointCount: Int
    public var lastStep: Int?
    public var runStatus: String
    public var startValue: Double?
    public var peakStep: Double?
    public var peakValue: Double?
    public var riseAmplitude: Double?
    public var riseDuration: Double?
    public var decayFraction: Double?
    public var halfDecayStep: Int?
    public var finalValue: Double?
    public var noiseSigma: Double?
    public var noiseFloor: Double?
    public var otherPeaks: Int
    public var firstNonFiniteStep: Int?
    public var computedAt: String
    /// The layer's name (read from `layers`; not a column of `phase_results`).
    public var layerName: String

    public init(runID: Int64, layerIndex: Int, reduction: String, statistic: String, detectorVersion: String,
                parameters: String, phaseClass: String, pointCount: Int, lastStep: Int?, runStatus: String,
                startValue: Double?, peakStep: Double?, peakValue: Double?, riseAmplitude: Double?,
                riseDuration: Double?, decayFraction: Double?, halfDecayStep: Int?, finalValue: Double?,
                noiseSigma: Double?, noiseFloor: Double?, otherPeaks: Int, firstNonFiniteStep: Int?,
                computedAt: String? = nil, layerName: String = "") {
        self.runID = runID
        self.layerIndex = layerIndex
        self.reduction = reduction
        self.statistic = statistic
        self.detectorVersion = detectorVersion
        self.parameters = parameters
        self.phaseClass = phaseClass
        self.pointCount = pointCount
        self.lastStep = lastStep
        self.runStatus = runStatus
        self.startValue = startValue
        self.peakStep = peakStep
        self.peakValue = peakValue
        self.riseAmplitude = riseAmplitude
        self.riseDuration = riseDuration
        self.decayFraction = decayFraction
        self.halfDecayStep = halfDecayStep
        self.finalValue = finalValue
        self.noiseSigma = noiseSigma
        self.noiseFloor = noiseFloor
        self.otherPeaks = otherPeaks
        self.firstNonFiniteStep = firstNonFiniteStep
        self.computedAt = computedAt ?? Timestamp.string()
        self.layerName = layerName
    }
}

extension TrackerDatabase {
    /// The snapshot statistics a series can be read for (columns of `snapshots`).
    public static let snapshotStatistics = ["mean_abs_r", "mean_r"]

    /// Every series of `statistic` for the given runs, ordered by run, layer, reduction; one query.
    ///
    /// - Parameter layerName: only layers with this name (nil: every probed layer).
    /// - Throws: ``StoreError/unknownStatistic(_:known:)`` for a statistic that is not a snapshot column.
    public func snapshotSeries(runIDs: [Int64], statistic: String, layerName: String? = nil) throws -> [SnapshotSeries] {
        guard Self.snapshotStatistics.contains(statistic) else {
            throw StoreError.unknownStatistic(statistic, known: Self.snapshotStatistics)
        }
        return try read { db in
            // `statistic` is one of a fixed list of column names, never user text.
            let statement = try db.makeStatement(sql: """
                SELECT s.run_id, s.layer_index, l.name, s.reduction, r.status, r.probe_samples, s.step, s.\(statistic)
                FROM snapshots s
                JOIN runs r ON r.id = s.run_id
                JOIN layers l ON l.architecture_id = r.architecture_id AND l.layer_index = s.layer_index
                WHERE s.run_id IN (SELECT value FROM json_each(?)) AND (? IS NULL OR l.name = ?)
                ORDER BY s.run_id, s.layer_index, s.reduction, s.step
                """)
            let ids = "[" + runIDs.map(String.init).joined(separator: ",") + "]"
            var result: [SnapshotSeries] = []
            var current: (key: (Int64, Int, String), name: String, status: String, probe: Int)?
            var steps: [Int] = []
            var values: [Double?] = []
            func close() {
                if let current {
                    result.append(SnapshotSeries(runID: current.key.0, layerIndex: current.key.1, layerName: current.name,
                                                 reduction: current.key.2, runStatus: current.status,
                                                 probeSamples: current.probe, steps: steps, values: values))
                }
                steps = []
                values = []
            }
            let rows = try Row.fetchCursor(statement, arguments: [ids, layerName, layerName])
            while let row = try rows.next() {
                let key = (row[0] as Int64, row[1] as Int, row[3] as String)
                if current == nil || current!.key != key {
                    close()
                    current = (key, row[2], row[4], row[5])
                }
                steps.append(row[6])
                values.append(row[7])
            }
            close()
            return result
        }
    }

    /// The stored phase results of `statistic` for the given runs.
    public func phaseRecords(runIDs: [Int64], statistic: String) throws -> [PhaseRecord] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT p.*, l.name AS layer_name
                FROM phase_results p
                JOIN runs r ON r.id = p.run_id
                JOIN layers l ON l.architecture_id = r.architecture_id AND l.layer_index = p.layer_index
                WHERE p.run_id IN (SELECT value FROM json_each(?)) AND p.statistic = ?
                ORDER BY p.run_id, p.layer_index, p.reduction
                """, arguments: ["[" + runIDs.map(String.init).joined(separator: ",") + "]", statistic])
            return rows.map { row in
                PhaseRecord(
                    runID: row["run_id"], layerIndex: row["layer_index"], reduction: row["reduction"],
                    statistic: row["statistic"], detectorVersion: row["detector_version"], parameters: row["parameters"],
                    phaseClass: row["phase_class"], pointCount: row["point_count"], lastStep: row["last_step"],
                    runStatus: row["run_status"], startValue: row["start_value"], peakStep: row["peak_step"],
                    peakValue: row["peak_value"], riseAmplitude: row["rise_amplitude"],
                    riseDuration: row["rise_duration"], decayFraction: row["decay_fraction"],
                    halfDecayStep: row["half_decay_step"], finalValue: row["final_value"],
                    noiseSigma: row["noise_sigma"], noiseFloor: row["noise_floor"], otherPeaks: row["other_peaks"],
                    firstNonFiniteStep: row["first_non_finite_step"], computedAt: row["computed_at"],
                    layerName: row["layer_name"])
            }
        }
    }

    /// The status of each of the given runs ('running', 'finished', ...).
    public func runStatuses(_ runIDs: [Int64]) throws -> [Int64: String] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT id, status FROM runs WHERE id IN (SELECT value FROM json_each(?))",
                                        arguments: ["[" + runIDs.map(String.init).joined(separator: ",") + "]"])
            return Dictionary(uniqueKeysWithValues: rows.map { ($0[0] as Int64, $0[1] as String) })
        }
    }

    /// Inserts or replaces phase results, all in one transaction.
    public func savePhaseRecords(_ records: [PhaseRecord]) throws {
        guard !records.isEmpty else { return }
        try write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO phase_results (run_id, layer_index, reduction, statistic, detector_version,
                    parameters, phase_class, point_count, last_step, run_status, start_value, peak_step, peak_value,
                    rise_amplitude, rise_duration, decay_fraction, half_decay_step, final_value, noise_sigma,
                    noise_floor, other_peaks, first_non_finite_step, computed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for record in records {
                func finite(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? $0 : nil } }
                try statement.execute(arguments: [
                    record.runID, record.layerIndex, record.reduction, record.statistic, record.detectorVersion,
                    record.parameters, record.phaseClass, record.pointCount, record.lastStep, record.runStatus,
                    finite(record.startValue), finite(record.peakStep), finite(record.peakValue),
                    finite(record.riseAmplitude), finite(record.riseDuration), finite(record.decayFraction),
                    record.halfDecayStep, finite(record.finalValue), finite(record.noiseSigma),
                    finite(record.noiseFloor), record.otherPeaks, record.firstNonFiniteStep, record.computedAt,
                ])
            }
        }
    }
}
