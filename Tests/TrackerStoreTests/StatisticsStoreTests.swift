// Migration 0009 and the statistics it stores: columns per statistic, histograms, correlation matrices.
import Foundation
import GRDB
import Testing
import TrackerTestSupport
@testable import TrackerStore

@Suite struct StatisticsStoreTests {
    /// The statistic columns migration 0009 adds, in table order.
    static let addedColumns = [
        "mean_r_squared", "sd_r", "fraction_abs_r_above_0_5", "fraction_abs_r_above_0_9", "max_abs_r",
        "noise_floor_abs_r", "dead_fraction", "decov_per_pair", "participation_ratio", "class_selectivity",
        "effective_rank", "cka_previous", "cka_initial", "cka_previous_debiased", "cka_initial_debiased",
    ]

    /// A database written before 0009: its snapshots keep their values, read NULL in every new statistic, and the
    /// recreated view reads them with the new columns.
    @Test func snapshotsFromBeforeTheMigrationReadNullStatistics() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("v8.sqlite")
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try Migrator.migrate(db, path: path, migrations: Migration.all.filter { $0.version < 9 })
        }
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO architectures VALUES (1, 'h', '{"inputSize":4,"layers":[]}', '4-8relu-2', 4, 2, 58);
                INSERT INTO layers VALUES (1, 0, 'dense1', 'dense', 8, 'relu', 1, 1), (1, 1, 'output', 'dense', 2, NULL, 0, 0);
                INSERT INTO hyperparameter_sets VALUES (1, 'hp', '{"learning_rate":0.05}');
                INSERT INTO datasets (id, name, source, sample_count, feature_count, class_count, content_hash)
                    VALUES (1, 'digits', 'UCI', 10, 4, 2, 'data');
                INSERT INTO runs (id, uuid, name, status, created_at, seed, tracker_version, host, command_line,
                    architecture_id, hyperparameter_set_id, dataset_id, train_samples, test_samples, probe_samples,
                    total_steps, snapshot_schedule, blas_threads)
                VALUES (1, 'u-1', 'old', 'finished', '2026-11-01T00:00:00.000Z', 0, '0.1.0', 'h', 'tracker run', 1, 1,
                    1, 8, 2, 2, 2, '{}', 1);
                INSERT INTO snapshots VALUES (1, 0, 0, 'none', 2, 8, 1, 0, 21, 0.25, 0.1),
                                             (1, 2, 0, 'none', 2, 8, 0, 0, 28, 0.3, 0.2);
                """)
        }
        try queue.writeWithoutTransaction { db in try Migrator.migrate(db, path: path) }
        try queue.read { (db: Database) throws in
            #expect(try String.fetchOne(db, sql: "SELECT name FROM schema_migrations WHERE version = 9")
                        == "snapshot_statistics")
            let columns = try db.columns(in: "snapshots").map(\.name)
            #expect(Array(columns.suffix(Self.addedColumns.count)) == Self.addedColumns)
            #expect(try Row.fetchAll(db, sql: "SELECT step, mean_abs_r, mean_r FROM snapshots ORDER BY step")
                        == [["step": 0, "mean_abs_r": 0.25, "mean_r": 0.1], ["step": 2, "mean_abs_r": 0.3, "mean_r": 0.2]])
            for column in Self.addedColumns {
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM snapshot_series WHERE \(column) IS NULL") == 2,
                        "\(column) reads NULL for a run recorded before 0009")
            }
            #expect(try Double.fetchAll(db, sql: "SELECT mean_abs_r FROM snapshot_series ORDER BY step") == [0.25, 0.3])
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM snapshot_histograms") == 0)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM correlation_matrices") == 0)
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
        }
        let database = try TrackerDatabase.openForReading(path: path)
        let series = try database.snapshotSeries(runIDs: [1], statistic: "effective_rank")
        #expect(series.map(\.values) == [[nil, nil]])
        #expect(series.map(\.steps) == [[0, 2]])
    }

    @Test func theRecorderWritesStatisticsHistogramsAndMatrices() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("statistics.sqlite"))
        #expect(try database.snapshotStatisticColumns() == ["mean_abs_r", "mean_r"] + Self.addedColumns)
        let recorder = try database.beginRun(sampleRun(), statisticColumns: ["sd_r", "effective_rank"])
        var counts = [UInt32](repeating: 0, count: 40)
        counts[0] = 7
        counts[39] = 0x0102_0304
        let histogram = Data((0..<40).flatMap { bin in withUnsafeBytes(of: counts[bin].littleEndian, Array.init) })
        recorder.record(snapshot: SnapshotRow(step: 0, layerIndex: 0, probeSamples: 8, units: 3, deadUnits: 0,
                                              pairCount: 3, meanAbsR: 0.5, meanR: 0.1, statistics: [0.25, .nan],
                                              histogram: histogram))
        recorder.record(matrix: CorrelationMatrixRow(step: 0, layerIndex: 0, reduction: "none", units: 3,
                                                     upperTriangle: [0.5, -1, .nan]))
        try recorder.finish(.finished)
        try database.read { (db: Database) throws in
            let row = try Row.fetchOne(db, sql: "SELECT sd_r, effective_rank, cka_initial FROM snapshots")!
            #expect(row["sd_r"] as Double? == 0.25)
            #expect(row["effective_rank"] as Double? == nil, "a NaN statistic is stored as NULL")
            #expect(row["cka_initial"] as Double? == nil, "an unselected statistic is NULL")
            let blob = try Data.fetchOne(db, sql: "SELECT counts FROM snapshot_histograms")!
            #expect(blob.count == 160)
            #expect(Array(blob.prefix(4)) == [7, 0, 0, 0])
            #expect(Array(blob.suffix(4)) == [0x04, 0x03, 0x02, 0x01], "little-endian")
            let matrix = try Data.fetchOne(db, sql: "SELECT upper_triangle FROM correlation_matrices")!
            let values: [Float] = stride(from: 0, to: matrix.count, by: 4).map { offset in
                var bits: UInt32 = 0
                for byte in 0..<4 { bits |= UInt32(matrix[matrix.startIndex + offset + byte]) << (8 * byte) }
                return Float(bitPattern: bits)
            }
            #expect(values.count == 3)
            #expect(values[0] == 0.5 && values[1] == -1 && values[2].isNaN)
        }
        let series = try database.snapshotSeries(runIDs: [recorder.runID], statistic: "sd_r")
        #expect(series.first?.values == [0.25])
    }

    @Test func unknownStatisticColumnsAreRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("unknown.sqlite"))
        let known = Self.addedColumns
        #expect(throws: StoreError.unknownStatistic("median_r", known: known)) {
            try database.beginRun(sampleRun(), statisticColumns: ["median_r"])
        }
        #expect(throws: StoreError.unknownStatistic("units", known: known)) {
            try database.beginRun(sampleRun(), statisticColumns: ["units"])
        }
        #expect(throws: StoreError.unknownStatistic("mean_abs_r", known: known), "written from SnapshotRow.meanAbsR") {
            try database.beginRun(sampleRun(), statisticColumns: ["mean_abs_r"])
        }
        #expect(try database.runs().rows.isEmpty, "nothing was recorded")
        #expect(throws: StoreError.self) {
            try database.snapshotSeries(runIDs: [1], statistic: "units\" FROM runs --")
        }
    }
}
