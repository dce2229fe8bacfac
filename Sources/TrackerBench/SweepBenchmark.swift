// Sweep overhead: the wall time of a 20-run sweep on 2 worker processes against the sum of its runs' own times.
import Foundation
import TrackerStore

/// Times `tracker sweep` over 20 small digits runs (4 learning rates × 5 seeds) with `--jobs 2` into a fresh file.
///
/// A run's own time is its `started_at` to `ended_at` (training, snapshots, evaluations and its writes); what a sweep
/// adds is everything else: expanding and checking the runs, a process per run (start, data set decode, opening
/// the database), the coordinator's polling. Ideal: the runs' total over the 2 workers. Reported: the sweep's wall
/// time, the runs' total, and the overhead (wall − total / 2) per run and as a fraction of the ideal.
enum SweepBenchmark {
    static let arguments = ["sweep", "--grid", "lr=0.01,0.02,0.05,0.1", "--seeds", "5", "--arch", "dense128-relu-dense64-relu",
                            "--epochs", "30", "--snapshot-every", "50", "--name", "bench", "--jobs", "2", "--cores", "2"]

    static func measure(tracker: URL, folder: URL) throws -> [Measurement] {
        let path = folder.appending(path: "sweep.sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let (wall, _) = try CommandBenchmark.time(tracker, arguments + ["--db", path])
        let runs = try TrackerDatabase.openForReading(path: path).sweepRuns(sweepUUID: SweepRecord.uuid(forName: "bench"))
        guard runs.count == 20, runs.allSatisfy({ $0.status == .finished }) else {
            throw BenchmarkFailure("the benchmark sweep recorded \(runs.count) runs, not 20 finished ones")
        }
        let total = runs.compactMap(\.wallTime).reduce(0, +)
        let ideal = total / 2
        let configuration = "20 digits runs (dense128-dense64, 30 epochs), --jobs 2"
        return [
            Measurement(name: "sweep_wall", configuration: configuration, value: wall, unit: "s"),
            Measurement(name: "sweep_runs_total", configuration: "sum of the runs' own times (started_at to ended_at)",
                        value: total, unit: "s"),
            Measurement(name: "sweep_overhead", configuration: "(wall - total / 2) per run",
                        value: (wall - ideal) / 20 * 1000, unit: "ms/run"),
            Measurement(name: "sweep_overhead", configuration: "wall / (total / 2) - 1",
                        value: (wall / ideal - 1) * 100, unit: "%"),
        ]
    }
}
