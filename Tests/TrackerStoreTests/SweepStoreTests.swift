// Sweeps in the store (migration 0008): the sweep's row, runs linked as they are inserted, and shards that merge
// into one sweep with every link remapped, idempotently.
import Foundation
import GRDB
import Testing
import TrackerTestSupport
@testable import TrackerStore

@Suite struct SweepStoreTests {
    /// A run of sweep `name` at `index` with key `key`.
    func sweepRun(_ name: String, index: Int, key: String, seed: Int64) -> RunDescription {
        var run = sampleRun(name: "\(name) seed=\(seed)", seed: seed, tags: [name])
        run.sweep = SweepMembership(sweepUUID: SweepRecord.uuid(forName: name), runIndex: index, runKey: key)
        return run
    }

    @Test func theUUIDComesFromTheNameAlone() {
        let uuid = SweepRecord.uuid(forName: "lr-sweep")
        #expect(uuid == SweepRecord.uuid(forName: "lr-sweep"))
        #expect(uuid != SweepRecord.uuid(forName: "lr-sweep2"))
        #expect(UUID(uuidString: uuid) != nil && uuid == uuid.lowercased())
        let characters = Array(uuid)
        #expect(characters[14] == "8")                       // version 8 (custom)
        #expect("89ab".contains(characters[19]))             // RFC 9562 variant
        // The first bytes are SHA-256's, independently computed here with the same input.
        let digest = ContentHash.sha256Hex("tracker sweep\nlr-sweep")
        #expect(uuid.replacingOccurrences(of: "-", with: "").prefix(12) == digest.prefix(12))
    }

    @Test func aSweepIsRecordedOnceAndItsDefinitionReplaced() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("s.sqlite"))
        let (first, previous) = try database.recordSweep(name: "lr", configuration: "name: lr\nseeds: 2\n")
        #expect(previous == nil && first.name == "lr" && first.uuid == SweepRecord.uuid(forName: "lr"))
        let (second, before) = try database.recordSweep(name: "lr", configuration: "name: lr\nseeds: 3\n")
        #expect(before == "name: lr\nseeds: 2\n")
        #expect(second.configuration == "name: lr\nseeds: 3\n" && second.createdAt == first.createdAt)
        #expect(try ArchiveTests.count(database, "sweeps") == 1)
        #expect(try database.sweep(named: "lr") == second && database.sweep(uuid: first.uuid) == second)
        #expect(try database.sweep(named: "other") == nil)
    }

    @Test func runsAreLinkedAsTheyAreInsertedAndAbandonedOnesEnded() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("s.sqlite"))
        let sweep = try database.recordSweep(name: "lr", configuration: "name: lr\n").sweep
        try recordSampleRun(database, sweepRun("lr", index: 0, key: "k0", seed: 0))
        let crashed = try database.beginRun(sweepRun("lr", index: 1, key: "k1", seed: 1)).runID
        try recordSampleRun(database, sampleRun(name: "alone"))
        let runs = try database.sweepRuns(sweepUUID: sweep.uuid)
        #expect(runs.map(\.runIndex) == [0, 1] && runs.map(\.runKey) == ["k0", "k1"])
        #expect(runs.map(\.status) == [.finished, .running])
        #expect(runs[0].testAccuracy == 0.9 && runs[0].wallTime != nil && runs[1].wallTime == nil)
        #expect(try database.endAbandonedSweepRun(sweepUUID: sweep.uuid, runKey: "k1", status: .failed,
                                                  message: "the worker was killed by signal 9") == crashed)
        #expect(try database.endAbandonedSweepRun(sweepUUID: sweep.uuid, runKey: "k1", status: .failed,
                                                  message: "again") == nil)
        let ended = try database.read { db in
            try Row.fetchOne(db, sql: "SELECT status, error_message, ended_at IS NOT NULL FROM runs WHERE id = ?",
                             arguments: [crashed])!
        }
        #expect(ended[0] as String == "failed" && ended[1] as String == "the worker was killed by signal 9")
        #expect(ended[2] as Bool)
        // Deleting a run takes its link with it.
        try database.write { db in try db.execute(sql: "DELETE FROM runs WHERE id = ?", arguments: [crashed]) }
        #expect(try ArchiveTests.count(database, "sweep_runs") == 1)
    }

    @Test func shardsMergeIntoOneSweepWithEveryRunOnceAndMergingAgainChangesNothing() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        // Three shards of a sweep of 7 runs (index mod 3), and a file with another sweep, merged into one.
        var paths: [String] = []
        for shard in 0..<3 {
            let path = folder.path("shard-\(shard).sqlite")
            let database = try TrackerDatabase.open(path: path)
            try database.recordSweep(name: "lr", configuration: "name: lr\nseeds: 7\n")
            for index in stride(from: shard, to: 7, by: 3) {
                try recordSampleRun(database, sweepRun("lr", index: index, key: "key\(index)", seed: Int64(index)))
            }
            paths.append(path)
        }
        let otherPath = folder.path("other.sqlite")
        do {
            let other = try TrackerDatabase.open(path: otherPath)
            try other.recordSweep(name: "width", configuration: "name: width\n")
            try recordSampleRun(other, sweepRun("width", index: 0, key: "w0", seed: 0))
        }
        let target = try TrackerDatabase.open(path: folder.path("merged.sqlite"))
        // The other sweep first, so the lr sweep's id differs from the one in its shards.
        for path in [otherPath] + paths {
            let report = try target.merge(from: TrackerDatabase.openForReading(path: path))
            #expect(report.conflicts.isEmpty)
        }
        let merged = try target.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.name, l.run_index, l.run_key, r.seed FROM sweep_runs l JOIN sweeps s ON s.uuid = l.sweep_uuid
                JOIN runs r ON r.id = l.run_id ORDER BY s.name, l.run_index
                """).map { "\($0[0] as String) \($0[1] as Int) \($0[2] as String) \($0[3] as Int)" }
        }
        #expect(merged == ["lr 0 key0 0", "lr 1 key1 1", "lr 2 key2 2", "lr 3 key3 3", "lr 4 key4 4", "lr 5 key5 5",
                           "lr 6 key6 6", "width 0 w0 0"])
        #expect(try ArchiveTests.count(target, "sweeps") == 2)
        #expect(try ArchiveTests.count(target, "runs") == 8)
        let before = try ArchiveTests.contents(target)
        for path in paths {
            let again = try target.merge(from: TrackerDatabase.openForReading(path: path))
            #expect(again.runsAdded == 0 && again.conflicts.isEmpty && again.totalRowsAdded == 0)
            #expect(again.runsAlreadyPresent == (path.hasSuffix("0.sqlite") ? 3 : 2))
        }
        #expect(try ArchiveTests.contents(target) == before)
    }
}
