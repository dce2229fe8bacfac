// `tracker ingest DIR`: a run trained elsewhere (PyTorch, JAX, ...) recorded from its activation dumps.
import Foundation
import TrackerAnalysis
import TrackerStore
import Yams

/// A layout that cannot be ingested, in one line naming the file and the problem.
public struct IngestError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What ingesting a directory did.
public struct IngestOutcome: Sendable, Equatable {
    public var runID: Int64
    public var uuid: String
    /// True when a run with this uuid was already in the database: nothing was written.
    public var alreadyPresent: Bool
    public var snapshotSteps: Int
    public var layers: [String]
    public var metricRows: Int
}

/// Records a run from the directory layout of docs/ingest.md:
///
///     DIR/run.json (or run.yaml)     uuid (required), name, architecture, layers, hyperparameters, dataset, seed, tags
///     DIR/metrics.jsonl              optional: one JSON object per line with step, train_loss, train_accuracy,
///                                    learning_rate (required), epoch, wall_time, test_loss, test_accuracy
///     DIR/labels.npy                 optional: the class of each probe sample (for class_selectivity)
///     DIR/step_<S>/<layer>.npy       (samples, units) activations of the probe set at step S
///
/// Every file is read and every statistic computed (``prepare(directory:statistics:)``) before anything is written
/// (``record(_:into:)``), so a bad file leaves the database as it was. Idempotent: a run whose uuid is already stored
/// is left as it is.
public enum RunIngestion {
    /// A run read from a directory, with its statistics computed, ready to be recorded.
    public struct PreparedRun: Sendable {
        let run: RunDescription
        let columns: [String]
        let metrics: [Metric]
        let rows: [SnapshotRow]
        let layers: [String]
        let snapshotSteps: Int
        public var uuid: String { run.uuid.uuidString.lowercased() }
    }

    /// ``prepare(directory:statistics:)`` then ``record(_:into:)``.
    public static func ingest(directory: String, into database: TrackerDatabase,
                              statistics selection: StatisticSelection = .standard) throws -> IngestOutcome {
        try record(try prepare(directory: directory, statistics: selection), into: database)
    }

    /// Records a prepared run, or does nothing when its uuid is already stored.
    public static func record(_ prepared: PreparedRun, into database: TrackerDatabase) throws -> IngestOutcome {
        if let existing = try database.runID(forUUID: prepared.uuid) {
            return IngestOutcome(runID: existing, uuid: prepared.uuid, alreadyPresent: true, snapshotSteps: 0,
                                 layers: [], metricRows: 0)
        }
        let recorder = try database.beginRun(prepared.run, statisticColumns: prepared.columns)
        for metric in prepared.metrics {
            recorder.record(step: metric.step)
            if let evaluation = metric.test { recorder.record(evaluation: evaluation) }
        }
        for row in prepared.rows { recorder.record(snapshot: row) }
        try recorder.finish(.finished)
        return IngestOutcome(runID: recorder.runID, uuid: prepared.uuid, alreadyPresent: false,
                             snapshotSteps: prepared.snapshotSteps, layers: prepared.layers,
                             metricRows: prepared.metrics.count)
    }

    /// Reads the layout in `directory` and computes the selected statistics of every dump.
    ///
    /// - Throws: ``IngestError`` or ``ActivationFileError`` naming the file at fault.
    public static func prepare(directory: String, statistics selection: StatisticSelection = .standard) throws
        -> PreparedRun {
        let folder = URL(fileURLWithPath: directory)
        let description = try readDescription(folder)
        let metrics = try readMetrics(folder.appendingPathComponent("metrics.jsonl"))
        let dumps = try listDumps(folder)
        guard !dumps.isEmpty else {
            throw IngestError("\(directory): no activation dumps (expected step_<S>/<layer>.npy)")
        }
        let labelsPath = folder.appendingPathComponent("labels.npy").path
        let labels = FileManager.default.fileExists(atPath: labelsPath) ? try ActivationFile.readLabels(path: labelsPath) : nil

        // Layers: those the description lists, in its order, then any other dumped ones by name.
        var layerNames = description.layers.map(\.name)
        for name in Set(dumps.flatMap { $0.layers.keys }).sorted() where !layerNames.contains(name) { layerNames.append(name) }
        let workspace = StatisticsWorkspace(selection: selection)
        let columns = ExperimentRunner.statisticColumns(selection)
        let indices = columns.map { name in SnapshotStatistic.all.firstIndex { $0.name == name }! }
        var rows: [SnapshotRow] = []
        var shapes: [String: (samples: Int, units: Int)] = [:]
        for dump in dumps {
            for (layerIndex, layer) in layerNames.enumerated() {
                guard let path = dump.layers[layer] else { continue }
                let matrix = try ActivationFile.read(path: path)
                if let shape = shapes[layer], shape != (matrix.samples, matrix.units) {
                    throw IngestError("\(path): shape (\(matrix.samples), \(matrix.units)) differs from the "
                                      + "(\(shape.samples), \(shape.units)) of \(layer) at earlier steps")
                }
                shapes[layer] = (matrix.samples, matrix.units)
                if let declared = description.layers.first(where: { $0.name == layer })?.units, declared != matrix.units {
                    throw IngestError("\(path): \(matrix.units) units, the run description says \(declared)")
                }
                let rowLabels = labels.map { ExperimentRunner.rowLabels($0, rows: matrix.samples) } ?? []
                if let labels, rowLabels.isEmpty {
                    throw IngestError("\(labelsPath): \(labels.count) labels for \(matrix.samples) rows in \(path)")
                }
                let computed = rowLabels.withUnsafeBufferPointer { labelBuffer in
                    let labels = labelBuffer.isEmpty ? nil : labelBuffer
                    switch matrix.values {
                    case .float32(let values):
                        return values.withUnsafeBufferPointer {
                            workspace.compute($0, samples: matrix.samples, units: matrix.units, labels: labels,
                                              series: layerIndex)
                        }
                    case .float64(let values):
                        return values.withUnsafeBufferPointer {
                            workspace.compute($0, samples: matrix.samples, units: matrix.units, labels: labels,
                                              series: layerIndex)
                        }
                    }
                }
                let summary = computed.summary
                rows.append(SnapshotRow(
                    step: dump.step, layerIndex: layerIndex, reduction: "none", probeSamples: summary.samples,
                    units: summary.units, deadUnits: summary.deadUnits, nonFiniteUnits: summary.nonFiniteUnits,
                    pairCount: summary.pairCount, meanAbsR: summary.meanAbsR, meanR: summary.meanR,
                    statistics: indices.map { computed.values[$0] },
                    histogram: computed.histogram.map(CorrelationHistogram.encode)))
            }
        }
        let probeSamples = shapes.values.map(\.samples).max() ?? 0
        let totalSteps = max(metrics.map(\.step.step).max() ?? 0, dumps.last?.step ?? 0)
        let layers = layerNames.enumerated().map { index, name in
            let declared = description.layers.first { $0.name == name }
            return LayerDescription(index: index, name: name, kind: declared?.kind ?? "external",
                                    units: declared?.units ?? shapes[name]?.units ?? 0,
                                    activation: declared?.activation, isHidden: true, isProbed: shapes[name] != nil)
        }
        let layerJSON = layers.map { layer in
            "{\"activation\":\(layer.activation.map(jsonString) ?? "null"),\"kind\":\(jsonString(layer.kind)),"
                + "\"name\":\(jsonString(layer.name)),\"units\":\(layer.units)}"
        }
        let spec = "{\"kind\":\"external\",\"layers\":[\(layerJSON.joined(separator: ","))],"
            + "\"summary\":\(jsonString(description.architecture))}"
        let datasetJSON = "{\"classes\":\(description.dataset.classes),\"features\":\(description.dataset.features),"
            + "\"name\":\(jsonString(description.dataset.name)),\"samples\":\(description.dataset.samples),"
            + "\"source\":\(jsonString(description.dataset.source))}"
        let schedule = "{\"kind\":\"ingested\",\"steps\":[" + dumps.map { String($0.step) }.joined(separator: ",") + "]}"
        let run = RunDescription(
            uuid: UUID(uuidString: description.uuid)!, name: description.name, seed: description.seed,
            host: ProcessInfo.processInfo.hostName, commandLine: "tracker ingest \(directory)",
            architecture: ArchitectureDescription(
                specJSON: spec, summary: description.architecture, inputSize: description.dataset.features,
                outputSize: description.dataset.classes, parameterCount: description.parameterCount, layers: layers),
            hyperparameters: description.hyperparameters,
            dataset: DatasetDescription(name: description.dataset.name, source: description.dataset.source,
                                        sampleCount: description.dataset.samples,
                                        featureCount: description.dataset.features,
                                        classCount: description.dataset.classes,
                                        contentHash: ContentHash.sha256Hex(datasetJSON)),
            trainSamples: description.trainSamples, testSamples: description.testSamples, probeSamples: probeSamples,
            totalSteps: totalSteps, snapshotScheduleJSON: schedule, tags: description.tags)
        return PreparedRun(run: run, columns: columns, metrics: metrics, rows: rows,
                           layers: layerNames.filter { shapes[$0] != nil }, snapshotSteps: dumps.count)
    }

    // MARK: The run description

    struct Description {
        struct Layer {
            var name: String
            var units: Int?
            var kind: String?
            var activation: String?
        }
        struct Dataset {
            var name = "external"
            var source = "ingested activations"
            var samples = 0
            var features = 0
            var classes = 0
        }
        var uuid: String
        var name: String?
        var architecture = "external"
        var layers: [Layer] = []
        var hyperparameters: [String: HyperparameterValue] = [:]
        var dataset = Dataset()
        var seed: Int64 = 0
        var tags: [String] = []
        var trainSamples = 0
        var testSamples = 0
        var parameterCount = 0
    }

    static func readDescription(_ folder: URL) throws -> Description {
        let candidates = ["run.json", "run.yaml", "run.yml"].map { folder.appendingPathComponent($0) }
        guard let file = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            throw IngestError("\(folder.path): no run description (run.json or run.yaml)")
        }
        let path = file.path
        let contents = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        let parsed: Any?
        do { parsed = try Yams.load(yaml: contents) } catch { throw IngestError("\(path): not valid YAML or JSON (\(error))") }
        guard let root = parsed as? [String: Any] else { throw IngestError("\(path): expected an object of fields") }
        func text(_ key: String, in object: [String: Any] = root) throws -> String? {
            guard let value = object[key], !(value is NSNull) else { return nil }
            if let string = value as? String { return string }
            if let number = value as? Int { return String(number) }
            if let number = value as? Double { return String(number) }
            throw IngestError("\(path): \(key) must be text")
        }
        func integer(_ key: String, in object: [String: Any] = root) throws -> Int? {
            guard let value = object[key], !(value is NSNull) else { return nil }
            guard let number = value as? Int, number >= 0 else { throw IngestError("\(path): \(key) must be an integer ≥ 0") }
            return number
        }
        guard let uuid = try text("uuid"), let parsedUUID = UUID(uuidString: uuid) else {
            throw IngestError("\(path): uuid is required and must be a UUID (e.g. \(UUID().uuidString.lowercased())): "
                              + "it makes ingesting the same run twice change nothing")
        }
        var description = Description(uuid: parsedUUID.uuidString.lowercased())
        description.name = try text("name")
        description.architecture = try text("architecture") ?? "external"
        description.seed = Int64(try integer("seed") ?? 0)
        description.trainSamples = try integer("train_samples") ?? 0
        description.testSamples = try integer("test_samples") ?? 0
        description.parameterCount = try integer("parameter_count") ?? 0
        if let tags = root["tags"] {
            guard let list = tags as? [Any], let names = list.map({ $0 as? String }) as? [String] else {
                throw IngestError("\(path): tags must be a list of names")
            }
            description.tags = names
        }
        if let layers = root["layers"] {
            guard let list = layers as? [[String: Any]] else {
                throw IngestError("\(path): layers must be a list of objects with a name (and units, kind, activation)")
            }
            for (index, layer) in list.enumerated() {
                guard let name = try text("name", in: layer), !name.isEmpty else {
                    throw IngestError("\(path): layer \(index + 1) has no name")
                }
                description.layers.append(Description.Layer(
                    name: name, units: try integer("units", in: layer), kind: try text("kind", in: layer),
                    activation: try text("activation", in: layer)))
            }
        }
        if let values = root["hyperparameters"] {
            guard let object = values as? [String: Any] else { throw IngestError("\(path): hyperparameters must be an object") }
            for (key, value) in object {
                switch value {
                case let flag as Bool: description.hyperparameters[key] = .integer(flag ? 1 : 0)
                case let number as Int: description.hyperparameters[key] = .integer(Int64(number))
                case let number as Double: description.hyperparameters[key] = .real(number)
                case let string as String: description.hyperparameters[key] = .text(string)
                default: throw IngestError("\(path): hyperparameter \(key) must be a number, text or true/false")
                }
            }
        }
        if let dataset = root["dataset"] {
            guard let object = dataset as? [String: Any] else { throw IngestError("\(path): dataset must be an object") }
            description.dataset.name = try text("name", in: object) ?? "external"
            description.dataset.source = try text("source", in: object) ?? "ingested activations"
            description.dataset.samples = try integer("samples", in: object) ?? 0
            description.dataset.features = try integer("features", in: object) ?? 0
            description.dataset.classes = try integer("classes", in: object) ?? 0
        }
        return description
    }

    // MARK: Metrics and dumps

    struct Metric: Sendable {
        var step: StepMetricsRow
        var test: EvaluationRow?
    }

    static func readMetrics(_ file: URL) throws -> [Metric] {
        guard FileManager.default.fileExists(atPath: file.path) else { return [] }
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { throw IngestError("\(file.path): unreadable") }
        var metrics: [Metric] = []
        for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let place = "\(file.path):\(number + 1)"
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                throw IngestError("\(place): not a JSON object")
            }
            func real(_ key: String) throws -> Double? {
                guard let value = object[key], !(value is NSNull) else { return nil }
                guard let number = value as? NSNumber else { throw IngestError("\(place): \(key) must be a number") }
                return number.doubleValue
            }
            func required(_ key: String) throws -> Double {
                guard let value = try real(key) else { throw IngestError("\(place): \(key) is required") }
                return value
            }
            let step = try required("step")
            guard step >= 0, step == step.rounded() else { throw IngestError("\(place): step must be an integer ≥ 0") }
            let row = StepMetricsRow(step: Int(step), epoch: Int(try real("epoch") ?? 0),
                                     trainLoss: try required("train_loss"), trainAccuracy: try required("train_accuracy"),
                                     learningRate: try required("learning_rate"), wallTime: try real("wall_time") ?? 0)
            var test: EvaluationRow?
            if let accuracy = try real("test_accuracy") {
                test = EvaluationRow(step: Int(step), split: "test", loss: try real("test_loss") ?? .nan,
                                     accuracy: accuracy, sampleCount: Int(try real("test_samples") ?? 0),
                                     wallTime: row.wallTime)
            }
            metrics.append(Metric(step: row, test: test))
        }
        let steps = metrics.map(\.step.step)
        if Set(steps).count != steps.count { throw IngestError("\(file.path): a step appears twice") }
        return metrics.sorted { $0.step.step < $1.step.step }
    }

    struct Dump {
        var step: Int
        /// Layer name → file path.
        var layers: [String: String]
    }

    static func listDumps(_ folder: URL) throws -> [Dump] {
        let manager = FileManager.default
        guard let entries = try? manager.contentsOfDirectory(atPath: folder.path) else {
            throw IngestError("\(folder.path): not a readable directory")
        }
        var dumps: [Dump] = []
        for entry in entries where entry.hasPrefix("step_") {
            guard let step = Int(entry.dropFirst(5)), step >= 0 else {
                throw IngestError("\(folder.appendingPathComponent(entry).path): expected step_<S> with S an integer ≥ 0")
            }
            let stepFolder = folder.appendingPathComponent(entry)
            let files = ((try? manager.contentsOfDirectory(atPath: stepFolder.path)) ?? []).filter { $0.hasSuffix(".npy") }
            var layers: [String: String] = [:]
            for file in files { layers[String(file.dropLast(4))] = stepFolder.appendingPathComponent(file).path }
            if !layers.isEmpty { dumps.append(Dump(step: step, layers: layers)) }
        }
        if Set(dumps.map(\.step)).count != dumps.count { throw IngestError("\(folder.path): a step has two folders") }
        return dumps.sorted { $0.step < $1.step }
    }

    private static func jsonString(_ text: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}
