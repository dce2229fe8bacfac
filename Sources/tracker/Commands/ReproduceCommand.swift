// `tracker reproduce`: train the study's families and controls as sweeps, detect phases, judge the claim per layer.
import ArgumentParser
import Foundation
import TrackerAnalysis
import TrackerExperiments
import TrackerStore

struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Re-derive the study's claim: train every family and control, detect phases, print a verdict per layer.",
        discussion: """
            The claim: a hidden layer's mean |r| rises from the start, peaks early, then decays. The study trains \
            four families on the data (mnist-5k by default), with the flags of the README's tour: MLP \
            dense256-relu-dense256-relu-dense128-relu and CNN conv16k5p2-relu-maxpool2-conv32k5p2-relu-maxpool2-\
            flatten-dense128-relu (SGD, lr 0.05, momentum 0.9), tanh RNN rnn128 and LSTM lstm128 (Adam, lr 0.001); \
            and four controls on the MLP: shuffled training labels, and DeCov at lambda 0.01, 0.1 and 1. Each is a \
            sweep (named reproduce-NAME, or reproduce-quick-NAME) of --seeds seeds, 0 to N - 1, run on --jobs \
            worker processes as `tracker sweep` runs them; every run is tagged reproduce (or reproduce-quick). \
            Running the same command again trains only the runs not finished yet (interrupted, failed or never \
            started), then judges again.

            The full study trains 20 epochs (2,500 steps of 32 on mnist-5k) with snapshots every 50 steps after \
            the early log-spaced ones; --quick trains 8 epochs (1,000 steps) with snapshots every 25 steps, 2 seeds.

            Phases of mean |r| are detected as `tracker phases` does (and stored). One row per condition (mlp, \
            cnn, rnn, lstm, mlp-shuffled-labels, mlp-decov-LAMBDA) and probed layer; conv layers are read by \
            spatial_mean, recurrent layers twice (time_pooled and last_step). Of the N seeds finished, k are \
            rise_then_decay (column rise_then_decay, "k/N"; classes counts every class). peak_step is the median peak step of those k, ci_low and \
            ci_high its percentile-bootstrap 95 % interval (2,000 resamples; none for k < 2). rise and decay are in \
            noise floors, medians over the k seeds of (peak - start) / F and (peak - final) / F, with start, peak \
            and final the detector's smoothed values and F = sqrt(2 / (pi P)) the mean |r| of independent units on \
            the P probe samples (0.0499 for P = 256): a rise of 1 is as large as the whole correlation unrelated \
            units show. verdict: follows when k >= 0.8 N (2 of 2, 4 of 5), partly when 1 <= k < 0.8 N, does not \
            follow when k = 0, undetermined when no seed could be classified (all insufficient or non_finite). For \
            a control, "follows" says the phase survives the control.

            Every run of every condition goes to the --jobs workers in the study's order (mlp, cnn, rnn, lstm, then \
            the controls), each with cores / jobs BLAS threads.

            The report (--out) is one self-contained HTML file with the verdict table and the runs.

            Examples:
              tracker reproduce --quick
              tracker reproduce --seeds 10 --jobs 2 --db study.sqlite --out study.html
              tracker reproduce --quick --format csv > verdicts.csv
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    @Flag(help: "The short study: 8 epochs, 2 seeds (a few minutes on 2 cores).")
    var quick = false

    @Option(help: "Seeds per family and control (default 5, or 2 with --quick).")
    var seeds: Int?

    @Option(help: ArgumentHelp("The data set: mnist-5k, another bundled set, or a file or folder as tracker run "
                               + "--data takes it.", valueName: "mnist-5k|path"))
    var data = "mnist-5k"

    @Option(help: ArgumentHelp("Where the HTML report goes.", valueName: "file"))
    var out = "report.html"

    @Option(help: "Worker processes at once, each with cores / jobs BLAS threads (default: the cores).")
    var jobs: Int?

    @Option(help: "Cores the workers share (default: this machine's).")
    var cores: Int?

    /// Tests shorten the study with these.
    @Option(help: .hidden) var epochs: Int?
    @Option(help: .hidden) var only: [String] = []

    func validate() throws {
        if let seeds, seeds < 1 { throw ValidationError("--seeds must be at least 1, got \(seeds)") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        if let cores, cores < 1 { throw ValidationError("--cores must be at least 1, got \(cores)") }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        let names = (ReproductionStudy.families + ReproductionStudy.controls).map(\.name)
        if let unknown = only.first(where: { !names.contains($0) }) {
            throw ValidationError("--only: no condition named '\(unknown)' (known: \(names.joined(separator: ", ")))")
        }
    }

    func run() throws {
        let started = Date()
        try Self.checkWritable(out)
        let study = ReproductionStudy(quick: quick, seeds: seeds, data: data, epochs: epochs,
                                      only: only.isEmpty ? nil : only)
        let cores = self.cores ?? ProcessInfo.processInfo.activeProcessorCount
        let jobs = self.jobs ?? cores
        let threads = max(1, cores / jobs)
        let definitions: [(condition: StudyCondition, definition: SweepDefinition, points: [SweepPoint])]
        do {
            definitions = try RunCommand.usage { try study.definitions(threads: threads) }
        } catch let error as SweepError {
            throw usageFailure(Self.studyMessage(error.description))
        }
        let store = try database.open(create: true)
        var parts = try study.parts(definitions, in: store)
        let total = parts.reduce(0) { $0 + $1.points.count }
        let pending = parts.reduce(0) { $0 + $1.pending.count }
        SweepCommand.note("reproduce: \(study.conditions.count) conditions × \(study.seeds) seed(s) = \(total) runs of "
                          + "\(study.epochs) epochs on \(study.data), \(total - pending) finished earlier; running "
                          + "\(pending) on \(jobs) worker(s) of \(threads) BLAS thread(s)")

        let signals = SignalCounter()
        let results = runPending(parts, store: store, threads: threads, jobs: jobs, signals: signals, total: total)
        let failed = results.filter { $0.outcome == .failed || $0.outcome == .crashed }.count
        if signals.count > 0 {
            SweepCommand.note("reproduce: stopped; the same command resumes where it stopped")
            throw ExitCode(130)
        }
        parts = try study.reread(parts, in: store)
        let rows = try ReproductionStudy.verdicts(parts, in: store)
        let table = Self.table(rows)
        print(TableWriter.render(table, as: output.format), terminator: "")

        let runIDs = parts.flatMap(\.runIDs)
        let commandLine = (["tracker"] + CommandLine.arguments.dropFirst()).map(RunCommand.shellQuoted)
            .joined(separator: " ")
        do {
            try StudyReportPage.write(to: out, database: store, runIDs: runIDs, title: "tracker reproduce"
                                      + (quick ? " --quick" : "") + ": \(study.data)",
                                      verdict: StudyReportPage.verdictSection(table, study: study,
                                                                              commandLine: commandLine))
        } catch let error as StudyReportPage.WriteError {
            throw CommandFailure(error.description)
        }
        SweepCommand.note(String(format: "reproduce: %d/%d runs finished, verdicts for %d layer rows; wrote %@ in "
                                 + "%.1f s", runIDs.count, total, rows.count, out, Date().timeIntervalSince(started)))
        if failed > 0 {
            throw CommandFailure("\(failed) of \(total) runs failed or crashed (the table leaves them out); the same "
                                 + "command runs them again")
        }
    }

    /// Trains every condition's pending runs, in the study's order, on `jobs` workers: a line per run that ends and a
    /// live line, both only when stdout is a terminal (failures are always said).
    func runPending(_ parts: [StudyPart], store: TrackerDatabase, threads: Int, jobs: Int, signals: SignalCounter,
                    total: Int) -> [SweepRunResult] {
        let pending = parts.flatMap(\.pending)
        guard !pending.isEmpty else { return [] }
        // A run's key tells its condition: the conditions' configurations differ.
        var partOfKey: [String: StudyPart] = [:]
        for part in parts { for point in part.points { partOfKey[point.key] = part } }
        let logs = FileManager.default.temporaryDirectory.appending(path: "tracker-reproduce-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: logs) }
        let databasePath = database.db
        let commandLine = CommandLine.arguments.map(RunCommand.shellQuoted).joined(separator: " ")
        let coordinator = SweepCoordinator(
            database: store, sweepUUIDs: { partOfKey[$0.key]!.sweepUUID }, jobs: max(1, min(jobs, pending.count)),
            logFolder: logs, executable: SweepCommand.executablePath, arguments: { point in
                ["sweep-worker", "--db", databasePath, "--sweep-uuid", partOfKey[point.key]!.sweepUUID,
                 "--index", String(point.index), "--key", point.key, "--threads", String(threads),
                 "--command-line", commandLine]
            })
        let terminal = Terminal.standardOutputIsTerminal
        let live = terminal ? ProgressLine() : nil
        let progress = SweepProgress(total: total, skipped: total - pending.count)
        func line(_ result: SweepRunResult) -> String {
            (partOfKey[result.point.key]?.condition.name ?? "") + " " + SweepCommand.describe(result)
        }
        let results = coordinator.run(pending, progress: progress, stopLevel: { signals.count }) { event, progress in
            if case .ended(let result) = event, terminal {
                live?.clear()
                let done = progress.finished + progress.skipped + progress.failed + progress.interrupted
                SweepCommand.note("[\(done)/\(total)] " + line(result))
            }
            live?.show("reproduce: " + progress.description)
        }
        live?.clear()
        if !terminal {
            for result in results where result.outcome == .failed || result.outcome == .crashed {
                SweepCommand.note(line(result))
            }
        }
        return results
    }

    /// One row per condition and probed layer (columns in the command's help).
    static func table(_ rows: [StudyVerdictRow]) -> ResultTable {
        func real(_ value: Double?, _ places: Double) -> SQLValue {
            value.map { .real(($0 * places).rounded() / places) } ?? .null
        }
        return ResultTable(
            columns: ["condition", "layer", "reduction", "rise_then_decay", "classes", "peak_step", "ci_low", "ci_high",
                      "rise", "decay", "verdict"],
            rows: rows.map { row in
                let verdict = row.verdict
                return [.text(row.condition.name), .text(row.layerName), .text(row.reduction),
                        .text("\(verdict.riseThenDecayCount)/\(verdict.seeds.seedCount)"), .text(classes(verdict.seeds)),
                        real(verdict.seeds.medianPeakStep, 10), real(verdict.seeds.peakStepLower, 10),
                        real(verdict.seeds.peakStepUpper, 10), real(verdict.riseOverFloor, 100),
                        real(verdict.decayOverFloor, 100), .text(verdict.verdict.rawValue)]
            })
    }

    /// The seeds' classes with their counts, in the detector's order: `decay 2`, `rise_then_decay 1; rise 1`.
    static func classes(_ summary: SeedSummary) -> String {
        PhaseClass.allCases.compactMap { phaseClass in
            summary.classCounts[phaseClass].flatMap { $0 > 0 ? "\(phaseClass.rawValue) \($0)" : nil }
        }.joined(separator: "; ")
    }

    /// A sweep's error as the study's: the study has no `--grid` or sweep file, so only the fault is kept
    /// (`--data: run 0 (seed=0): unknown data set 'x'` → `--data: unknown data set 'x'`).
    static func studyMessage(_ description: String) -> String {
        guard let range = description.range(of: #"run \d+ \([^)]*\): "#, options: .regularExpression) else {
            return description
        }
        return description.replacingCharacters(in: range, with: "")
    }

    /// Fails before any training when the report could not be written: its folder missing or read-only, or the
    /// file itself read-only.
    static func checkWritable(_ path: String) throws {
        let manager = FileManager.default
        let url = URL(fileURLWithPath: path)
        var isFolder: ObjCBool = false
        if manager.fileExists(atPath: url.path, isDirectory: &isFolder) {
            if isFolder.boolValue || !manager.isWritableFile(atPath: url.path) {
                throw CommandFailure("cannot write the report to \(path): \(isFolder.boolValue ? "a folder" : "read-only")")
            }
            return
        }
        let folder = url.deletingLastPathComponent().path
        guard manager.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw CommandFailure("cannot write the report to \(path): no folder \(folder)")
        }
        guard manager.isWritableFile(atPath: folder) else {
            throw CommandFailure("cannot write the report to \(path): the folder \(folder) is read-only")
        }
    }
}
