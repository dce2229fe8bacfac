// Sweep definitions: reading (file and flags), the errors that stop a sweep before it runs, expansion order and
// identity, shards, and validation of every run.
import Foundation
import Testing
import TrackerStore
@testable import TrackerExperiments

@Suite struct SweepDefinitionTests {
    let file = """
        name: lr-width
        base:
          arch: dense8-relu
          epochs: 1
          tag: [study]
        grid:
          lr: [0.01, 0.1]
          batch: [16, 32, 64]
        seeds: 2
        """

    func read(_ yaml: String) throws(SettingError) -> SweepDefinition {
        try SweepDefinition.read(yaml: yaml, source: "sweep.yaml", defaultName: "sweep")
    }

    /// The one-line error reading `yaml` throws.
    func error(_ yaml: String) -> String? {
        do {
            _ = try read(yaml)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func theProductOfTheGridTimesTheSeedsInNestedLoopOrder() throws {
        let definition = try read(file)
        #expect(definition.runCount == 12)
        let points = try definition.expand(threads: 1)
        #expect(points.map(\.index) == Array(0..<12))
        // The first key varies slowest, seeds innermost.
        #expect(points.map(\.label) == [
            "lr=0.01 batch=16 seed=0", "lr=0.01 batch=16 seed=1", "lr=0.01 batch=32 seed=0", "lr=0.01 batch=32 seed=1",
            "lr=0.01 batch=64 seed=0", "lr=0.01 batch=64 seed=1", "lr=0.1 batch=16 seed=0", "lr=0.1 batch=16 seed=1",
            "lr=0.1 batch=32 seed=0", "lr=0.1 batch=32 seed=1", "lr=0.1 batch=64 seed=0", "lr=0.1 batch=64 seed=1",
        ])
        let last = points[11].configuration
        #expect(last.learningRate == 0.1 && last.batchSize == 64 && last.seed == 1)
        #expect(last.architecture == "dense8-relu" && last.epochs == 1 && last.blasThreads == 1)
        #expect(last.name == "lr-width lr=0.1 batch=64 seed=1")
        #expect(last.tags == ["study", "lr-width"])
        #expect(Set(points.map(\.key)).count == 12)
    }

    @Test func seedsCountFromTheBaseSeedOrAreListed() throws {
        let counted = try read("base:\n  seed: 10\nseeds: 3\n").expand(threads: 1)
        #expect(counted.map(\.seed) == [10, 11, 12])
        let listed = try read("grid:\n  lr: [0.1]\nseeds: [7, 3]\n").expand(threads: 1)
        #expect(listed.map(\.seed) == [7, 3])
        let none = try read("grid:\n  lr: [0.1, 0.2]\n").expand(threads: 1)
        #expect(none.map(\.seed) == [0, 0])
        let grid = try read("grid:\n  seed: [4, 5]\n").expand(threads: 1)
        #expect(grid.map(\.label) == ["seed=4", "seed=5"])
    }

    @Test func theKeyIsTheStoredConfigurationLessThreadsTheSweepChose() throws {
        let definition = try read(file)
        let one = try definition.expand(threads: 1)
        let four = try definition.expand(threads: 4)
        #expect(four[3].configuration.blasThreads == 4)
        #expect(one.map(\.key) == four.map(\.key))
        // The settings that differ from the defaults, in the settings table's order (written out by hand).
        #expect(one[3].label == "lr=0.01 batch=32 seed=1")
        // batch 32 is the default, so it is left out like every other default.
        #expect(one[3].key == ContentHash.sha256Hex("arch: dense8-relu\nlr: 0.01\nepochs: 1\nseed: 1\n"))
        #expect(one[0].key == ContentHash.sha256Hex("arch: dense8-relu\nlr: 0.01\nbatch: 16\nepochs: 1\n"))
        // A sweep that sets threads keeps them in the identity.
        let set = try read("base:\n  threads: 2\ngrid:\n  lr: [0.1]\n").expand(threads: 1)
        let other = try read("base:\n  threads: 3\ngrid:\n  lr: [0.1]\n").expand(threads: 1)
        #expect(set[0].configuration.blasThreads == 2 && set[0].key != other[0].key)
        // Labels (name, tags) are no part of it: the same settings under another sweep name have the same key.
        #expect(try read(file.replacingOccurrences(of: "lr-width", with: "other")).expand(threads: 1)[0].key == one[0].key)
    }

    @Test func theWrittenDefinitionReadsBackAsTheSameSweep() throws {
        let tricky = """
            base:
              decov: 0.1@dense1
              probe: [dense1]
            grid:
              arch: ["128,64", dense8-relu, "8"]
              init-scale: [0.5, 1e-1]
              clip-norm: [null, 1.5]
            seeds: [1, 2]
            """
        for yaml in [file, tricky] {
            let definition = try read(yaml)
            let again = try SweepDefinition.read(yaml: definition.yaml, source: "written", defaultName: "x")
            #expect(again.name == definition.name)
            #expect(try again.expand(threads: 1).map(\.key) == definition.expand(threads: 1).map(\.key))
            #expect(again.yaml == definition.yaml)
        }
        #expect(try read(tricky).yaml == """
            name: sweep
            base:
              probe: [dense1]
              decov: 0.1@dense1
            grid:
              arch: ["128,64", dense8-relu, "8"]
              init-scale: [0.5, 1e-1]
              clip-norm: [null, 1.5]
            seeds: [1, 2]

            """)
    }

    @Test func flagsGiveAxesAndSeeds() throws {
        let lr = try SweepDefinition.axis(parsing: "lr=0.01, 0.03,0.1")
        #expect(lr.key == "lr" && lr.values == [.scalar("0.01"), .scalar("0.03"), .scalar("0.1")])
        let arch = try SweepDefinition.axis(parsing: "arch=128,64;256:tanh")
        #expect(arch.values == [.scalar("128,64"), .scalar("256:tanh")])
        #expect(try SweepDefinition.seeds(parsing: "5") == .count(5))
        #expect(try SweepDefinition.seeds(parsing: "1,5,9") == .list([1, 5, 9]))
        #expect(throws: SettingError.self) { try SweepDefinition.axis(parsing: "lr") }
        #expect(throws: SettingError.self) { try SweepDefinition.axis(parsing: "lr=0.1,,0.2") }
        #expect(throws: SettingError.self) { try SweepDefinition.seeds(parsing: "1,x") }
    }

    @Test func aBadDefinitionIsOneLineNamingTheFileAndLine() {
        let cases: [(String, String)] = [
            ("grid:\n  lrr: [0.1]\n", "sweep.yaml:2: unknown key 'lrr' (did you mean 'lr'?)"),
            ("grid:\n  lr: [0.1, fast]\n", "sweep.yaml:2: lr: expected a number, got 'fast'"),
            ("grid:\n  lr: [0.1, 0.10]\n", "sweep.yaml:2: lr: 0.10 given twice"),
            ("grid:\n  lr: []\n", "sweep.yaml:2: lr: no values to sweep"),
            ("grid:\n  tag: [a, b]\n", "sweep.yaml:2: tag: a label, not a setting; it cannot be swept"),
            ("base:\n  lr: 0.1\ngrid:\n  lr: [0.2]\n", "sweep.yaml:4: lr: both swept and set for every run; drop one"),
            ("base:\n  name: x\n", "sweep.yaml:2: name: a sweep names its runs itself; give the sweep's name instead"),
            ("base:\n  epochs: many\n", "sweep.yaml:2: epochs: expected an integer, got 'many'"),
            ("grid:\n  seed: [1]\nseeds: 2\n", "sweep.yaml:3: seeds: given besides a grid of seed; drop one"),
            ("seeds: 0\n", "sweep.yaml:1: seeds: expected a count ≥ 1 or a list of seeds, got 0"),
            ("seeds: [1, 2, 1]\n", "sweep.yaml:1: seeds: 1 given twice"),
            ("seeds: some\n", "sweep.yaml:1: seeds: expected a count or a list of seeds, got 'some'"),
            ("lr: 0.1\n", "sweep.yaml:1: unknown key 'lr': a sweep file has name:, base:, grid: and seeds: (run settings go under base:)"),
            ("name: my sweep\n", "sweep.yaml:1: sweep name 'my sweep' must be a word of letters, digits, '.', '_' and '-' (it names files and tags runs)"),
            ("grid: [lr]\n", "sweep.yaml:1: grid: expected 'key: [values]' lines, found a list"),
            ("", "sweep.yaml: the sweep file is empty (expected base:, grid: and seeds:)"),
        ]
        for (yaml, expected) in cases {
            #expect(error(yaml) == expected, "\(yaml)")
        }
    }

    @Test func aFlagAxisIsNamedAsTheGridFlag() {
        func message(_ body: () throws -> Void) -> String? {
            do { try body() } catch { return "\(error)" }
            return nil
        }
        let duplicate = message {
            _ = try SweepDefinition(name: "s", base: [], grid: [try SweepDefinition.axis(parsing: "lr=0.1,0.10")],
                                    seeds: nil)
        }
        #expect(duplicate == "--grid lr: 0.10 given twice")
        let badType = message {
            _ = try SweepDefinition(name: "s", base: [], grid: [try SweepDefinition.axis(parsing: "batch=8,x")],
                                    seeds: nil)
        }
        #expect(badType == "--grid batch: expected an integer, got 'x'")
    }

    @Test func validationBuildsEveryRunAndNamesTheOneThatCannotStart() throws {
        let good = try read(file)
        try good.validate(try good.expand(threads: 1))
        let bad = try read("base:\n  epochs: 1\ngrid:\n  arch: [dense8-relu, 12x]\nseeds: 2\n")
        let points = try bad.expand(threads: 1)
        do {
            try bad.validate(points)
            Issue.record("a bad architecture passed validation")
        } catch {
            #expect(error.description.hasPrefix("sweep.yaml:4: arch: run 2 (arch=12x seed=0): architecture '12x': "))
        }
        let data = try read("base:\n  data: cifar\n")
        #expect(throws: SweepError.self) { try data.validate(try data.expand(threads: 1)) }
    }

    @Test func shardsPartitionTheRunsForAnyCount() throws {
        let points = try read(file).expand(threads: 1)
        for count in [1, 2, 3, 5, 7, 12, 20] {
            var seen: [Int] = []
            for index in 0..<count {
                let shard = SweepShard(index: index, count: count)
                let mine = points.filter { shard.contains($0.index) }.map(\.index)
                #expect(mine.allSatisfy { $0 % count == index })
                seen += mine
            }
            #expect(seen.sorted() == points.map(\.index), "\(count) shards")
        }
        #expect(try SweepShard(parsing: "2/5") == SweepShard(index: 2, count: 5))
        for text in ["5/5", "-1/3", "1/0", "1", "a/b"] {
            #expect(throws: SettingError.self) { try SweepShard(parsing: text) }
        }
    }

    @Test func resumingSkipsKeysWithAFinishedRunAndRerunsTheRest() throws {
        let points = try read("grid:\n  lr: [0.1, 0.2, 0.3, 0.4]\n").expand(threads: 1)
        func run(_ id: Int64, _ index: Int, _ status: RunStatus) -> SweepRunRecord {
            SweepRunRecord(runID: id, runIndex: index, runKey: points[index].key, status: status,
                           wallTime: status == .finished ? Double(id) : nil, testAccuracy: nil)
        }
        // 0: failed then finished; 1: finished then an interrupted re-run; 2: crashed (left running); 3: never run.
        let resume = SweepResume(points, runs: [run(1, 0, .failed), run(2, 1, .finished), run(3, 2, .running),
                                                run(4, 0, .finished), run(5, 1, .interrupted)])
        #expect(resume.pending.map(\.index) == [2, 3])
        #expect(resume.skipped.map(\.point.index) == [0, 1] && resume.skipped.map(\.runID) == [4, 2])
        #expect(resume.skipped.allSatisfy { $0.outcome == .skipped } && resume.skipped[0].wallTime == 4)
        #expect(resume.latest[points[2].key]?.runID == 3 && resume.latest[points[3].key] == nil)
    }

    @Test func progressCountsAndEstimates() {
        var progress = SweepProgress(total: 10, skipped: 2)
        progress.finished = 3
        progress.running = 2
        progress.failed = 1
        progress.jobs = 2
        #expect(progress.pending == 2)
        #expect(progress.estimatedSecondsLeft == nil)
        progress.meanRunSeconds = 10
        // (2 pending + half of 2 running) × 10 s over 2 workers.
        #expect(progress.estimatedSecondsLeft == 15)
        #expect(progress.description == "5/10 done (2 skipped), 2 running, 1 failed, ETA 15s")
        #expect(SweepProgress.duration(185) == "3m05s" && SweepProgress.duration(3720) == "1h02m")
    }

    @Test func slurmScriptsRunEveryShardIntoItsOwnFileThenMerge() {
        let scripts = SlurmScripts(tracker: "/opt/tracker", folder: "/shared/lr", sweepFile: "lr.yaml", sweepName: "lr",
                                   shards: 12, cpusPerTask: 4, partition: "cpu", timeLimit: "1:00:00",
                                   mergedDatabase: "/shared/lr.sqlite")
        #expect(scripts.shardFile(3) == "shard-03.sqlite" && scripts.shardFile(11) == "shard-11.sqlite")
        let array = scripts.array
        for line in ["#SBATCH --array=0-11", "#SBATCH --cpus-per-task=4", "#SBATCH --partition=cpu",
                     "#SBATCH --time=1:00:00", "#SBATCH --output=/shared/lr/logs/shard-%a.out",
                     "shard=$(printf '%02d' \"$SLURM_ARRAY_TASK_ID\")",
                     "exec /opt/tracker sweep /shared/lr/lr.yaml \\",
                     "    --shard \"$SLURM_ARRAY_TASK_ID/12\" --db /shared/lr/\"shard-$shard.sqlite\" \\"] {
            #expect(array.split(separator: "\n").contains(Substring(line)), "\(line)")
        }
        #expect(scripts.merge.contains("exec /opt/tracker merge \"${shards[@]}\" --into /shared/lr.sqlite"))
        #expect(SlurmScripts.shellQuoted("/my dir/it's") == "'/my dir/it'\\''s'")
    }
}
