// `tracker plot` end to end on the four runs of CompareFixture: the SVG's structure (panels, a path per run or group,
// bands, peaks, phases, noise floors, legend), PNG through rsvg-convert, and bad input failing in one line with
// nothing written.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TrackerTestSupport

/// Elements of an SVG document by class (FoundationXML misses attributes of namespaced elements by name lookup,
/// so attributes are read from the list).
func svgElements(_ svg: String, class name: String) throws -> [XMLElement] {
    let document = try XMLDocument(xmlString: svg, options: [])
    return try document.nodes(forXPath: "//*").compactMap { $0 as? XMLElement }.filter { element in
        let classes = element.attributes?.first { $0.name == "class" }?.stringValue ?? ""
        return classes.split(separator: " ").contains { $0 == name }
    }
}

@Suite(.serialized) struct PlotCommandTests {
    /// Rows of `tracker phases --format csv` on the fixture's runs.
    func phases(_ workspace: Workspace) throws -> [[String: String]] {
        parseCSV(try workspace.onRuns("phases", "--format", "csv").standardOutput).rows
    }

    @Test func aLinePerRunWithPeaksPhasesAndNoiseFloorsPerLayer() throws {
        let workspace = try CompareFixture.workspace()
        defer { workspace.cleanup() }
        let result = try workspace.onRuns("plot", "--out", "runs.svg")
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError == "wrote runs.svg: 2 panels, 4 lines\n")
        let svg = try String(contentsOfFile: workspace.path("runs.svg"), encoding: .utf8)
        #expect(try svgElements(svg, class: "panel").count == 2)
        #expect(try svgElements(svg, class: "panel-title").map(\.stringValue) == ["dense1", "dense2"])
        #expect(try svgElements(svg, class: "series").count == 8)  // 4 runs × 2 layers, one path each
        #expect(try svgElements(svg, class: "band").isEmpty)
        // A peak marked, a rise and a decay shaded, for each series the detector calls rise_then_decay.
        let peaked = try phases(workspace).filter { $0["class"] == "rise_then_decay" }.count
        #expect(try svgElements(svg, class: "marker").count == peaked)
        #expect(try svgElements(svg, class: "span").count == 2 * peaked)
        // The noise floor of mean |r| (one probe-set size, so one per panel), dashed.
        let floors = try svgElements(svg, class: "reference")
        #expect(floors.count == 2)
        #expect(floors.allSatisfy { $0.attributes?.first { $0.name == "stroke-dasharray" }?.stringValue == "6 4" })
        // The legend names what differs: the learning rate, and the seed of runs alone; in `compare`'s order.
        let legend = try svgElements(svg, class: "legend-entry").map { $0.stringValue ?? "" }
        #expect(legend.prefix(4) == ["run 3: learning_rate=0.02, seed 1", "run 4: learning_rate=0.02, seed 2",
                                     "run 1: learning_rate=0.05, seed 1", "run 2: learning_rate=0.05, seed 2"])
        #expect(legend.contains("noise floor (independent units)"))
        #expect(try svgElements(svg, class: "axis-label").map(\.stringValue).prefix(2) == ["step", "mean_abs_r"])
        // Written again from the same runs: the same bytes.
        #expect(try workspace.onRuns("plot", "--out", "again.svg").status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: workspace.path("again.svg"))) == Data(svg.utf8))
    }

    /// Grouped by chosen keys, the legend names those keys only (not the architecture that also differs), and runs
    /// of two architectures give each one's layers in its own order, a shared layer name in one panel.
    @Test func groupedLegendsNameTheKeysAndPanelsFollowEachArchitecture() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        for (arch, rate) in [("dense24-relu", "0.05"), ("dense16-tanh-dense8-tanh", "0.02")] {
            let run = try workspace.tracker("run", "--arch", arch, "--lr", rate, "--epochs", "1", "--snapshot-every", "10")
            #expect(run.status == 0, "\(run.standardError)")
        }
        let result = try workspace.tracker("plot", "--group-by", "lr", "--out", "mixed.svg")
        #expect(result.status == 0, "\(result.standardError)")
        let svg = try String(contentsOfFile: workspace.path("mixed.svg"), encoding: .utf8)
        let legend = try svgElements(svg, class: "legend-entry").map { $0.stringValue ?? "" }
        #expect(legend.prefix(2) == ["run 2: learning_rate=0.02", "run 1: learning_rate=0.05"])
        #expect(try svgElements(svg, class: "panel-title").map(\.stringValue) == ["dense1", "dense2"])
    }

    @Test func groupsAreMeanLinesWithBands() throws {
        let workspace = try CompareFixture.workspace()
        defer { workspace.cleanup() }
        let result = try workspace.onRuns("plot", "--group-by", "lr", "--band", "sd", "--layer", "dense2",
                                          "--x", "log-step", "--out", "groups.svg")
        #expect(result.status == 0, "\(result.standardError)")
        let svg = try String(contentsOfFile: workspace.path("groups.svg"), encoding: .utf8)
        #expect(try svgElements(svg, class: "panel").count == 1)
        #expect(try svgElements(svg, class: "series").count == 2)
        #expect(try svgElements(svg, class: "band").count == 2)
        let legend = try svgElements(svg, class: "legend-entry").map { $0.stringValue ?? "" }
        #expect(legend.prefix(2) == ["learning_rate=0.02 (n=2)", "learning_rate=0.05 (n=2)"])
        #expect(try svgElements(svg, class: "axis-label").first?.stringValue == "1 + step (log scale)")
        #expect(try svgElements(svg, class: "minor-tick").count > 0)
        // A group's peak is marked (and its phases shaded) when its most common class, as compare shows it, is
        // rise_then_decay.
        let groups = parseCSV(try workspace.onRuns("compare", "--group-by", "lr", "--layer", "dense2", "--format",
                                                   "csv").standardOutput).rows
        let peakedGroups = groups.filter { $0["class"] == "rise_then_decay" }.count
        #expect(try svgElements(svg, class: "marker").count == peakedGroups)
        #expect(try svgElements(svg, class: "span").count == 2 * peakedGroups)

        for axis in ["epoch", "wall"] {
            let other = try workspace.onRuns("plot", "1", "--x", axis, "--out", "\(axis).svg")
            #expect(other.status == 0, "\(other.standardError)")
            let text = try String(contentsOfFile: workspace.path("\(axis).svg"), encoding: .utf8)
            let d = try svgElements(text, class: "series").first?.attributes?.first { $0.name == "d" }?.stringValue
            #expect((d ?? "").hasPrefix("M"), "--x \(axis) draws the line")
        }
        // Two epochs of digits: the epoch axis ends at 2.
        let epochs = try String(contentsOfFile: workspace.path("epoch.svg"), encoding: .utf8)
        let xTicks = try svgElements(epochs, class: "x-axis").first.map { axis in
            try svgElements(axis.xmlString, class: "tick-label").map { $0.stringValue ?? "" }
        }
        #expect(xTicks == ["0", "0.5", "1", "1.5", "2"])
    }

    @Test func pngGoesThroughRsvgConvert() throws {
        let workspace = try CompareFixture.workspace()
        defer { workspace.cleanup() }
        let hasConverter = FileManager.default.isExecutableFile(atPath: "/usr/bin/rsvg-convert")
        let result = try workspace.onRuns("plot", "1", "2", "--out", "runs.png")
        if hasConverter {
            #expect(result.status == 0, "\(result.standardError)")
            let data = try Data(contentsOf: URL(fileURLWithPath: workspace.path("runs.png")))
            #expect(data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            #expect(data.count > 10_000)
        } else {
            print("note: rsvg-convert is not installed; checked only the error without it")
        }
        // Without rsvg-convert on PATH: one line naming the package, and no file.
        let missing = try TrackerProcess.run(["plot", "1", "--out", "missing.png", "--db", "runs.sqlite"],
                                             in: workspace.url, environment: ["PATH": workspace.path("empty")])
        #expect(missing.status != 0)
        #expect(missing.standardError.hasPrefix("Error: PNG output needs rsvg-convert"))
        #expect(missing.standardError.contains("librsvg2-bin"))
        #expect(missing.standardError.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: workspace.path("missing.png")))
    }

    @Test func badInputFailsInOneLineAndWritesNothing() throws {
        let workspace = try CompareFixture.workspace()
        defer { workspace.cleanup() }
        try Data("earlier".utf8).write(to: URL(fileURLWithPath: workspace.path("kept.svg")))
        let cases: [(arguments: [String], message: String)] = [
            (["--where", "lr > 1", "--out", "kept.svg"], "Error: no runs match --where \"lr > 1\""),
            (["--stat", "nonsense", "--out", "kept.svg"], "Error: --stat: no snapshot statistic named 'nonsense'"),
            (["--stat", "effective_rank", "--out", "kept.svg"],
             "Error: the runs given recorded no effective_rank (tracker run --statistics chooses"),
            (["--layer", "dense9", "--out", "kept.svg"], "Error: --layer: no probed layer named 'dense9'"),
            (["--group-by", "colour", "--out", "kept.svg"], "Error: --group-by: unknown name 'colour'"),
            (["--out", "no/such/folder/plot.svg"], "Error: cannot write 'no/such/folder/plot.svg': no folder"),
            (["--out", "plot.pdf"], "Error: --out: cannot tell the format of 'plot.pdf'"),
            (["9", "--out", "kept.svg"], "Error: "),
            (["1", "--where", "lr > 0", "--out", "kept.svg"], "Error: give runs or --where, not both"),
        ]
        for (arguments, message) in cases {
            let result = try workspace.onRuns(["plot"] + arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.standardError.hasPrefix(message), "\(arguments): \(result.standardError)")
            #expect(result.standardError.split(separator: "\n").first.map { !$0.isEmpty } == true)
            #expect(!result.standardError.contains("Usage:") || message.contains("--out:")
                    || message.contains("--stat:") || message.contains("not both"), "\(arguments)")
        }
        #expect(try String(contentsOfFile: workspace.path("kept.svg"), encoding: .utf8) == "earlier")
        #expect(!FileManager.default.fileExists(atPath: workspace.path("plot.pdf")))
        // A folder where the file should go.
        try FileManager.default.createDirectory(atPath: workspace.path("folder.svg"), withIntermediateDirectories: true)
        let folder = try workspace.onRuns("plot", "--out", "folder.svg")
        #expect(folder.status != 0 && folder.standardError == "Error: cannot write 'folder.svg': it is a folder\n")
    }
}

extension Workspace {
    /// `tracker ARGUMENTS --db runs.sqlite`, arguments as an array.
    func onRuns(_ arguments: [String]) throws -> Invocation {
        try TrackerProcess.run(arguments + ["--db", "runs.sqlite"], in: url)
    }
}
