// `tracker reap`: runs left `running` by a process that died are marked `crashed`.
import Foundation
import GRDB

extension TrackerDatabase {
    /// Marks `crashed` every run still `running` whose last commit (heartbeat) is older than `staleAfter` seconds:
    /// a live run commits at least every few seconds, so such a run's process died (kill -9, power loss, a lost
    /// node). Its rows up to the last commit are kept; `ended_at` is set to that last commit and `error_message`
    /// says how it was found.
    ///
    /// - Parameter dryRun: only list the runs, change nothing.
    /// - Returns: the runs marked (or that would be).
    public func reapStaleRuns(staleAfter: TimeInterval, now: Date = Date(), dryRun: Bool = false) throws -> [StaleRun] {
        guard isWritable || dryRun else { throw StoreError.readOnlyDatabase(path: path) }
        let body = { (db: Database) throws -> [StaleRun] in
            var stale: [StaleRun] = []
            for row in try Row.fetchAll(db, sql: """
                SELECT id, uuid, heartbeat_at, created_at FROM runs WHERE status = 'running' ORDER BY id
                """) {
                let heartbeat: String? = row[2]
                let lastSign: String = heartbeat ?? row[3]
                let age = Timestamp.date(lastSign).map { now.timeIntervalSince($0) }
                guard age.map({ $0 > staleAfter }) ?? true else { continue }
                stale.append(StaleRun(id: row[0], uuid: row[1], heartbeatAt: heartbeat, secondsSinceHeartbeat: age))
                if !dryRun {
                    try db.execute(
                        sql: """
                            UPDATE runs SET status = 'crashed', ended_at = ?, error_message = ?
                            WHERE id = ? AND status = 'running'
                            """,
                        arguments: [lastSign, "no commit since \(lastSign): its process died; marked crashed by "
                                    + "tracker reap at \(Timestamp.string(now))", row[0] as Int64])
                }
            }
            return stale
        }
        return dryRun ? try read(body) : try write(body)
    }
}
