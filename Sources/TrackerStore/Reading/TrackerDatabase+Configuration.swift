// A run's stored configuration: what `tracker show --config` prints and `tracker run --like` starts from.
import GRDB

/// A run's settings as stored, with its tags.
public struct StoredRunConfiguration: Sendable, Equatable {
    public let runID: Int64
    /// Every setting as YAML (`runs.configuration`); nil for runs recorded before migration 0005.
    public let configuration: String?
    /// The run's tags, sorted.
    public let tags: [String]
    /// The tracker version that recorded the run.
    public let trackerVersion: String
}

extension TrackerDatabase {
    /// The stored configuration and tags of run `runID`.
    ///
    /// - Throws: ``StoreError/runNotFound(_:)`` when there is no such run.
    public func storedConfiguration(of runID: Int64) throws -> StoredRunConfiguration {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT configuration, tracker_version FROM runs WHERE id = ?",
                                             arguments: [runID]) else {
                throw StoreError.runNotFound(String(runID))
            }
            let tags = try String.fetchAll(db, sql: "SELECT tag FROM tags WHERE run_id = ? ORDER BY tag",
                                           arguments: [runID])
            return StoredRunConfiguration(runID: runID, configuration: row["configuration"], tags: tags,
                                          trackerVersion: row["tracker_version"])
        }
    }
}
