// Creating a run: dedupe its architecture, hyperparameters and data set, insert the run, return its recorder.
import Foundation
import GRDB

extension TrackerDatabase {
    /// Inserts a new run with status `running`, and returns the recorder that writes its measurements.
    ///
    /// Architecture, hyperparameter set and data set rows are shared between runs with identical content
    /// (same SHA-256 of the canonical JSON), so `GROUP BY hyperparameter_set_id` groups seeds of one setting.
    ///
    /// - Parameter statisticColumns: the `snapshots` columns each ``SnapshotRow/statistics`` fills (beyond
    ///   `mean_abs_r` and `mean_r`), e.g. the names of the selected statistics of the registry.
    /// - Throws: ``StoreError/unknownStatistic(_:known:)`` for a name that is not a statistic column of this schema.
    public func beginRun(_ run: RunDescription, statisticColumns: [String] = []) throws -> RunRecorder {
        let known = try snapshotStatisticColumns()
        if let unknown = statisticColumns.first(where: { !known.contains($0) || Self.baseOnly($0) }) {
            throw StoreError.unknownStatistic(unknown, known: known.filter { !Self.baseOnly($0) })
        }
        let now = Timestamp.string()
        let runID: Int64 = try write { db in
            let architectureID = try insertArchitecture(run.architecture, db)
            let hyperparameterSetID = try insertHyperparameters(run.hyperparameters, db)
            let datasetID = try insertDataset(run.dataset, db)
            try db.execute(
                sql: """
                    INSERT INTO runs (uuid, name, status, created_at, started_at, heartbeat_at, seed, tracker_version,
                        host, command_line, architecture_id, hyperparameter_set_id, dataset_id, train_samples,
                        test_samples, probe_samples, total_steps, snapshot_schedule, blas_threads, configuration,
                        data_path)
                    VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [run.uuid.uuidString.lowercased(), run.name, now, now, now, run.seed, TrackerVersion.current,
                            run.host, run.commandLine, architectureID, hyperparameterSetID, datasetID,
                            run.trainSamples, run.testSamples, run.probeSamples, run.totalSteps,
                            run.snapshotScheduleJSON, run.blasThreads, run.configuration, run.dataPath])
            let runID = db.lastInsertedRowID
            for tag in Set(run.tags) {
                try db.execute(sql: "INSERT INTO tags (run_id, tag) VALUES (?, ?)", arguments: [runID, tag])
            }
            if let sweep = run.sweep {
                try db.execute(
                    sql: "INSERT INTO sweep_runs (run_id, sweep_uuid, run_index, run_key) VALUES (?, ?, ?, ?)",
                    arguments: [runID, sweep.sweepUUID, sweep.runIndex, sweep.runKey])
            }
            return runID
        }
        return RunRecorder(database: self, runID: runID, statisticColumns: statisticColumns)
    }

    private static func baseOnly(_ column: String) -> Bool { RunRecorder.baseStatisticColumns.contains(column) }

    /// The statistic columns of `snapshots` in this file's schema (every REAL column: `mean_abs_r`, `mean_r`, and
    /// those migration 0009 and later add), in table order.
    public func snapshotStatisticColumns() throws -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('snapshots') WHERE type = 'REAL' ORDER BY cid")
        }
    }

    private func insertArchitecture(_ architecture: ArchitectureDescription, _ db: Database) throws -> Int64 {
        let spec = try CanonicalJSON.canonicalize(architecture.specJSON)
        let hash = ContentHash.sha256Hex(spec)
        if let id = try Int64.fetchOne(db, sql: "SELECT id FROM architectures WHERE content_hash = ?", arguments: [hash]) {
            return id
        }
        try db.execute(
            sql: """
                INSERT INTO architectures (content_hash, spec, summary, input_size, output_size, parameter_count)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [hash, spec, architecture.summary, architecture.inputSize, architecture.outputSize,
                        architecture.parameterCount])
        let id = db.lastInsertedRowID
        for layer in architecture.layers {
            try db.execute(
                sql: """
                    INSERT INTO layers (architecture_id, layer_index, name, kind, units, activation, is_hidden,
                        is_probed)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [id, layer.index, layer.name, layer.kind, layer.units, layer.activation, layer.isHidden,
                            layer.isProbed])
        }
        return id
    }

    private func insertHyperparameters(_ values: [String: HyperparameterValue], _ db: Database) throws -> Int64 {
        let json = CanonicalJSON.object(values)
        let hash = ContentHash.sha256Hex(json)
        if let id = try Int64.fetchOne(db, sql: "SELECT id FROM hyperparameter_sets WHERE content_hash = ?",
                                       arguments: [hash]) {
            return id
        }
        try db.execute(sql: "INSERT INTO hyperparameter_sets (content_hash, canonical_json) VALUES (?, ?)",
                       arguments: [hash, json])
        let id = db.lastInsertedRowID
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            let sqlValue: DatabaseValue = switch value {
            case .integer(let integer): integer.databaseValue
            case .real(let real): real.databaseValue
            case .text(let text): text.databaseValue
            }
            try db.execute(sql: "INSERT INTO hyperparameters (set_id, key, value) VALUES (?, ?, ?)",
                           arguments: [id, key, sqlValue])
        }
        return id
    }

    private func insertDataset(_ dataset: DatasetDescription, _ db: Database) throws -> Int64 {
        if let id = try Int64.fetchOne(db, sql: "SELECT id FROM datasets WHERE content_hash = ?",
                                       arguments: [dataset.contentHash]) {
            return id
        }
        try db.execute(
            sql: """
                INSERT INTO datasets (name, source, sample_count, feature_count, class_count, content_hash,
                    sample_shape, test_sample_count)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [dataset.name, dataset.source, dataset.sampleCount, dataset.featureCount, dataset.classCount,
                        dataset.contentHash, dataset.sampleShape, dataset.testSampleCount])
        return db.lastInsertedRowID
    }
}

/// Canonical JSON: sorted keys, no insignificant whitespace, so equal content has equal bytes and hash.
enum CanonicalJSON {
    static func canonicalize(_ json: String) throws -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed]) else {
            throw StoreError.invalidArchitectureSpec(json)
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes,
                                                                                .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    /// `{"a":1,"b":0.05,"c":"relu"}` with keys sorted; reals in Swift's shortest round-trip form.
    static func object(_ values: [String: HyperparameterValue]) -> String {
        let members = values.sorted { $0.key < $1.key }.map { key, value in
            let encoded: String = switch value {
            case .integer(let integer): String(integer)
            case .real(let real): real.isFinite ? "\(real)" : "null"
            case .text(let text): string(text)
            }
            return "\(string(key)):\(encoded)"
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// `text` as a JSON string literal.
    static func string(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}
