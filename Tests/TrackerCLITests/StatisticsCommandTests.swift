// Statistics end to end: run --statistics/--store-matrices, show and phases --stat, matrix, statistics, correlate, ingest.
import Foundation
import Testing

/// The bytes of a NumPy .npy file (format 1.0) of a little-endian array, as numpy.save writes it.
func npyFile(descr: String, shape: [Int], payload: [UInt8]) -> Data {
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
    header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
    let length = header.utf8.count
    return Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8)
                + payload)
}

func npyFile(_ values: [Float], rows: Int, columns: Int) -> Data {
    npyFile(descr: "<f4", shape: [rows, columns],
            payload: values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
}

func npyFile(labels: [Int64]) -> Data {
    npyFile(descr: "<i8", shape: [labels.count], payload: labels.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) })
}

/// A zip archive with stored (uncompressed) members, as numpy.savez writes .npz files.
func storedZip(_ members: [(String, Data)]) -> Data {
    func u16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
    func u32(_ value: Int) -> [UInt8] { u16(value & 0xFFFF) + u16(value >> 16) }
    var archive: [UInt8] = []
    var directory: [UInt8] = []
    for (name, data) in members {
        let offset = archive.count
        let fields = u16(20) + u16(0) + u16(0) + u16(0) + u16(0) + u32(0) + u32(data.count) + u32(data.count)
            + u16(name.utf8.count) + u16(0)
        archive += u32(0x0403_4B50) + fields + Array(name.utf8) + Array(data)
        directory += u32(0x0201_4B50) + u16(20) + fields + u16(0) + u16(0) + u16(0) + u32(0) + u32(offset)
            + Array(name.utf8)
    }
    let start = archive.count
    archive += directory + u32(0x0605_4B50) + u16(0) + u16(0) + u16(members.count) + u16(members.count)
        + u32(directory.count) + u32(start) + u16(0)
    return Data(archive)
}

@Suite(.serialized) struct StatisticsCommandTests {
    @Test func aRunWithEveryStatisticIsShownAnalysedAndItsMatricesWrittenOut() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let run = try TrackerProcess.run(quickRun + ["--statistics", "all", "--store-matrices", "4"], in: workspace.url)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("correlation matrices stored, each: dense1 1 KB, dense2 264 bytes"),
                "\(run.standardOutput)")
        let show = try workspace.tracker("show", "1", "--stat", "effective_rank", "--format", "json")
        #expect(show.status == 0, "\(show.standardError)")
        #expect(show.standardOutput.contains("\"effective_rank\":[{\"layer\":\"dense1\""), "\(show.standardOutput)")
        let phases = try workspace.tracker("phases", "1", "--stat", "mean_r_squared", "--format", "csv")
        #expect(phases.status == 0, "\(phases.standardError)")
        #expect(phases.standardOutput.split(separator: "\n").count == 3, "header and two layers")
        let stored = try workspace.tracker("sql", "--format", "csv",
                                           "SELECT DISTINCT statistic FROM phase_results ORDER BY statistic")
        #expect(stored.standardOutput == "statistic\nmean_abs_r\nmean_r_squared\n")

        let matrix = try workspace.tracker("matrix", "1", "--layer", "dense1", "--step", "0", "--output", "m.npy")
        #expect(matrix.status == 0, "\(matrix.standardError)")
        #expect(matrix.standardError.contains("24 × 24, stored as 276 float32 values (1104 bytes)"))
        let bytes = [UInt8](try Data(contentsOf: workspace.url.appending(path: "m.npy")))
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect(String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
                    .hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (24, 24), }"))
        #expect((10 + headerLength) % 64 == 0)
        let values: [Float] = stride(from: 10 + headerLength, to: bytes.count, by: 4).map { offset in
            Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) })
        }
        #expect(values.count == 24 * 24)
        for i in 0..<24 {
            #expect(values[i * 24 + i] == 1 || values[i * 24 + i].isNaN)
            for j in 0..<24 where !values[i * 24 + j].isNaN {
                #expect(values[i * 24 + j] == values[j * 24 + i] && abs(values[i * 24 + j]) <= 1)
            }
        }
        let csv = try workspace.tracker("matrix", "1", "--layer", "dense2", "--format", "csv")
        #expect(csv.status == 0)
        #expect(csv.standardOutput.split(separator: "\n").count == 12)
        #expect(csv.standardOutput.split(separator: "\n").allSatisfy { $0.split(separator: ",").count == 12 })
        let missing = try workspace.tracker("matrix", "1", "--layer", "dense1", "--step", "3")
        #expect(missing.status == 1)
        #expect(missing.standardError.hasPrefix("Error: run 1 stored no correlation matrix of dense1 at step 3 (stored steps: 0, "))

        let list = try workspace.tracker("statistics", "--format", "csv")
        #expect(list.status == 0)
        for name in ["mean_r_squared", "r_histogram", "effective_rank", "cka_initial_debiased", "class_selectivity"] {
            #expect(list.standardOutput.contains("\n\(name),"), "\(name)")
        }
        let unknown = try workspace.tracker("show", "1", "--stat", "median_r")
        #expect(unknown.status == 64)
        #expect(unknown.standardError.hasPrefix("Error: --stat: no snapshot statistic named 'median_r' (known: mean_abs_r,"))
        let badList = try workspace.tracker("run", "--statistics", "default,median_r", "--epochs", "1")
        #expect(badList.status == 64)
        #expect(badList.standardError.hasPrefix("Error: --statistics: expected default, all, or statistic names"))
        let tooLarge = try workspace.tracker("run", "--arch", "6000", "--store-matrices", "1", "--epochs", "1")
        #expect(tooLarge.status == 64)
        #expect(tooLarge.standardError.contains("--store-matrices: the correlation matrix of dense1 (6000 units) takes 68 MiB"))
    }

    @Test func correlateReadsNpyNpzAndCsvAlike() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        // Units: a; a copy; its negation; b (independent-ish): r(0,1) = 1, r(0,2) = r(1,2) = −1.
        let a: [Float] = [1, 2, 4, 3, 0, 5, 2, 1]
        let b: [Float] = [3, 1, 0, 2, 2, 1, 4, 0]
        var values: [Float] = []
        for k in 0..<8 { values += [a[k], a[k], -a[k], b[k]] }
        let npy = npyFile(values, rows: 8, columns: 4)
        try npy.write(to: workspace.url.appending(path: "acts.npy"))
        try storedZip([("fc1.npy", npy), ("other.npy", npyFile([1, 2], rows: 2, columns: 1))])
            .write(to: workspace.url.appending(path: "acts.npz"))
        let csv = "u0,u1,u2,u3\n" + (0..<8).map { k in (0..<4).map { "\(values[k * 4 + $0])" }.joined(separator: ",") }
            .joined(separator: "\n") + "\n"
        try csv.write(to: workspace.url.appending(path: "acts.csv"), atomically: true, encoding: .utf8)
        try npyFile(labels: [0, 0, 1, 1, 0, 1, 0, 1]).write(to: workspace.url.appending(path: "labels.npy"))

        var outputs: [String] = []
        for arguments in [["acts.npy"], ["acts.npz", "--array", "fc1"], ["acts.csv"]] {
            let result = try TrackerProcess.run(["correlate"] + arguments + ["--format", "json"], in: workspace.url)
            #expect(result.status == 0, "\(arguments): \(result.standardError)")
            let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as! [String: Any]
            let statistics = object["statistics"] as! [String: Any]
            #expect(object["pair_count"] as? Int == 6)
            #expect((statistics["max_abs_r"] as? Double).map { abs($0 - 1) < 1e-12 } == true)
            #expect((statistics["fraction_abs_r_above_0_9"] as? Double).map { abs($0 - 0.5) < 1e-12 } == true)
            #expect(statistics["cka_previous"] is NSNull)
            let histogram = (object["r_histogram"] as! [String: Any])["counts"] as! [Int]
            #expect(histogram.reduce(0, +) == 6 && histogram[0] == 2 && histogram[39] == 1)
            outputs.append(result.standardOutput.replacingOccurrences(of: "\"precision\":\"float64\"", with: "\"precision\":\"float32\"")
                .replacingOccurrences(of: "\"file\":\"\(arguments[0])\"", with: ""))
        }
        #expect(outputs[0] == outputs[1] && outputs[1] == outputs[2], "the three files hold the same numbers")

        let labelled = try workspace.tracker("correlate", "acts.npy", "--labels", "labels.npy", "--statistics",
                                             "class_selectivity", "--format", "csv")
        #expect(labelled.status == 0)
        #expect(labelled.standardOutput.contains("\nclass_selectivity,"))
        #expect(!labelled.standardOutput.contains("\neffective_rank"))

        var broken = values
        broken[9] = .nan
        try npyFile(broken, rows: 8, columns: 4).write(to: workspace.url.appending(path: "nan.npy"))
        let nan = try workspace.tracker("correlate", "nan.npy")
        #expect(nan.status == 1)
        #expect(nan.standardError == "Error: nan.npy: 1 value is NaN or infinite (the first at row 3, column 2); "
                + "correlations need finite activations\n")
        let several = try workspace.tracker("correlate", "acts.npz")
        #expect(several.standardError == "Error: acts.npz: holds 2 arrays (fc1, other): name one\n")
        let threeD = try workspace.tracker("correlate", "cube.npy")
        #expect(threeD.status == 1 && threeD.standardError.contains("cube.npy: cannot read the file"))
    }

    @Test func ingestRecordsALayoutOnceWithTheSameStatistics() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let folder = workspace.url.appending(path: "torch-run")
        let manager = FileManager.default
        var generator = SystemRandomNumberGenerator()
        var firstDump: [Float] = []
        for step in [0, 50, 100] {
            let stepFolder = folder.appending(path: "step_\(step)")
            try manager.createDirectory(at: stepFolder, withIntermediateDirectories: true)
            let fc1 = (0..<(40 * 6)).map { _ in max(0, Float.random(in: -1...1, using: &generator)) }
            if step == 0 { firstDump = fc1 }
            try npyFile(fc1, rows: 40, columns: 6).write(to: stepFolder.appending(path: "fc1.npy"))
            try npyFile((0..<(40 * 3)).map { _ in Float.random(in: -1...1, using: &generator) }, rows: 40, columns: 3)
                .write(to: stepFolder.appending(path: "fc2.npy"))
        }
        try npyFile(labels: (0..<40).map { Int64($0 % 4) }).write(to: folder.appending(path: "labels.npy"))
        try """
            uuid: 6c0ffee0-1234-4abc-8def-000000000042
            name: torch mlp
            architecture: 784-6relu-3-10
            layers: [{name: fc1, units: 6, kind: linear, activation: relu}, {name: fc2, units: 3}]
            hyperparameters: {lr: 0.1, optimizer: sgd, batch_size: 32}
            dataset: {name: mnist, samples: 70000, features: 784, classes: 10}
            tags: [pytorch]
            """.write(to: folder.appending(path: "run.yaml"), atomically: true, encoding: .utf8)
        try (1...100).map { "{\"step\": \($0), \"train_loss\": \(1.0 / Double($0)), \"train_accuracy\": 0.5, \"learning_rate\": 0.1}" }
            .joined(separator: "\n").write(to: folder.appending(path: "metrics.jsonl"), atomically: true, encoding: .utf8)

        let first = try workspace.tracker("ingest", "torch-run", "--statistics", "all")
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput == "run 1 (uuid 6c0ffee0-1234-4abc-8def-000000000042) ingested: 3 snapshot steps "
                + "of fc1, fc2, 100 metric rows\n")
        let rows = try workspace.tracker("sql", "--format", "csv", """
            SELECT layer_name, count(*), count(mean_r_squared), count(cka_initial), count(cka_previous)
            FROM snapshot_series GROUP BY layer_name ORDER BY layer_name
            """)
        #expect(rows.standardOutput.hasSuffix("fc1,3,3,3,2\nfc2,3,3,3,2\n"), "\(rows.standardOutput)")
        let selectivity = try workspace.tracker("sql", "--format", "csv",
                                                "SELECT class_selectivity IS NOT NULL FROM snapshots WHERE step = 0 ORDER BY layer_index")
        #expect(selectivity.standardOutput.hasSuffix("\n1\n0\n"), "ReLU fc1 has it; fc2's values are signed")
        // The statistics are those correlate computes on the same file.
        try npyFile(firstDump, rows: 40, columns: 6).write(to: workspace.url.appending(path: "first.npy"))
        let direct = try workspace.tracker("correlate", "first.npy", "--format", "json")
        let stored = try workspace.tracker("sql", "--format", "csv",
                                           "SELECT mean_abs_r, participation_ratio FROM snapshots WHERE step = 0 AND layer_index = 0")
        let object = try JSONSerialization.jsonObject(with: Data(direct.standardOutput.utf8)) as! [String: Any]
        let statistics = object["statistics"] as! [String: Any]
        let storedValues = stored.standardOutput.split(separator: "\n")[1].split(separator: ",").map { Double($0)! }
        #expect(abs(storedValues[0] - (statistics["mean_abs_r"] as! Double)) < 1e-12)
        #expect(abs(storedValues[1] - (statistics["participation_ratio"] as! Double)) < 1e-9)
        let run = try workspace.tracker("sql", "--format", "csv",
                                        "SELECT name, architecture, dataset, tags, last_step, total_steps FROM run_overview")
        #expect(run.standardOutput.hasSuffix("torch mlp,784-6relu-3-10,mnist,pytorch,100,100\n"), "\(run.standardOutput)")

        let again = try workspace.tracker("ingest", "torch-run")
        #expect(again.status == 0)
        #expect(again.standardOutput.contains("is already in tracker.sqlite: nothing changed"))
        #expect(try workspace.tracker("sql", "SELECT count(*) FROM runs", "--format", "csv").standardOutput == "count(*)\n1\n")

        try manager.removeItem(at: folder.appending(path: "run.yaml"))
        try "{\"name\": \"no uuid\"}".write(to: folder.appending(path: "run.json"), atomically: true, encoding: .utf8)
        let other = try Workspace()
        defer { other.cleanup() }
        let bad = try TrackerProcess.run(["ingest", folder.path], in: other.url)
        #expect(bad.status == 1)
        #expect(bad.standardError.contains("run.json: uuid is required and must be a UUID"))
        #expect(!manager.fileExists(atPath: other.path("tracker.sqlite")), "nothing written for a bad layout")
    }
}
