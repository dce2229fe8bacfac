// tracker run --data on files the test writes: a run end to end, and malformed files refused before the database.
import Foundation
import Testing
import TrackerTestSupport

@Suite(.serialized) struct DataCommandTests {
    /// An IDX file of unsigned bytes.
    func idx(_ dimensions: [Int], _ values: [UInt8]) -> Data {
        Data([0, 0, 0x08, UInt8(dimensions.count)]
             + dimensions.flatMap { withUnsafeBytes(of: UInt32($0).bigEndian, Array.init) } + values)
    }

    /// Writes `workspace/name` with 120 training and 40 test images of 4×4 whose label (0...3) is the bright quadrant.
    func writeIDX(_ workspace: Workspace, _ name: String) throws {
        try FileManager.default.createDirectory(atPath: workspace.path(name), withIntermediateDirectories: true)
        for (prefix, count) in [("train", 120), ("t10k", 40)] {
            let labels = (0..<count).map { UInt8(($0 * 5 + 1) % 4) }
            var pixels: [UInt8] = []
            for (item, label) in labels.enumerated() {
                for index in 0..<16 {
                    let quadrant = (index / 8) * 2 + (index % 4) / 2
                    let bright = quadrant == Int(label) ? 180 : 0
                    pixels.append(UInt8((item * 13 + index * 7) % 60 + bright))
                }
            }
            try idx([count, 4, 4], pixels).write(to: workspace.url.appending(path: "\(name)/\(prefix)-images-idx3-ubyte"))
            try idx([count], labels).write(to: workspace.url.appending(path: "\(name)/\(prefix)-labels-idx1-ubyte"))
        }
    }

    let small = ["--arch", "16", "--epochs", "3", "--probe-samples", "20", "--snapshot-every", "10"]

    @Test func aRunOnAnIDXDirectoryAndOnASyntheticSet() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        try writeIDX(workspace, "quadrants")
        let run = try TrackerProcess.run(["run", "--data", "quadrants"] + small, in: workspace.url)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.hasPrefix("run 1 ") && run.standardOutput.contains("finished"))
        let show = try workspace.tracker("show", "1", "--format", "json")
        let detail = try JSONSerialization.jsonObject(with: Data(show.standardOutput.utf8)) as? [String: Any]
        #expect(detail?["data_path"] as? String == "quadrants" && detail?["sample_shape"] as? String == "1x4x4")
        let synthetic = try TrackerProcess.run(["run", "--data", "synthetic:teacher,samples=300,seed=4"] + small,
                                               in: workspace.url)
        #expect(synthetic.status == 0, "\(synthetic.standardError)")
        let rows = try workspace.tracker("sql", """
            SELECT d.name, d.sample_shape, d.test_sample_count, r.data_path, r.train_samples, r.test_samples
            FROM runs r JOIN datasets d ON d.id = r.dataset_id ORDER BY r.id
            """, "--format", "csv")
        #expect(rows.standardOutput == """
            name,sample_shape,test_sample_count,data_path,train_samples,test_samples
            idx:quadrants,1x4x4,40,quadrants,120,40
            "synthetic:teacher,samples=300,classes=4,dimension=20,hidden=32,seed=4",20,0,"synthetic:teacher,samples=300,seed=4",240,60

            """)
    }

    /// Each malformed file: one line naming the file and the problem, exit 64, and no database created or changed.
    @Test func malformedFilesAreRefusedBeforeTheDatabaseIsOpened() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        try writeIDX(workspace, "bad")
        let images = workspace.url.appending(path: "bad/train-images-idx3-ubyte")
        let good = try Data(contentsOf: images)
        let cases: [(arguments: [String], message: String, prepare: () throws -> Void)] = [
            (["--data", "bad"], "Error: --data: bad/train-images-idx3-ubyte: truncated: its header announces images "
                + "of 120×4×4 (1936 bytes), the file has 1900", { try good.prefix(1900).write(to: images) }),
            (["--data", "bad"], "Error: --data: bad/train-images-idx3-ubyte: not an IDX file (it starts with 50 4b 03 "
                + "04; IDX files start with 00 00)", { try (Data([0x50, 0x4B, 3, 4]) + good.dropFirst(4)).write(to: images) }),
            (["--data", "bad"], "Error: --data: bad: missing t10k-labels-idx1-ubyte[.gz] (an IDX directory holds "
                + "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, "
                + "each plain or .gz)", {
                    try good.write(to: images)
                    try FileManager.default.removeItem(at: workspace.url.appending(path: "bad/t10k-labels-idx1-ubyte"))
                }),
            (["--data", "t.csv"], "Error: --data: t.csv: line 3, column 2: 'x' is not a number",
             { try Data("a,b,label\n1,2,0\n3,x,1\n".utf8).write(to: workspace.url.appending(path: "t.csv")) }),
            (["--data", "t.csv"], "Error: --data: t.csv: line 2, column 3: label '-2' is negative",
             { try Data("a,b,label\n1,2,-2\n".utf8).write(to: workspace.url.appending(path: "t.csv")) }),
            (["--data", "empty.csv"], "Error: --data: empty.csv: no samples (the file is empty)",
             { try Data().write(to: workspace.url.appending(path: "empty.csv")) }),
            (["--data", "t.csv", "--label-column", "kind"], "Error: --label-column: t.csv: no column named 'kind' "
                + "(columns: a, b, label)", {}),
            (["--data", "x.npy", "--labels", "y.npy"], "Error: --data: x.npy: dtype '<c16' is not supported for "
                + "features; tracker reads uint8, float32 and float64", {
                    let header = "{'descr': '<c16', 'fortran_order': False, 'shape': (1, 1), }".padding(
                        toLength: 117, withPad: " ", startingAt: 0) + "\n"
                    try (Data([0x93] + Array("NUMPY".utf8) + [1, 0, 118, 0]) + Data(header.utf8) + Data(count: 16))
                        .write(to: workspace.url.appending(path: "x.npy"))
                }),
            (["--data", "mystery.dat"], "Error: --data-format: mystery.dat: cannot tell its format from its first bytes "
                + "(ff 00 ff 00) or its name; say which (idx, cifar10, csv, npy, npz)",
             { try Data([0xFF, 0, 0xFF, 0]).write(to: workspace.url.appending(path: "mystery.dat")) }),
            (["--data", "t.csv", "--arch", "conv4k3-relu"], "Error: --arch: architecture 16-conv4k3relu-2: conv1 "
                + "(conv4k3relu) needs a C×H×W input, got 16 (the samples of 'csv:t.csv' have shape 16)", {
                    let rows = (0..<10).map { row in
                        (0..<16).map { "\(($0 + row) % 3)" }.joined(separator: ",") + ",\(row % 2)"
                    }
                    try Data(("h" + (1...16).map { ",f\($0)" }.joined() + "\n" + rows.joined(separator: "\n")).utf8)
                        .write(to: workspace.url.appending(path: "t.csv"))
                }),
        ]

        func runAll(database: String) throws {
            for (arguments, message, prepare) in cases {
                try prepare()
                let result = try TrackerProcess.run(["run", "--db", database] + arguments + ["--probe-samples", "2"],
                                                    in: workspace.url)
                #expect(result.status == 64, "\(arguments): \(result.standardError)")
                #expect(result.standardError == message + "\n", "\(arguments)")
                #expect(result.standardOutput.isEmpty)
            }
        }
        try runAll(database: "fresh.sqlite")
        #expect(!FileManager.default.fileExists(atPath: workspace.path("fresh.sqlite")), "no database is created")

        try writeIDX(workspace, "fine")
        #expect(try TrackerProcess.run(["run", "--db", "kept.sqlite", "--data", "fine"] + small, in: workspace.url).status == 0)
        let before = snapshot(workspace.path("kept.sqlite"))
        try writeIDX(workspace, "bad")
        try runAll(database: "kept.sqlite")
        #expect(snapshot(workspace.path("kept.sqlite")) == before, "an existing database is left byte for byte")
    }

    /// The data options are settings like any other: stored with the run, re-run by --like, read from --config.
    @Test func dataSettingsTravelInConfigurations() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        var rows: [String] = []
        for row in 0..<60 {
            var fields = ["\(row % 3)"]
            for column in 0..<4 {
                let value = Double((column + row) % 5) / 4 + (column == row % 3 ? 1.0 : 0.0)
                fields.append(String(format: "%.2f", value))
            }
            rows.append(fields.joined(separator: ","))
        }
        try Data(("kind,a,b,c,d\n" + rows.joined(separator: "\n")).utf8).write(to: workspace.url.appending(path: "t.csv"))
        let first = try TrackerProcess.run(["run", "--data", "t.csv", "--label-column", "kind", "--shape", "2x2",
                                            "--header", "yes", "--test-samples", "12", "--arch", "rnn8", "--epochs", "1",
                                            "--probe-samples", "5"], in: workspace.url)
        #expect(first.status == 0, "\(first.standardError)")
        let shown = try workspace.tracker("show", "1", "--config")
        #expect(shown.standardOutput.hasPrefix("data: t.csv\ndata-format: null\nlabels: null\nlabel-column: kind\n"
                                               + "header: yes\nshape: 2x2\n"))
        #expect(try workspace.tracker("run", "--like", "1").status == 0)
        try Data(shown.standardOutput.utf8).write(to: workspace.url.appending(path: "run.yaml"))
        #expect(try workspace.tracker("run", "--config", "run.yaml").status == 0)
        let stored = try workspace.tracker("sql", "SELECT DISTINCT d.name, d.sample_shape, r.data_path FROM runs r JOIN "
                                           + "datasets d ON d.id = r.dataset_id", "--format", "csv")
        #expect(stored.standardOutput == "name,sample_shape,data_path\ncsv:t.csv,2x2,t.csv\n")
    }

    @Test func helpNamesTheDataOptions() throws {
        let help = try TrackerProcess.run(["run", "--help"], in: FileManager.default.temporaryDirectory)
        for text in ["--data-format", "--labels", "--label-column", "--header", "--shape", "synthetic:clusters",
                     "synthetic:teacher", "synthetic:sequence", "t10k"] {
            #expect(help.standardOutput.contains(text), "run --help shows \(text)")
        }
    }

    /// The database file and its WAL and shared-memory companions, byte for byte.
    func snapshot(_ path: String) -> [String: Data] {
        var files: [String: Data] = [:]
        for suffix in ["", "-wal", "-shm", "-journal"] {
            if let data = FileManager.default.contents(atPath: path + suffix) { files[suffix] = data }
        }
        return files
    }
}
