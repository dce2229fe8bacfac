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
            let stale = try StaleRun.running(in: db, now: now).filter { $0.isStale(after: staleAfter) }
            if !dryRun {
                for run in stale {
                    try db.execute(
                        sql: """
                            UPDATE runs SET status = 'crashed', ended_at = ?, error_message = ?
                            WHERE id = ? AND status = 'running'
                            """,
                        arguments: [run.lastSignAt, "no commit since \(run.lastSignAt): its process died; marked "
                                    + "crashed by tracker reap at \(Timestamp.string(now))", run.id])
                }
            }
            return stale
        }
        return dryRun ? try read(body) : try write(body)
    }
}
