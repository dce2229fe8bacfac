// runs.configuration (migration 0005): stored with a new run, read back with its tags, NULL for older runs.
import Foundation
import GRDB
import Testing
import TrackerTestSupport
@testable import TrackerStore

@Suite struct RunConfigurationTests {
    @Test func aRunStoresItsConfigurationAndReadsItBackWithItsTags() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("configuration.sqlite"))
        var run = sampleRun(tags: ["sweep", "a"])
        run.configuration = "lr: 0.05\nprobe: [dense1]\n"
        let runID = try recordSampleRun(database, run)
        let stored = try database.storedConfiguration(of: runID)
        #expect(stored == StoredRunConfiguration(runID: runID, configuration: "lr: 0.05\nprobe: [dense1]\n",
                                                 tags: ["a", "sweep"], trackerVersion: TrackerVersion.current))
        let without = try recordSampleRun(database, sampleRun(tags: []))
        #expect(try database.storedConfiguration(of: without).configuration == nil)
        #expect(try database.storedConfiguration(of: without).tags == [])
        #expect(throws: StoreError.self) { try database.storedConfiguration(of: 99) }
    }

    /// A file from just before 0005, with one run: after migrating, the run is kept, its configuration is NULL,
    /// and a new run stores one.
    @Test func runsRecordedBeforeMigration6HaveNoConfiguration() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("v5.sqlite")
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try Migrator.migrate(db, path: path, migrations: Migration.all.filter { $0.version < 5 })
        }
        try queue.write { db in
            #expect(try !db.columns(in: "runs").map(\.name).contains("configuration"))
            try db.execute(sql: """
                INSERT INTO architectures (id, content_hash, spec, summary, input_size, output_size, parameter_count)
                    VALUES (1, 'h', '{"inputSize":4,"layers":[]}', '4-8relu-2', 4, 2, 58);
                INSERT INTO hyperparameter_sets VALUES (1, 'hp', '{"learning_rate":0.05}');
                INSERT INTO datasets VALUES (1, 'digits', 'UCI', 10, 4, 2, 'data');
                INSERT INTO runs (id, uuid, name, status, created_at, seed, tracker_version, host, command_line,
                    architecture_id, hyperparameter_set_id, dataset_id, train_samples, test_samples, probe_samples,
                    total_steps, snapshot_schedule, blas_threads)
                VALUES (1, 'u-1', 'old', 'finished', '2026-11-01T00:00:00.000Z', 0, '0.3.0', 'h', 'tracker run', 1, 1,
                    1, 8, 2, 2, 2, '{}', 1);
                INSERT INTO tags VALUES (1, 'kept');
                """)
        }
        try queue.close()
        let database = try TrackerDatabase.open(path: path)
        #expect(try database.storedConfiguration(of: 1)
                == StoredRunConfiguration(runID: 1, configuration: nil, tags: ["kept"], trackerVersion: "0.3.0"))
        var run = sampleRun()
        run.configuration = "epochs: 2\n"
        let newRun = try recordSampleRun(database, run)
        #expect(try database.storedConfiguration(of: newRun).configuration == "epochs: 2\n")
        #expect(try database.query(sql: "SELECT count(*) FROM runs WHERE configuration IS NULL").rows == [[.integer(1)]])
    }
}
