// `tracker sweep`: a grid of settings × seeds as runs on N worker processes, a shard of it, or a Slurm job array.
import ArgumentParser
import Foundation
import TrackerExperiments
import TrackerStore

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run every combination of a grid of settings with several seeds, on N worker processes.",
        discussion: """
            A sweep is a YAML file (or --grid and --seeds flags, or both; flags win):

              name: lr-width            # optional: the file's name without its extension
              base:                     # settings every run shares (the keys of tracker run's flags)
                epochs: 5
              grid:                     # every combination; the first key varies slowest
                lr: [0.01, 0.03, 0.1]
                arch: [dense64-relu, "128,64"]
              seeds: 3                  # 0, 1, 2 (from base's seed), or a list: [1, 5, 9]

            Any flag of `tracker run` sets a base setting for every run. Every run is checked before any \
            starts: a bad key or value stops the sweep with exit status 64. Runs are tagged with the sweep's name \
            and linked to it (tables sweeps and sweep_runs). A run is identified by its resolved configuration \
            (seed included; the thread count only when the sweep sets it): running the same sweep again skips the \
            runs it finished and re-runs those interrupted, failed or crashed, so a sweep resumes where it \
            stopped and an extended grid runs only what is new.

            --jobs N starts N worker processes writing the one database (WAL), each with max(1, cores / N) BLAS \
            threads unless the sweep sets threads. Ctrl-C stops the workers cleanly (their runs end \
            interrupted); a second Ctrl-C kills them.

            On a cluster: --shard I/N runs the runs whose index is I modulo N (every run is in exactly one shard); \
            --slurm writes a job array of N shards, each into its own file (SQLite's WAL must not be shared over a \
            network file system), and a job that merges them (`tracker merge`); --submit submits both.

            Examples:
              tracker sweep lr.yaml --jobs 2
              tracker sweep --grid "lr=0.01,0.03,0.1" --grid "arch=128;256:tanh" --seeds 5 --epochs 5 --jobs 2
              tracker sweep lr.yaml --dry-run --format csv
              tracker sweep lr.yaml --shard 3/8 --db shard-3.sqlite
              tracker sweep lr.yaml --slurm --shards 8 --cpus 4 --time 2:00:00 --submit --db lr.sqlite
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The sweep's name (default: the file's name, or sweep-HASH of its definition); it tags the runs.")
    var name: String?

    @Option(name: .customLong("grid"), help: ArgumentHelp(
        "A setting and its values, KEY=V1,V2,... (separate values by ';' when they hold commas); repeatable.",
        valueName: "key=values"))
    var grids: [String] = []

    @Option(help: ArgumentHelp("Seeds per grid point: a count (from the base seed) or a list, e.g. 5 or 1,5,9.",
                               valueName: "count|list"))
    var seeds: String?

    @Option(help: "Worker processes running at once.")
    var jobs = 1

    @Option(help: "Cores the workers share, for their BLAS threads (default: this machine's).")
    var cores: Int?

    @Option(help: ArgumentHelp("Run only the runs whose index is I modulo N.", valueName: "I/N"))
    var shard: String?

    @Flag(help: "List the runs the sweep would start (and those it would skip), and start none.")
    var dryRun = false

    @Option(help: "Output format of the list of runs: table, csv, json or markdown.")
    var format: OutputFormat = .table

    @Flag(help: "Write a Slurm job array (one shard per task) and a merge job, instead of running.")
    var slurm = false

    @Option(help: "Slurm: tasks in the job array (default: one per run, at most 1000).")
    var shards: Int?

    @Option(help: "Slurm: the partition to submit to.")
    var partition: String?

    @Option(help: ArgumentHelp("Slurm: each task's time limit, e.g. 1:00:00.", valueName: "time"))
    var time: String?

    @Option(help: "Slurm: CPUs per task (a task runs that many workers of one BLAS thread).")
    var cpus = 1

    @Option(help: ArgumentHelp("Slurm: where the scripts, shard files and logs go (default: NAME-slurm).",
                               valueName: "folder"))
    var outDir: String?

    @Flag(help: "Slurm: submit the job array and the merge job with sbatch.")
    var submit = false

    // One catch-all argument: ArgumentParser refuses unknown options before an unfilled positional argument.
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp(
        "A sweep file (YAML with base:, grid:, seeds:), and any flags of tracker run, set for every run.",
        valueName: "sweep.yaml|run flag"))
    var arguments: [String] = []

    /// The sweep file: the first argument when it is no flag, else the first that ends in .yaml or .yml.
    var file: String? {
        if let first = arguments.first, !first.hasPrefix("-") { return first }
        return arguments.indices.first { index in
            let argument = arguments[index]
            return (argument.hasSuffix(".yaml") || argument.hasSuffix(".yml")) && !argument.hasPrefix("-")
                && (index == 0 || arguments[index - 1] != "--config")
        }.map { arguments[$0] }
    }

    /// The `tracker run` flags: the arguments other than the sweep file.
    var runFlags: [String] {
        guard let file, let index = arguments.firstIndex(of: file) else { return arguments }
        return Array(arguments[..<index] + arguments[(index + 1)...])
    }

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if let cores, cores < 1 { throw ValidationError("--cores must be at least 1") }
        if cpus < 1 { throw ValidationError("--cpus must be at least 1") }
        if let shards, shards < 1 { throw ValidationError("--shards must be at least 1") }
        if file == nil && grids.isEmpty && seeds == nil {
            throw ValidationError("give a sweep file, or --grid KEY=VALUES and/or --seeds N")
        }
        if slurm && (shard != nil || dryRun) { throw ValidationError("--slurm writes every shard; drop --shard and --dry-run") }
        if !slurm {
            let given = [("--shards", shards != nil), ("--partition", partition != nil), ("--time", time != nil),
                         ("--out-dir", outDir != nil), ("--submit", submit)]
            if let flag = given.first(where: \.1) { throw ValidationError("\(flag.0) goes with --slurm") }
        }
    }

    // MARK: Definition

    /// The sweep as given: the file, then the flags.
    func definition() throws -> SweepDefinition {
        var base: [GivenSetting] = []
        var grid: [SweepAxis] = []
        var seedSelection: SweepSeeds?
        var sweepName = name
        var nameOrigin = SettingOrigin.commandLine
        var seedsOrigin = SettingOrigin.commandLine
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw usageFailure("cannot read \(file)")
            }
            let stem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            let read = try RunCommand.usage {
                try SweepDefinition.read(yaml: String(decoding: data, as: UTF8.self), source: file, defaultName: stem)
            }
            base = read.base
            grid = read.grid
            seedSelection = read.seeds
            if sweepName == nil {
                sweepName = read.name
                nameOrigin = .text(source: file, line: nil)
            }
            seedsOrigin = .text(source: file, line: nil)
        }
        base += try runSettings()
        grid += try grids.map { text in try RunCommand.usage { try SweepDefinition.axis(parsing: text) } }
        if let seeds {
            seedSelection = try RunCommand.usage { try SweepDefinition.seeds(parsing: seeds) }
            seedsOrigin = .commandLine
        }
        return try RunCommand.usage {
            let provisional = try SweepDefinition(name: sweepName ?? "sweep", base: base, grid: grid,
                                                  seeds: seedSelection, nameOrigin: nameOrigin,
                                                  seedsOrigin: seedsOrigin)
            guard sweepName == nil else { return provisional }
            // Flags alone: the name comes from the definition, so the same flags make the same sweep.
            let hash = ContentHash.sha256Hex(provisional.yaml).prefix(8)
            return try SweepDefinition(name: "sweep-\(hash)", base: base, grid: grid, seeds: seedSelection,
                                       seedsOrigin: seedsOrigin)
        }
    }

    /// The settings given as `tracker run` flags after the sweep's own.
    func runSettings() throws -> [GivenSetting] {
        guard !runFlags.isEmpty else { return [] }
        let run: RunCommand
        do {
            run = try RunCommand.parse(runFlags)
        } catch {
            throw usageFailure(RunCommand.message(for: error))
        }
        if run.config != nil || run.like != nil {
            throw usageFailure("\(run.config != nil ? "--config" : "--like") does not apply to a sweep; put the "
                               + "settings under base: in the sweep file")
        }
        if run.name != nil { throw usageFailure("--name of a sweep names the sweep; its runs are named by it") }
        return run.flagSettings
    }

    // MARK: Running

    func run() throws {
        let definition = try definition()
        let shard = try self.shard.map { text in try RunCommand.usage { try SweepShard(parsing: text) } }
        let cores = self.cores ?? ProcessInfo.processInfo.activeProcessorCount
        var points = try RunCommand.usage { try definition.expand(threads: max(1, cores / jobs)) }
        do { try definition.validate(points) } catch { throw usageFailure(error.description) }
        if slurm { return try writeSlurm(definition, runCount: points.count) }
        let all = points.count
        if let shard { points = points.filter { shard.contains($0.index) } }

        if dryRun { return try printPlan(definition, points: points, shard: shard) }

        let store = try database.open(create: true)
        let (sweep, previous) = try store.recordSweep(name: definition.name, configuration: definition.yaml)
        if let previous, previous != definition.yaml {
            Self.note("sweep \(definition.name) had another definition in \(database.db); it is replaced, and the runs "
                 + "it finished with the same settings are kept")
        }
        let resume = SweepResume(points, runs: try store.sweepRuns(sweepUUID: sweep.uuid))
        var pending = resume.pending
        let skipped = resume.skipped
        // Fewer runs than workers: give the ones that run the spare cores.
        let workers = max(1, min(jobs, pending.count))
        let threads = max(1, cores / workers)
        if !definition.setsThreads && threads != max(1, cores / jobs) {
            let keys = Set(pending.map(\.key))
            pending = try RunCommand.usage { try definition.expand(threads: threads) }.filter { keys.contains($0.key) }
        }
        let scope = shard.map { "shard \($0) (\(points.count) of \(all) runs)" } ?? "\(all) runs"
        Self.note("sweep \(definition.name): \(scope), \(skipped.count) finished earlier; running \(pending.count) on "
             + "\(workers) worker(s) of \(definition.setsThreads ? "the sweep's" : "\(threads)") BLAS thread(s)")

        let results = try runPending(pending, sweepUUID: sweep.uuid, store: store, threads: threads,
                                     progress: SweepProgress(total: points.count, skipped: skipped.count))
        let byIndex = Dictionary(uniqueKeysWithValues: (skipped + results.results).map { ($0.point.index, $0) })
        let ordered = points.compactMap { byIndex[$0.index] }
        print(TableWriter.render(Self.resultTable(ordered, definition: definition, shard: shard), as: format),
              terminator: "")
        let failed = ordered.filter { $0.outcome == .failed || $0.outcome == .crashed }.count
        let finished = ordered.filter { $0.outcome == .finished || $0.outcome == .skipped }.count
        Self.note(String(format: "sweep %@: %d/%d finished in %.1f s", definition.name, finished, ordered.count,
                    results.seconds)
             + (failed > 0 ? ", \(failed) failed or crashed" : ""))
        if results.stopped { throw ExitCode(130) }
        if failed > 0 {
            throw CommandFailure("\(failed) of \(ordered.count) runs failed or crashed; the same command runs them again")
        }
    }

    /// Runs `pending` on the workers, with progress on stderr: a line per run that ends, and on a terminal a live
    /// line with the counts and the ETA.
    func runPending(_ pending: [SweepPoint], sweepUUID: String, store: TrackerDatabase, threads: Int,
                    progress: SweepProgress) throws -> (results: [SweepRunResult], seconds: Double, stopped: Bool) {
        let signals = SignalCounter()
        let logs = FileManager.default.temporaryDirectory.appending(path: "tracker-sweep-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: logs) }
        let executable = Self.executablePath
        let databasePath = database.db
        let commandLine = CommandLine.arguments.map(RunCommand.shellQuoted).joined(separator: " ")
        let coordinator = SweepCoordinator(
            database: store, sweepUUID: sweepUUID, jobs: max(1, min(jobs, pending.count)), logFolder: logs,
            executable: executable, arguments: { point in
                ["sweep-worker", "--db", databasePath, "--sweep-uuid", sweepUUID, "--index", String(point.index),
                 "--key", point.key, "--threads", String(threads), "--command-line", commandLine]
            })
        let live = Terminal.standardOutputIsTerminal ? ProgressLine() : nil
        let started = Date()
        let results = coordinator.run(pending, progress: progress, stopLevel: { signals.count }) { event, progress in
            if case .ended(let result) = event {
                live?.clear()
                let done = progress.finished + progress.skipped + progress.failed + progress.interrupted
                Self.note("[\(done)/\(progress.total)] " + Self.describe(result))
            }
            live?.show("sweep: " + progress.description)
        }
        live?.clear()
        return (results, Date().timeIntervalSince(started), signals.count > 0)
    }

    /// `run 17 finished in 1.3 s: lr=0.01 seed=0, test accuracy 0.9472`, or why it did not.
    static func describe(_ result: SweepRunResult) -> String {
        let run = result.runID.map { "run \($0) " } ?? ""
        let time = result.wallTime.map { String(format: " in %.2f s", $0) } ?? ""
        var line = "\(run)\(result.outcome.rawValue)\(time): \(result.point.label)"
        if let accuracy = result.testAccuracy { line += String(format: ", test accuracy %.4f", accuracy) }
        if let message = result.message { line += " (\(message))" }
        return line
    }

    /// One row per run: index, the grid's values and seed, then what happened.
    static func resultTable(_ results: [SweepRunResult], definition: SweepDefinition, shard: SweepShard?) -> ResultTable {
        let keys = valueKeys(definition)
        return ResultTable(
            columns: ["index"] + keys + ["status", "run_id", "seconds", "test_accuracy"],
            rows: results.map { result in
                [.integer(Int64(result.point.index))] + values(result.point, keys: keys)
                    + [.text(result.outcome.rawValue), result.runID.map { .integer($0) } ?? .null,
                       result.wallTime.map { .real(($0 * 100).rounded() / 100) } ?? .null,
                       result.testAccuracy.map { .real($0) } ?? .null]
            })
    }

    /// The keys that tell a sweep's runs apart: the grid's, then seed.
    static func valueKeys(_ definition: SweepDefinition) -> [String] {
        definition.grid.map(\.key) + (definition.grid.contains { $0.key == "seed" } ? [] : ["seed"])
    }

    static func values(_ point: SweepPoint, keys: [String]) -> [SQLValue] {
        keys.map { key in
            guard let text = point.values.first(where: { $0.key == key })?.value else { return .null }
            if let integer = Int64(text) { return .integer(integer) }
            if let real = Double(text), text.contains(".") || text.contains("e") { return .real(real) }
            return .text(text)
        }
    }

    /// `--dry-run`: every run of the sweep (or shard), and whether it would run or be skipped.
    func printPlan(_ definition: SweepDefinition, points: [SweepPoint], shard: SweepShard?) throws {
        var runs: [SweepRunRecord] = []
        if FileManager.default.fileExists(atPath: database.db) {
            runs = try database.openForReading().sweepRuns(sweepUUID: SweepRecord.uuid(forName: definition.name))
        }
        let latest = SweepResume(points, runs: runs).latest
        let keys = Self.valueKeys(definition)
        let table = ResultTable(
            columns: ["index"] + keys + ["threads", "action", "last_status", "run_id", "run_key"],
            rows: points.map { point in
                let last = latest[point.key]
                return [.integer(Int64(point.index))] + Self.values(point, keys: keys)
                    + [.integer(Int64(point.configuration.blasThreads)),
                       .text(last?.status == .finished ? "skip" : "run"), last.map { .text($0.status.rawValue) } ?? .null,
                       last.map { .integer($0.runID) } ?? .null,
                       .text(format == .table ? String(point.key.prefix(12)) : point.key)]
            })
        print(TableWriter.render(table, as: format), terminator: "")
        let skipping = points.filter { latest[$0.key]?.status == .finished }.count
        Self.note("sweep \(definition.name): \(shard.map { "shard \($0): " } ?? "")\(points.count - skipping) run(s) to "
             + "start, \(skipping) finished earlier (dry run: nothing started)")
    }

    // MARK: Slurm

    /// Writes the sweep file and the two scripts into the output folder, and with `--submit` submits them.
    func writeSlurm(_ definition: SweepDefinition, runCount: Int) throws {
        let manager = FileManager.default
        let folder = URL(fileURLWithPath: outDir ?? "\(definition.name)-slurm").standardizedFileURL
        do {
            try manager.createDirectory(at: folder.appending(path: "logs"), withIntermediateDirectories: true)
        } catch {
            throw CommandFailure("cannot create \(folder.path)")
        }
        let scripts = SlurmScripts(
            tracker: Self.executablePath, folder: folder.path, sweepFile: "\(definition.name).yaml",
            sweepName: definition.name, shards: shards ?? min(runCount, 1000), cpusPerTask: cpus,
            partition: partition, timeLimit: time,
            mergedDatabase: URL(fileURLWithPath: database.db).standardizedFileURL.path)
        let files = [(scripts.sweepFile, definition.yaml), ("array.sbatch", scripts.array), ("merge.sbatch", scripts.merge)]
        for (name, text) in files {
            let path = folder.appending(path: name).path
            guard manager.createFile(atPath: path, contents: Data(text.utf8),
                                     attributes: name.hasSuffix(".sbatch") ? [.posixPermissions: 0o755] : nil) else {
                throw CommandFailure("cannot write \(path)")
            }
        }
        print("wrote \(folder.path)/{\(scripts.sweepFile),array.sbatch,merge.sbatch}: \(runCount) runs in "
              + "\(scripts.shards) shard(s), \(cpus) CPU(s) per task")
        guard submit else {
            print("submit with:  jid=$(sbatch --parsable \(SlurmScripts.shellQuoted(folder.path))/array.sbatch) && "
                  + "sbatch --dependency=afterany:$jid \(SlurmScripts.shellQuoted(folder.path))/merge.sbatch")
            return
        }
        let array = try Self.sbatch([folder.appending(path: "array.sbatch").path])
        let merge = try Self.sbatch(["--dependency=afterany:\(array)", folder.appending(path: "merge.sbatch").path])
        print("submitted job array \(array) and merge job \(merge) (into \(scripts.mergedDatabase))")
    }

    /// Runs `sbatch --parsable arguments...` and returns the job id it prints.
    static func sbatch(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sbatch", "--parsable"] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { throw CommandFailure("cannot run sbatch: \(error)") }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let problem = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let id = text.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        guard process.terminationStatus == 0, !id.isEmpty else {
            let line = problem.split(separator: "\n").last.map(String.init) ?? "exit status \(process.terminationStatus)"
            throw CommandFailure("sbatch failed: \(line)")
        }
        return id
    }

    /// A line on stderr (progress and notes; data goes to stdout).
    static func note(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// This binary's absolute path, which workers and Slurm tasks run.
    static var executablePath: String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }
}

