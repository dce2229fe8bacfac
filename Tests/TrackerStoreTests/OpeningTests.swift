// Opening databases: migration from empty, re-opening, and refusing files that are not ours or are newer.
import Foundation
import GRDB
import Synchronization
import Testing
import TrackerTestSupport
@testable import TrackerStore

@Suite struct OpeningTests {
    @Test func newDatabaseIsMigratedToTheLatestVersion() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("new.sqlite"))
        #expect(try database.schemaVersion() == Migration.latestVersion)
        let (applicationID, tables, migrations) = try database.read { (db: Database) throws in
            (try Int32.fetchOne(db, sql: "PRAGMA application_id"),
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name"),
             try Int.fetchAll(db, sql: "SELECT version FROM schema_migrations ORDER BY version"))
        }
        #expect(applicationID == Migrator.applicationID)
        for name in ["architectures", "datasets", "evaluations", "hyperparameter_sets", "hyperparameters", "layers",
                     "run_overview", "runs", "schema_migrations", "snapshot_series", "snapshots", "step_metrics", "tags"] {
            #expect(tables.contains(name), "missing \(name)")
        }
        #expect(migrations == Array(1...Migration.latestVersion))
        let journalMode = try database.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(journalMode == "wal")
    }

    @Test func reopeningChangesNothing() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("again.sqlite")
        let first = try TrackerDatabase.open(path: path)
        try recordSampleRun(first)
        func state(_ database: TrackerDatabase) throws -> [String] {
            try database.read { (db: Database) throws in
                try String.fetchAll(db, sql: "SELECT coalesce(sql, name) FROM sqlite_master ORDER BY name")
                    + String.fetchAll(db, sql: "SELECT version || name || applied_at FROM schema_migrations")
                    + [String(try Int.fetchOne(db, sql: "SELECT count(*) FROM runs") ?? -1)]
            }
        }
        let before = try state(first)
        let second = try TrackerDatabase.open(path: path)
        #expect(try state(second) == before)
        #expect(try second.schemaVersion() == Migration.latestVersion)
    }

    @Test func missingFileIsNotCreatedByReaders() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("absent.sqlite")
        #expect(throws: StoreError.missingDatabase(path: path)) { try TrackerDatabase.open(path: path, create: false) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func newerSchemaIsRefusedAndLeftUnchanged() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("future.sqlite")
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: "PRAGMA application_id = \(Migrator.applicationID)")
                try db.execute(sql: "CREATE TABLE from_the_future (x INTEGER)")
                try db.execute(sql: "PRAGMA user_version = \(Migration.latestVersion + 5)")
            }
            try queue.close()
        }
        let before = fileSnapshot(path)
        let expected = StoreError.newerSchema(path: path, found: Migration.latestVersion + 5,
                                              supported: Migration.latestVersion)
        #expect(throws: expected) { try TrackerDatabase.open(path: path) }
        #expect(fileSnapshot(path) == before)
        #expect(expected.description.contains("schema version \(Migration.latestVersion + 5)"))
        #expect(expected.description.contains("up to \(Migration.latestVersion)"))
    }

    @Test func nonSQLiteFileIsRefusedAndLeftUnchanged() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("notes.sqlite")
        let content = Data("these are my notes, not a database\n".utf8)
        try content.write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.notSQLite(path: path)) { try TrackerDatabase.open(path: path) }
        #expect(fileSnapshot(path) == ["": content])
    }

    @Test func truncatedSQLiteHeaderIsRefusedAndLeftUnchanged() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("broken.sqlite")
        let content = Data("SQLite format 3\0".utf8) + Data(repeating: 0xFF, count: 200)
        try content.write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.notSQLite(path: path)) { try TrackerDatabase.open(path: path) }
        #expect(fileSnapshot(path) == ["": content])
    }

    @Test func foreignSQLiteDatabaseIsRefusedAndLeftUnchanged() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("other.sqlite")
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: "CREATE TABLE recipes (name TEXT)")
                try db.execute(sql: "INSERT INTO recipes VALUES ('bread')")
            }
            try queue.close()
        }
        let before = fileSnapshot(path)
        #expect(throws: StoreError.notTrackerDatabase(path: path)) { try TrackerDatabase.open(path: path) }
        #expect(fileSnapshot(path) == before)
    }

    @Test func emptyFileBecomesADatabase() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("empty.sqlite")
        FileManager.default.createFile(atPath: path, contents: Data())
        #expect(try TrackerDatabase.open(path: path).schemaVersion() == Migration.latestVersion)
    }

    @Test func concurrentOpeningOfANewFileMigratesOnce() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("race.sqlite")
        let errors = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            do { _ = try TrackerDatabase.open(path: path) } catch { errors.withLock { $0.append("\(error)") } }
        }
        #expect(errors.withLock { $0 } == [])
        let database = try TrackerDatabase.open(path: path)
        #expect(try database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM schema_migrations") }
                == Migration.latestVersion)
    }
}
