// `tracker check`: is a file intact, tracker's own, current, and are runs left `running` by a process that died?
import Foundation
import GRDB

/// What `tracker check` found in a database file, read without changing it.
public struct DatabaseCheck: Sendable {
    public var path: String
    public var sizeBytes: Int64
    public var schemaVersion: Int
    public var supportedVersion: Int
    /// `PRAGMA integrity_check`'s lines; ["ok"] when the file is intact.
    public var integrity: [String]
    /// `PRAGMA foreign_key_check` violations, one line each.
    public var foreignKeyViolations: [String]
    /// Views or triggers that are not tracker's (see ``SchemaAudit``): the file is refused by other commands.
    public var schemaProblems: [String]
    /// Tables and indexes tracker does not make (harmless, listed as notes).
    public var extraObjects: [String]
    /// Runs by status.
    public var runsByStatus: [(status: String, count: Int)]
    /// Runs still `running` whose last commit is older than the staleness limit: their process most likely died.
    public var staleRuns: [StaleRun]

    /// Whether the file is damaged or not tracker's: integrity or foreign-key failures, or a tampered schema.
    public var hasProblems: Bool {
        integrity != ["ok"] || !foreignKeyViolations.isEmpty || !schemaProblems.isEmpty
    }
}

/// A run left `running` whose last sign of life is older than the limit.
public struct StaleRun: Sendable, Equatable {
    public var id: Int64
    public var uuid: String
    public var heartbeatAt: String?
    /// The run's last sign of life: its heartbeat, or its creation when it never committed.
    public var lastSignAt: String
    /// Seconds since `lastSignAt` (nil when the stored timestamp does not parse).
    public var secondsSinceHeartbeat: Double?

    /// Whether nothing was heard from the run for more than `seconds` (an unreadable timestamp counts as stale).
    public func isStale(after seconds: TimeInterval) -> Bool {
        secondsSinceHeartbeat.map { $0 > seconds } ?? true
    }

    /// Every run still marked `running`, oldest first, with the seconds since its last sign of life: the one
    /// reading `check`, `reap` and `migrate` share, so they agree on which runs are alive.
    static func running(in db: Database, now: Date) throws -> [StaleRun] {
        try Row.fetchAll(db, sql: """
            SELECT id, uuid, heartbeat_at, created_at FROM runs WHERE status = 'running' ORDER BY id
            """).map { row in
            let heartbeat: String? = row[2]
            let lastSign: String = heartbeat ?? row[3]
            return StaleRun(id: row[0], uuid: row[1], heartbeatAt: heartbeat, lastSignAt: lastSign,
                            secondsSinceHeartbeat: Timestamp.date(lastSign).map { now.timeIntervalSince($0) })
        }
    }
}

extension TrackerDatabase {
    /// Checks the file at `path` read-only (see ``ReadOnlyAccess``), whatever its schema version, including files
    /// that other commands refuse because their schema was tampered with.
    ///
    /// - Parameter staleAfter: a `running` run whose heartbeat is older than this many seconds is listed as stale.
    /// - Throws: ``StoreError`` when the file is missing, not SQLite, or not a tracker database.
    public static func check(path: String, staleAfter: TimeInterval, now: Date = Date()) throws -> DatabaseCheck {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missingDatabase(path: path) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        if size > 0 {
            let header = FileHandle(forReadingAtPath: path).flatMap { try? $0.read(upToCount: 16) } ?? Data()
            guard header == Data("SQLite format 3\0".utf8) else { throw StoreError.notSQLite(path: path) }
        }
        do {
            let queue = try DatabaseQueue(path: ReadOnlyAccess.uri(forReading: path),
                                          configuration: ReadOnlyAccess.readingConfiguration(busyTimeout: busyTimeout))
            defer { try? queue.close() }
            return try queue.read { db in
                let identity = try FileIdentity.read(db)
                guard case .tracker(let version) = identity else {
                    if identity == .empty { throw StoreError.emptyDatabase(path: path) }
                    throw StoreError.notTrackerDatabase(path: path)
                }
                let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                let violations = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map { row in
                    "\(row[0] as String? ?? "?") row \(row[1] as Int64? ?? -1) → \(row[2] as String? ?? "?")"
                }
                let known = version <= Migration.latestVersion
                let audit = known ? try SchemaAudit.audit(db, version: version) : SchemaAudit(problems: [])
                let extra = known ? try SchemaAudit.extraObjects(db, version: version) : []
                var byStatus: [(String, Int)] = []
                var stale: [StaleRun] = []
                if try db.tableExists("runs") {
                    byStatus = try Row.fetchAll(db, sql: "SELECT status, count(*) FROM runs GROUP BY status ORDER BY status")
                        .map { ($0[0], $0[1]) }
                    stale = try StaleRun.running(in: db, now: now).filter { $0.isStale(after: staleAfter) }
                }
                return DatabaseCheck(path: path, sizeBytes: size, schemaVersion: version,
                                     supportedVersion: Migration.latestVersion, integrity: integrity,
                                     foreignKeyViolations: violations, schemaProblems: audit.problems,
                                     extraObjects: extra, runsByStatus: byStatus, staleRuns: stale)
            }
        } catch let error as DatabaseError {
            if error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT {
                throw StoreError.notSQLite(path: path)
            }
            throw StoreError(error)
        }
    }
}
