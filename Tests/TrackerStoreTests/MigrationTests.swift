// The migration files themselves, and the all-or-nothing behaviour of migrating.
import Foundation
import GRDB
import Testing
import TrackerTestSupport
@testable import TrackerStore

@Suite struct MigrationTests {
    @Test func embeddedMigrationsAreNumberedWithoutGaps() throws {
        #expect(!Migration.all.isEmpty)
        #expect(Migration.all.map(\.version) == Array(1...Migration.all.count))
        #expect(Migration.all[0].name == "initial")
    }

    @Test func malformedNamesAndGapsAreRejected() throws {
        let sql = Data("SELECT 1;".utf8).base64EncodedString()
        #expect(throws: StoreError.self) { try Migration.parseAll(["Migrations/1_short.sql": sql]) }
        #expect(throws: StoreError.self) { try Migration.parseAll(["Migrations/0001.sql": sql]) }
        #expect(throws: StoreError.self) {
            try Migration.parseAll(["Migrations/0001_a.sql": sql, "Migrations/0003_c.sql": sql])
        }
        let parsed = try Migration.parseAll(["Migrations/0002_b.sql": sql, "Migrations/0001_a.sql": sql,
                                             "Queries/x.sql": sql])
        #expect(parsed.map(\.name) == ["a", "b"])
    }

    @Test func anOlderDatabaseIsMigratedForward() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("old.sqlite")
        let version1 = Migration(version: 1, name: "one", sql: """
            CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL,
                tracker_version TEXT NOT NULL) STRICT;
            CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL) STRICT;
            """)
        let version2 = Migration(version: 2, name: "two", sql: "ALTER TABLE notes ADD COLUMN author TEXT;")
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in try Migrator.migrate(db, path: path, migrations: [version1]) }
        try queue.write { db in try db.execute(sql: "INSERT INTO notes (text) VALUES ('kept')") }
        try queue.writeWithoutTransaction { db in
            try Migrator.migrate(db, path: path, migrations: [version1, version2])
        }
        try queue.read { (db: Database) throws in
            #expect(try Int.fetchOne(db, sql: "PRAGMA user_version") == 2)
            #expect(try String.fetchOne(db, sql: "SELECT text FROM notes") == "kept")
            #expect(try db.columns(in: "notes").map(\.name) == ["id", "text", "author"])
            #expect(try Int.fetchAll(db, sql: "SELECT version FROM schema_migrations") == [1, 2])
        }
    }

    @Test func aFailingMigrationLeavesTheDatabaseAsItWas() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("atomic.sqlite")
        let queue = try DatabaseQueue(path: path)
        let good = Migration(version: 1, name: "one", sql: """
            CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL,
                tracker_version TEXT NOT NULL) STRICT;
            """)
        let second = Migration(version: 2, name: "two", sql: "CREATE TABLE fine (x INTEGER);")
        let broken = Migration(version: 3, name: "three", sql: "CREATE TABLE oops (x INTEGER); SELECT * FROM nowhere;")
        try queue.writeWithoutTransaction { db in try Migrator.migrate(db, path: path, migrations: [good]) }
        #expect(throws: StoreError.self) {
            try queue.writeWithoutTransaction { db in
                try Migrator.migrate(db, path: path, migrations: [good, second, broken])
            }
        }
        try queue.read { (db: Database) throws in
            #expect(try Int.fetchOne(db, sql: "PRAGMA user_version") == 1)
            #expect(try !db.tableExists("fine"))
            #expect(try !db.tableExists("oops"))
        }
    }

    @Test func strictTablesRejectMistypedValues() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("strict.sqlite"))
        let runID = try recordSampleRun(database)
        #expect(throws: StoreError.self) {
            try database.write { db in
                try db.execute(sql: "INSERT INTO step_metrics VALUES (?, 99, 0, 'lots', 0.5, 0.1, 1.0)",
                               arguments: [runID])
            }
        }
        #expect(throws: StoreError.self) {
            try database.write { db in try db.execute(sql: "UPDATE runs SET status = 'exploded'") }
        }
        #expect(throws: StoreError.self) {
            try database.write { db in
                try db.execute(sql: "INSERT INTO snapshots (run_id, step, layer_index, probe_samples, units, dead_units, "
                               + "non_finite_units, pair_count) VALUES (9999, 0, 0, 1, 1, 0, 0, 0)")
            }
        }
    }
}
