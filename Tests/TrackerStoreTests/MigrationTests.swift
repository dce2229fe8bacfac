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

@Suite struct ShippedMigrationTests {
    /// A schema-1 file (as #2 wrote it) with one run, migrated by the shipped migrations: nothing is lost, old rows
    /// get the meaning they had (no reduction, probed = hidden, one BLAS thread), and the views read them.
    @Test func aVersionOneDatabaseKeepsItsRunsThroughEveryMigration() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("v1.sqlite")
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try Migrator.migrate(db, path: path, migrations: Array(Migration.all.prefix(1)))
        }
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO architectures VALUES (1, 'h', '{"inputSize":4,"layers":[]}', '4-8relu-2', 4, 2, 58);
                INSERT INTO layers VALUES (1, 0, 'dense1', 'dense', 8, 'relu', 1), (1, 1, 'output', 'dense', 2, NULL, 0);
                INSERT INTO hyperparameter_sets VALUES (1, 'hp', '{"learning_rate":0.05}');
                INSERT INTO hyperparameters VALUES (1, 'learning_rate', 0.05);
                INSERT INTO datasets VALUES (1, 'digits', 'UCI', 10, 4, 2, 'data');
                INSERT INTO runs (id, uuid, name, status, created_at, seed, tracker_version, host, command_line,
                    architecture_id, hyperparameter_set_id, dataset_id, train_samples, test_samples, probe_samples,
                    total_steps, snapshot_schedule)
                VALUES (1, 'u-1', 'old', 'finished', '2026-11-01T00:00:00.000Z', 0, '0.1.0', 'h', 'tracker run', 1, 1,
                    1, 8, 2, 2, 2, '{}');
                INSERT INTO step_metrics VALUES (1, 1, 0, 0.7, 0.5, 0.05, 0.01), (1, 2, 0, 0.6, 0.5, 0.05, 0.02);
                INSERT INTO snapshots VALUES (1, 0, 0, 2, 8, 1, 0, 21, 0.25, 0.1), (1, 2, 0, 2, 8, 0, 0, 28, 0.3, 0.2);
                """)
        }
        try queue.writeWithoutTransaction { db in try Migrator.migrate(db, path: path) }
        try queue.read { (db: Database) throws in
            #expect(try Int.fetchOne(db, sql: "PRAGMA user_version") == Migration.latestVersion)
            #expect(try Row.fetchAll(db, sql: "SELECT step, reduction, dead_units, mean_abs_r FROM snapshots ORDER BY step")
                        == [["step": 0, "reduction": "none", "dead_units": 1, "mean_abs_r": 0.25],
                            ["step": 2, "reduction": "none", "dead_units": 0, "mean_abs_r": 0.3]])
            #expect(try Int.fetchOne(db, sql: "SELECT blas_threads FROM runs") == 1)
            #expect(try Int.fetchAll(db, sql: "SELECT is_probed FROM layers ORDER BY layer_index") == [1, 0])
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM step_metrics WHERE gradient_norm IS NULL") == 2)
            #expect(try String.fetchAll(db, sql: "SELECT layer_name || ':' || reduction FROM snapshot_series")
                        == ["dense1:none", "dense1:none"])
            #expect(try Int.fetchOne(db, sql: "SELECT snapshot_rows FROM run_overview") == 2)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM phase_summary") == 0)
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
        }
    }

    /// A schema-3 file with a run: migration 0004 gives its steps a penalty of 0 (they had none), keeps train_loss,
    /// and adds an empty step_penalties table that new runs write to.
    @Test func aVersionThreeDatabaseGetsPenaltiesThroughMigrationFour() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("v3.sqlite")
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try Migrator.migrate(db, path: path, migrations: Array(Migration.all.prefix(3)))
        }
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO architectures VALUES (1, 'h', '{"inputSize":4,"layers":[]}', '4-8relu-2', 4, 2, 58);
                INSERT INTO hyperparameter_sets VALUES (1, 'hp', '{"learning_rate":0.05}');
                INSERT INTO datasets VALUES (1, 'digits', 'UCI', 10, 4, 2, 'data');
                INSERT INTO runs (id, uuid, name, status, created_at, seed, tracker_version, host, command_line,
                    architecture_id, hyperparameter_set_id, dataset_id, train_samples, test_samples, probe_samples,
                    total_steps, snapshot_schedule, blas_threads)
                VALUES (1, 'u-1', 'old', 'finished', '2026-11-01T00:00:00.000Z', 0, '0.1.0', 'h', 'tracker run', 1, 1,
                    1, 8, 2, 2, 2, '{}', 2);
                INSERT INTO step_metrics VALUES (1, 1, 0, 0.7, 0.5, 0.05, 0.01, 1.5), (1, 2, 0, NULL, 0.5, 0.05, 0.02, 1.2);
                """)
        }
        try queue.writeWithoutTransaction { db in try Migrator.migrate(db, path: path) }
        try queue.read { (db: Database) throws in
            #expect(try Int.fetchOne(db, sql: "PRAGMA user_version") == Migration.latestVersion)
            #expect(try String.fetchOne(db, sql: "SELECT name FROM schema_migrations WHERE version = 4")
                        == "step_penalties")
            #expect(try Row.fetchAll(db, sql: "SELECT step, train_loss, gradient_norm, penalty FROM step_metrics ORDER BY step")
                        == [["step": 1, "train_loss": 0.7, "gradient_norm": 1.5, "penalty": 0.0],
                            ["step": 2, "train_loss": nil, "gradient_norm": 1.2, "penalty": 0.0]])
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM step_penalties") == 0)
            #expect(try db.columns(in: "step_penalties").map(\.name) == ["run_id", "step", "name", "value"])
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
        }
        try queue.write { db in
            try db.execute(sql: "INSERT INTO step_penalties VALUES (1, 1, 'decov_dense1', 0.25)")
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO step_penalties VALUES (1, 1, 'decov_dense2', 'lots')")
            }
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO step_penalties VALUES (99, 1, 'decov_dense1', 0.25)")
            }
        }
    }

    /// A schema-5 file with runs on both bundled sets and on another row: 0006 gives the bundled rows their shape and
    /// their hash under the new formula (so new runs find them), leaves other rows as they were, and adds the
    /// empty run column for data paths.
    @Test func migration0006MovesTheBundledRowsToTheNewHashes() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("v5.sqlite")
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try Migrator.migrate(db, path: path, migrations: Array(Migration.all.prefix(5)))
        }
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO architectures VALUES (1, 'h', '{"inputSize":4,"layers":[]}', '4-2', 4, 2, 10);
                INSERT INTO hyperparameter_sets VALUES (1, 'hp', '{}');
                INSERT INTO datasets VALUES
                    (1, 'digits', 'UCI', 1797, 64, 10, 'cf7e26e57b05ca0df6c8c74907284c3304259880cb7ebc523919b068a1ba6454'),
                    (2, 'mnist-5k', 'MNIST', 5000, 784, 10,
                     'a49d791419f5a49a07ae72098b9e633aff717d1984460f6ce3fb3bfb9aee1734'),
                    (3, 'toy', 'a test', 3, 2, 2, 'other');
                INSERT INTO runs (id, uuid, status, created_at, seed, tracker_version, host, command_line,
                    architecture_id, hyperparameter_set_id, dataset_id, train_samples, test_samples, probe_samples,
                    total_steps, snapshot_schedule, blas_threads)
                VALUES (1, 'u-1', 'finished', '2026-11-01T00:00:00.000Z', 0, '0.1.0', 'h', 'tracker run', 1, 1, 2, 8, 2,
                    2, 2, '{}', 1);
                """)
        }
        try queue.writeWithoutTransaction { db in try Migrator.migrate(db, path: path) }
        try queue.read { (db: Database) throws in
            #expect(try String.fetchOne(db, sql: "SELECT name FROM schema_migrations WHERE version = 6") == "dataset_files")
            #expect(try Row.fetchAll(db, sql: "SELECT id, sample_shape, test_sample_count, content_hash FROM datasets ORDER BY id")
                    == [["id": 1, "sample_shape": "1x8x8", "test_sample_count": 0,
                         "content_hash": "58d88765731227cabe564f22320f045d55c7c569e0b477e661bd4071a5fed343"],
                        ["id": 2, "sample_shape": "1x28x28", "test_sample_count": 0,
                         "content_hash": "e2650b84afb7364b31b52b05b054ed288f32b1a7fad1dd74d7622a9378ff9250"],
                        ["id": 3, "sample_shape": nil, "test_sample_count": 0, "content_hash": "other"]])
            #expect(try Row.fetchAll(db, sql: "SELECT id, dataset_id, data_path FROM runs")
                    == [["id": 1, "dataset_id": 2, "data_path": nil]])
            #expect(try String.fetchOne(db, sql: "SELECT dataset FROM run_overview") == "mnist-5k")
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
        }
    }
}
