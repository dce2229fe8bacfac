// Snapshot series for analysis and the phase_results table: batch reads, and replacing results in one transaction.
import Foundation
import GRDB
import GRDBSQLite

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
    /// Every series of `statistic` for the given runs, ordered by run, layer, reduction; two queries.
    ///
    /// The snapshots are read in primary-key order (run, step, layer, reduction), which is the table's own order:
    /// ordering by layer first would go through the `snapshots_by_layer` index and look every row up in the table,
    /// several times slower over many runs. The rows are sorted into series here, steps ascending.
    ///
    /// - Parameter layerName: only layers with this name (nil: every probed layer).
    /// - Throws: ``StoreError/unknownStatistic(_:known:)`` for a statistic that is not a snapshot column.
    public func snapshotSeries(runIDs: [Int64], statistic: String, layerName: String? = nil) throws -> [SnapshotSeries] {
        let column = try statisticColumn(statistic)
        let ids = "[" + runIDs.map(String.init).joined(separator: ",") + "]"
        return try read { db in
            struct Run { let status: String; let probeSamples: Int; var layerNames: [Int: String] }
            var runs: [Int64: Run] = [:]
            let layerRows = try Row.fetchCursor(db, sql: """
                SELECT r.id, r.status, r.probe_samples, l.layer_index, l.name
                FROM runs r JOIN layers l ON l.architecture_id = r.architecture_id
                WHERE r.id IN (SELECT value FROM json_each(?))
                """, arguments: [ids])
            while let row = try layerRows.next() {
                let id: Int64 = row[0]
                if runs[id] == nil { runs[id] = Run(status: row[1], probeSamples: row[2], layerNames: [:]) }
                runs[id]!.layerNames[row[3]] = row[4]
            }

            // `column` is a column name read from the schema, never user text.
            let statement = try db.makeStatement(sql: """
                SELECT run_id, layer_index, reduction, step, "\(column)"
                FROM snapshots WHERE run_id IN (SELECT value FROM json_each(?))
                ORDER BY run_id, step, layer_index, reduction
                """)
            try statement.setArguments([ids])
            /// One series of the current run. A run's rows repeat the same (layer, reduction) sequence at every
            /// step, so the next row's series is found by looking from the one after the last, not by hashing.
            struct Series {
                let layerIndex: Int
                /// The reduction's UTF-8 bytes, compared with each row's without making a String of it.
                let reduction: [UInt8]
                var steps: [Int] = []
                var values: [Double?] = []
                var reductionName: String { String(decoding: reduction, as: UTF8.self) }

                func matches(_ layer: Int, _ text: UnsafePointer<UInt8>, _ length: Int) -> Bool {
                    layerIndex == layer && reduction.count == length
                        && reduction.withUnsafeBufferPointer { memcmp($0.baseAddress!, text, length) == 0 }
                }
            }
            var result: [SnapshotSeries] = []
            var currentRun: Int64?
            var pending: [Series] = []
            var cursor = 0
            func close() {
                guard let runID = currentRun, let run = runs[runID] else { return }
                let ordered = pending.sorted {
                    ($0.layerIndex, $0.reductionName) < ($1.layerIndex, $1.reductionName)
                }
                for series in ordered {
                    result.append(SnapshotSeries(runID: runID, layerIndex: series.layerIndex,
                                                 layerName: run.layerNames[series.layerIndex] ?? "",
                                                 reduction: series.reductionName, runStatus: run.status,
                                                 probeSamples: run.probeSamples, steps: series.steps,
                                                 values: series.values))
                }
                pending = []
                cursor = 0
            }
            // Columns read straight from the statement: this loop sees every snapshot of every run.
            let handle = statement.sqliteStatement
            var layerNames: [Int: String] = [:]
            while true {
                let code = sqlite3_step(handle)
                if code == SQLITE_DONE { break }
                guard code == SQLITE_ROW else {
                    throw StoreError.sqlite(message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                                            sql: statement.sql)
                }
                let runID = sqlite3_column_int64(handle, 0)
                if runID != currentRun {
                    close()
                    currentRun = runID
                    layerNames = runs[runID]?.layerNames ?? [:]
                }
                let layerIndex = Int(sqlite3_column_int64(handle, 1))
                if let layerName, layerNames[layerIndex] != layerName { continue }
                guard let text = sqlite3_column_text(handle, 2) else { continue }  // reduction is NOT NULL
                let length = Int(sqlite3_column_bytes(handle, 2))
                var index = pending.isEmpty ? 0 : (cursor + 1) % pending.count
                var probed = 0
                while probed < pending.count && !pending[index].matches(layerIndex, text, length) {
                    index = (index + 1) % pending.count
                    probed += 1
                }
                if probed == pending.count {
                    pending.append(Series(layerIndex: layerIndex,
                                          reduction: Array(UnsafeBufferPointer(start: text, count: length))))
                    index = pending.count - 1
                }
                cursor = index
                pending[index].steps.append(Int(sqlite3_column_int64(handle, 3)))
                pending[index].values.append(sqlite3_column_type(handle, 4) == SQLITE_NULL
                                             ? nil : sqlite3_column_double(handle, 4))
            }
            close()
            return result
        }
    }

    /// `statistic` as a statistic column of this file's `snapshots` (the name read back from the schema).
    ///
    /// - Throws: ``StoreError/unknownStatistic(_:known:)`` when the schema has no such column.
    func statisticColumn(_ statistic: String) throws -> String {
        let known = try snapshotStatisticColumns()
        guard let column = known.first(where: { $0 == statistic }) else {
            throw StoreError.unknownStatistic(statistic, known: known)
        }
        return column
    }

    /// The stored phase results of `statistic` for the given runs.
    public func phaseRecords(runIDs: [Int64], statistic: String) throws -> [PhaseRecord] {
        try read { db in
            // Columns by position (named lookups cost a case-insensitive search per cell over thousands of rows).
            let rows = try Row.fetchCursor(db, sql: """
                SELECT p.run_id, p.layer_index, p.reduction, p.statistic, p.detector_version, p.parameters,
                       p.phase_class, p.point_count, p.last_step, p.run_status, p.start_value, p.peak_step,
                       p.peak_value, p.rise_amplitude, p.rise_duration, p.decay_fraction, p.half_decay_step,
                       p.final_value, p.noise_sigma, p.noise_floor, p.other_peaks, p.first_non_finite_step,
                       p.computed_at, l.name
                FROM phase_results p
                JOIN runs r ON r.id = p.run_id
                JOIN layers l ON l.architecture_id = r.architecture_id AND l.layer_index = p.layer_index
                WHERE p.run_id IN (SELECT value FROM json_each(?)) AND p.statistic = ?
                ORDER BY p.run_id, p.layer_index, p.reduction
                """, arguments: ["[" + runIDs.map(String.init).joined(separator: ",") + "]", statistic])
            var records: [PhaseRecord] = []
            while let row = try rows.next() {
                records.append(PhaseRecord(
                    runID: row[0], layerIndex: row[1], reduction: row[2], statistic: row[3], detectorVersion: row[4],
                    parameters: row[5], phaseClass: row[6], pointCount: row[7], lastStep: row[8], runStatus: row[9],
                    startValue: row[10], peakStep: row[11], peakValue: row[12], riseAmplitude: row[13],
                    riseDuration: row[14], decayFraction: row[15], halfDecayStep: row[16], finalValue: row[17],
                    noiseSigma: row[18], noiseFloor: row[19], otherPeaks: row[20], firstNonFiniteStep: row[21],
                    computedAt: row[22], layerName: row[23]))
            }
            return records
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
        guard !records.isEmpty, isWritable else { return }  // a read-only archive: the results stay in memory
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
