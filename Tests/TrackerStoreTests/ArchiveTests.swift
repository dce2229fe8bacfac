// Archives: reading without writing, merging by uuid, exporting, migrating by swap, checking, and refusing tampering.
import Foundation
import GRDB
import Testing
import TrackerTestSupport
@testable import TrackerStore

@Suite struct ArchiveTests {
    /// Every row of every table except migration bookkeeping, as text, in a stable order: "what the file holds".
    static func contents(_ database: TrackerDatabase) throws -> [String] {
        try database.read { (db: Database) throws in
            var lines: [String] = []
            let tables = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'
                  AND name <> 'schema_migrations' ORDER BY name
                """)
            for table in tables {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"") {
                    lines.append(table + ": " + row.description)
                }
            }
            return lines.sorted()
        }
    }

    static func count(_ database: TrackerDatabase, _ table: String) throws -> Int {
        try database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM \"\(table)\"") ?? -1 }
    }

    @Test func readingLeavesTheFileAloneAndCreatesNoCompanions() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("archive.sqlite")
        do {
            let database = try TrackerDatabase.open(path: path)
            try recordSampleRun(database)
        }
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        let before = fileSnapshot(path)
        let reader = try TrackerDatabase.openForReading(path: path)
        #expect(!reader.isWritable)
        #expect(try reader.runs().rows.count == 1)
        #expect(try reader.schemaVersion() == Migration.latestVersion)
        #expect(throws: StoreError.self) { try reader.savePhaseRecordsForTest() }
        #expect(fileSnapshot(path) == before)
        #expect(!FileManager.default.fileExists(atPath: path + "-shm"))
    }

    @Test func readingWorksInAReadOnlyFolder() throws {
        let folder = try TemporaryFolder()
        defer {
            chmod(folder.path("locked"), 0o755)
            folder.cleanup()
        }
        try FileManager.default.createDirectory(atPath: folder.path("locked"), withIntermediateDirectories: true)
        let path = folder.path("locked/archive.sqlite")
        do { try recordSampleRun(try TrackerDatabase.open(path: path)) }
        chmod(folder.path("locked"), 0o555)
        chmod(path, 0o444)
        let reader = try TrackerDatabase.openForReading(path: path)
        #expect(try reader.runs().rows.count == 1)
        if getuid() != 0 {  // permissions do not bind root, so only others see the folder as read-only
            let analysis = try TrackerDatabase.openForAnalysis(path: path)
            #expect(!analysis.isWritable)
        }
    }

    @Test func mergingCopiesRunsSharesSpecsAndIsIdempotent() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let first = try TrackerDatabase.open(path: folder.path("a.sqlite"))
        let second = try TrackerDatabase.open(path: folder.path("b.sqlite"))
        try recordSampleRun(first, sampleRun(name: "a1", seed: 1))
        try recordSampleRun(first, sampleRun(name: "a2", seed: 2, learningRate: 0.1))
        try recordSampleRun(second, sampleRun(name: "b1", seed: 3))
        let target = try TrackerDatabase.open(path: folder.path("main.sqlite"))
        let reportA = try target.merge(from: TrackerDatabase.openForReading(path: first.path))
        let reportB = try target.merge(from: TrackerDatabase.openForReading(path: second.path))
        #expect(reportA.runsAdded == 2 && reportB.runsAdded == 1)
        #expect(reportA.rowsAdded["snapshots"] == 6 && reportB.rowsAdded["snapshots"] == 3)
        #expect(try Self.count(target, "runs") == 3)
        #expect(try Self.count(target, "architectures") == 1)  // the same spec in both files: one row
        #expect(try Self.count(target, "datasets") == 1)
        #expect(try Self.count(target, "hyperparameter_sets") == 2)
        #expect(try Self.count(target, "step_metrics") == 30)
        // Every source run's rows arrived under its new id, intact.
        let names = try target.read { try String.fetchAll($0, sql: """
            SELECT r.name || ':' || count(s.step) FROM runs r JOIN snapshots s ON s.run_id = r.id GROUP BY r.id ORDER BY r.name
            """) }
        #expect(names == ["a1:3", "a2:3", "b1:3"])
        let before = try Self.contents(target)
        let again = try target.merge(from: TrackerDatabase.openForReading(path: first.path))
        #expect(again.runsAdded == 0 && again.runsAlreadyPresent == 2 && again.conflicts.isEmpty)
        #expect(again.totalRowsAdded == 0)
        #expect(try Self.contents(target) == before)
    }

    @Test func aRunThatDiffersIsReportedNotOverwritten() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let source = try TrackerDatabase.open(path: folder.path("shard.sqlite"))
        try recordSampleRun(source)
        let target = try TrackerDatabase.open(path: folder.path("main.sqlite"))
        _ = try target.merge(from: TrackerDatabase.openForReading(path: source.path))
        try source.write { db in try db.execute(sql: "UPDATE snapshots SET mean_abs_r = 0.9 WHERE step = 5") }
        let before = try Self.contents(target)
        let report = try target.merge(from: TrackerDatabase.openForReading(path: source.path))
        #expect(report.conflicts.count == 1)
        #expect(report.conflicts.first?.detail == "snapshots: 1 of 3 rows differ")
        #expect(try Self.contents(target) == before)
        try source.write { db in try db.execute(sql: "UPDATE runs SET status = 'interrupted'") }
        let statusReport = try target.merge(from: TrackerDatabase.openForReading(path: source.path))
        #expect(statusReport.conflicts.first?.detail == "status: 'finished' here, 'interrupted' in the source")
    }

    @Test func exportWritesJustTheChosenRuns() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let source = try TrackerDatabase.open(path: folder.path("all.sqlite"))
        let keep = try recordSampleRun(source, sampleRun(name: "keep", seed: 1, learningRate: 0.2))
        try recordSampleRun(source, sampleRun(name: "drop", seed: 2, learningRate: 0.3))
        let subset = try TrackerDatabase.open(path: folder.path("subset.sqlite"))
        let report = try subset.merge(from: TrackerDatabase.openForReading(path: source.path),
                                      runUUIDs: Set(try source.uuids(of: [keep])))
        #expect(report.runsAdded == 1)
        #expect(try subset.read { try String.fetchAll($0, sql: "SELECT name FROM runs") } == ["keep"])
        #expect(try Self.count(subset, "hyperparameter_sets") == 1)
        #expect(try subset.read { try Double.fetchOne($0, sql: "SELECT value FROM hyperparameters WHERE key = 'learning_rate'") } == 0.2)
        #expect(try Self.count(subset, "snapshots") == 3)
    }

    @Test func mergingAFileIntoItselfIsRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("self.sqlite"))
        try recordSampleRun(database)
        #expect(throws: StoreError.mergeIntoItself(path: database.path)) {
            try database.merge(from: TrackerDatabase.openForReading(path: database.path))
        }
    }

    /// Adds an object tracker does not make, through a raw connection.
    static func tamper(_ path: String, _ sql: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { try $0.execute(sql: sql) }
        try queue.close()
    }

    @Test(arguments: [
        "CREATE TRIGGER wipe AFTER INSERT ON step_metrics BEGIN DELETE FROM runs; END",
        "CREATE VIEW sneaky AS SELECT load_extension('x')",
        "DROP VIEW run_overview; CREATE VIEW run_overview AS SELECT 1 AS id",
    ])
    func aTamperedSchemaIsRefusedAndReported(sql: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("tampered.sqlite")
        do { try recordSampleRun(try TrackerDatabase.open(path: path)) }
        try Self.tamper(path, sql)
        let before = fileSnapshot(path)
        for open in [{ try TrackerDatabase.open(path: path) }, { try TrackerDatabase.openForReading(path: path) }] {
            #expect {
                _ = try open()
            } throws: { error in
                guard case .tamperedSchema = error as? StoreError else { return false }
                return true
            }
        }
        #expect(fileSnapshot(path) == before)
        let check = try TrackerDatabase.check(path: path, staleAfter: 600)
        #expect(check.hasProblems)
        #expect(check.schemaProblems.count >= 1)
        #expect(check.integrity == ["ok"])
    }

    @Test func checkFindsStaleRunsAndReportsAnIntactFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("check.sqlite"))
        try recordSampleRun(database)
        let recorder = try database.beginRun(sampleRun(name: "died", seed: 9))
        recorder.record(step: StepMetricsRow(step: 1, epoch: 0, trainLoss: 1, trainAccuracy: 0.1, learningRate: 0.05,
                                             wallTime: 0.1))
        try recorder.flush()
        try database.write { db in
            try db.execute(sql: "UPDATE runs SET heartbeat_at = '2026-01-01T00:00:00.000Z' WHERE id = ?",
                           arguments: [recorder.runID])
        }
        let check = try TrackerDatabase.check(path: database.path, staleAfter: 600)
        #expect(!check.hasProblems)
        #expect(check.schemaVersion == Migration.latestVersion)
        #expect(check.staleRuns.map(\.id) == [recorder.runID])
        #expect(check.runsByStatus.map(\.status) == ["finished", "running"])
        let recent = try TrackerDatabase.check(path: database.path, staleAfter: 1e9)
        #expect(recent.staleRuns.isEmpty)
    }

    /// A run that never committed counts from its creation: just begun, it is alive for `check` and `reap` alike;
    /// created long ago, both call it stale and `reap` ends it at its creation time.
    @Test func aRunThatNeverCommittedCountsFromItsCreation() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("silent.sqlite"))
        let recorder = try database.beginRun(sampleRun(name: "silent", seed: 3))
        try database.write { db in
            try db.execute(sql: "UPDATE runs SET heartbeat_at = NULL WHERE id = ?", arguments: [recorder.runID])
        }
        #expect(try TrackerDatabase.check(path: database.path, staleAfter: 600).staleRuns.isEmpty)
        #expect(try database.reapStaleRuns(staleAfter: 600, dryRun: true).isEmpty)

        try database.write { db in
            try db.execute(sql: "UPDATE runs SET created_at = '2026-01-01T00:00:00.000Z' WHERE id = ?",
                           arguments: [recorder.runID])
        }
        let stale = try TrackerDatabase.check(path: database.path, staleAfter: 600).staleRuns
        #expect(stale.map(\.id) == [recorder.runID])
        #expect(stale.first?.heartbeatAt == nil)
        #expect(stale.first?.lastSignAt == "2026-01-01T00:00:00.000Z")
        let reaped = try database.reapStaleRuns(staleAfter: 600)
        #expect(reaped == stale.map { run in
            var run = run
            run.secondsSinceHeartbeat = reaped.first?.secondsSinceHeartbeat
            return run
        })
        let ended = try database.read { db in
            try Row.fetchOne(db, sql: "SELECT status, ended_at FROM runs WHERE id = ?", arguments: [recorder.runID])
        }
        #expect(ended?["status"] == "crashed")
        #expect(ended?["ended_at"] == "2026-01-01T00:00:00.000Z")
    }

    @Test func timestampsReadBack() throws {
        let date = Date(timeIntervalSince1970: 1_780_000_000.25)
        let text = Timestamp.string(date)
        #expect(Timestamp.date(text).map { abs($0.timeIntervalSince(date)) < 0.002 } == true)
        #expect(Timestamp.date("yesterday") == nil)
    }
}

extension TrackerDatabase {
    /// Tries a write, so a test can see that a read-only database refuses it.
    func savePhaseRecordsForTest() throws {
        try write { db in try db.execute(sql: "DELETE FROM tags") }
    }
}
