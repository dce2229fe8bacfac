// Sweeps in the store: the sweep's row, the link of each run it started, and what a re-run needs to resume.
import Foundation
import GRDB

/// Which sweep started a run, and where the run stands in it: written with the run (`sweep_runs`).
public struct SweepMembership: Sendable, Equatable {
    /// `sweeps.uuid` of the sweep.
    public var sweepUUID: String
    /// Position in the sweep's expansion when the run started, from 0.
    public var runIndex: Int
    /// The run's identity in the sweep: lowercase hex SHA-256 of its canonical configuration.
    public var runKey: String

    public init(sweepUUID: String, runIndex: Int, runKey: String) {
        self.sweepUUID = sweepUUID
        self.runIndex = runIndex
        self.runKey = runKey
    }
}

/// One row of `sweeps`.
public struct SweepRecord: Sendable, Equatable {
    public var uuid: String
    public var name: String
    /// The sweep's definition as YAML.
    public var configuration: String
    /// UTC ISO-8601 text, when the sweep was first recorded in this file (or in the file merged first).
    public var createdAt: String

    /// The uuid of the sweep named `name`, the same in every file: the first 16 bytes of SHA-256("tracker sweep\n"
    /// + name), with the version (8, "custom") and variant bits of RFC 9562 set, lowercase.
    public static func uuid(forName name: String) -> String {
        var bytes = Array(ContentHash.sha256Bytes(Data(("tracker sweep\n" + name).utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let cuts = [8, 12, 16, 20]
        var text = ""
        for (index, character) in hex.enumerated() {
            if cuts.contains(index) { text.append("-") }
            text.append(character)
        }
        return text
    }
}

/// A run linked to a sweep, as a re-run of the sweep sees it.
public struct SweepRunRecord: Sendable, Equatable {
    public var runID: Int64
    public var runIndex: Int
    public var runKey: String
    public var status: RunStatus
    /// Seconds from the run's start to its end; nil while it has not ended.
    public var wallTime: Double?
    /// The run's last test accuracy; nil before its first evaluation.
    public var testAccuracy: Double?

    public init(runID: Int64, runIndex: Int, runKey: String, status: RunStatus, wallTime: Double?,
                testAccuracy: Double?) {
        self.runID = runID
        self.runIndex = runIndex
        self.runKey = runKey
        self.status = status
        self.wallTime = wallTime
        self.testAccuracy = testAccuracy
    }
}

extension TrackerDatabase {
    /// Records the sweep named `name` with `configuration` as its definition: inserted when the file has no sweep of
    /// that name, else its definition replaced (a sweep re-run with more seeds or values stays one sweep).
    ///
    /// - Returns: The sweep's row as it now is, and the definition it had before (nil when it was new).
    @discardableResult
    public func recordSweep(name: String, configuration: String) throws
        -> (sweep: SweepRecord, previousConfiguration: String?) {
        let uuid = SweepRecord.uuid(forName: name)
        return try write { db in
            let previous = try String.fetchOne(db, sql: "SELECT configuration FROM sweeps WHERE uuid = ?",
                                               arguments: [uuid])
            if previous == nil {
                try db.execute(sql: "INSERT INTO sweeps (uuid, name, configuration, created_at) VALUES (?, ?, ?, ?)",
                               arguments: [uuid, name, configuration, Timestamp.string()])
            } else if previous != configuration {
                try db.execute(sql: "UPDATE sweeps SET configuration = ? WHERE uuid = ?",
                               arguments: [configuration, uuid])
            }
            let row = try Row.fetchOne(db, sql: "SELECT uuid, name, configuration, created_at FROM sweeps WHERE uuid = ?",
                                       arguments: [uuid])!
            return (SweepRecord(uuid: row[0], name: row[1], configuration: row[2], createdAt: row[3]), previous)
        }
    }

    /// The sweep named `name`, or nil.
    public func sweep(named name: String) throws -> SweepRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT uuid, name, configuration, created_at FROM sweeps WHERE uuid = ?",
                             arguments: [SweepRecord.uuid(forName: name)])
                .map { SweepRecord(uuid: $0[0], name: $0[1], configuration: $0[2], createdAt: $0[3]) }
        }
    }

    /// The sweep whose uuid is `uuid`, or nil.
    public func sweep(uuid: String) throws -> SweepRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT uuid, name, configuration, created_at FROM sweeps WHERE uuid = ?",
                             arguments: [uuid])
                .map { SweepRecord(uuid: $0[0], name: $0[1], configuration: $0[2], createdAt: $0[3]) }
        }
    }

    /// Every run linked to the sweep `sweepUUID`, by run index then run id (attempts in the order they started).
    public func sweepRuns(sweepUUID: String) throws -> [SweepRunRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT l.run_id, l.run_index, l.run_key, r.status,
                    (julianday(r.ended_at) - julianday(r.started_at)) * 86400.0 AS wall_time,
                    (SELECT e.accuracy FROM evaluations e WHERE e.run_id = r.id AND e.split = 'test'
                        ORDER BY e.step DESC LIMIT 1) AS test_accuracy
                FROM sweep_runs l JOIN runs r ON r.id = l.run_id
                WHERE l.sweep_uuid = ? ORDER BY l.run_index, l.run_id
                """, arguments: [sweepUUID]).map { row in
                SweepRunRecord(runID: row[0], runIndex: row[1], runKey: row[2],
                               status: RunStatus(rawValue: row[3]) ?? .failed, wallTime: row[4], testAccuracy: row[5])
            }
        }
    }

    /// Ends the newest run of sweep `sweepUUID` with key `runKey` that is still `running`, whose process is known to
    /// be gone (its worker was killed): sets `status`, the end time and `message` (the error, for `failed`).
    ///
    /// - Returns: The run's id, or nil when no such run is left running (the worker ended it itself).
    @discardableResult
    public func endAbandonedSweepRun(sweepUUID: String, runKey: String, status: RunStatus,
                                     message: String?) throws -> Int64? {
        try write { db in
            guard let runID = try Int64.fetchOne(db, sql: """
                SELECT r.id FROM sweep_runs l JOIN runs r ON r.id = l.run_id
                WHERE l.sweep_uuid = ? AND l.run_key = ? AND r.status = 'running' ORDER BY r.id DESC LIMIT 1
                """, arguments: [sweepUUID, runKey]) else { return nil }
            let now = Timestamp.string()
            try db.execute(sql: "UPDATE runs SET status = ?, ended_at = ?, error_message = ? WHERE id = ?",
                           arguments: [status.rawValue, now, message, runID])
            return runID
        }
    }
}
