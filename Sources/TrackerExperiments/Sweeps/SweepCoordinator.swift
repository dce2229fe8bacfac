// Runs a sweep's runs on N worker processes writing one database, resuming what a previous attempt left undone.
import Foundation
import TrackerStore

/// What became of one run of a sweep in this attempt.
public struct SweepRunResult: Sendable {
    public enum Outcome: String, Sendable {
        /// Trained to the end now, or `skipped`: finished by an earlier attempt.
        case finished, skipped
        /// Stopped by Ctrl-C or SIGTERM, failed (an error), or crashed (its worker died); re-run by the next attempt.
        case interrupted, failed, crashed
        /// Not started, because the sweep was stopped first.
        case notStarted = "not started"
    }

    public let point: SweepPoint
    public var outcome: Outcome
    public var runID: Int64?
    /// Seconds the run took (its own start to end, as stored); nil when it did not run.
    public var wallTime: Double?
    public var testAccuracy: Double?
    /// Why it failed (the worker's last error line).
    public var message: String?

    public init(point: SweepPoint, outcome: Outcome, runID: Int64? = nil, wallTime: Double? = nil,
                testAccuracy: Double? = nil, message: String? = nil) {
        self.point = point
        self.outcome = outcome
        self.runID = runID
        self.wallTime = wallTime
        self.testAccuracy = testAccuracy
        self.message = message
    }
}

/// What a re-run of a sweep has left to do: a run is done when a run with its key finished (in any attempt);
/// interrupted, failed and crashed (left `running`) attempts do not count.
public struct SweepResume: Sendable {
    /// The points with no finished run, in order.
    public let pending: [SweepPoint]
    /// The points with a finished run, as results (its newest finished run's id, time and accuracy).
    public let skipped: [SweepRunResult]
    /// Per key, the newest finished run, else the newest attempt.
    public let latest: [String: SweepRunRecord]

    /// - Parameter runs: The runs linked to the sweep (``TrackerDatabase/sweepRuns(sweepUUID:)``, oldest first).
    public init(_ points: [SweepPoint], runs: [SweepRunRecord]) {
        var latest: [String: SweepRunRecord] = [:]
        for run in runs where latest[run.runKey]?.status != .finished || run.status == .finished {
            latest[run.runKey] = run
        }
        self.latest = latest
        pending = points.filter { latest[$0.key]?.status != .finished }
        skipped = points.compactMap { point in
            guard let run = latest[point.key], run.status == .finished else { return nil }
            return SweepRunResult(point: point, outcome: .skipped, runID: run.runID, wallTime: run.wallTime,
                                  testAccuracy: run.testAccuracy)
        }
    }
}

/// Where a sweep stands, for a progress line.
public struct SweepProgress: Sendable, Equatable {
    /// Runs in this sweep (or shard), those finished by an earlier attempt among them.
    public var total = 0
    public var skipped = 0
    public var finished = 0
    public var failed = 0
    public var interrupted = 0
    public var running = 0
    public var jobs = 1
    /// Seconds since the coordinator started its first worker.
    public var elapsed = 0.0
    /// Mean seconds from a worker's start to its end, over the runs ended so far.
    public var meanRunSeconds: Double?

    /// A sweep of `total` runs, `skipped` of them finished by an earlier attempt.
    public init(total: Int, skipped: Int = 0) {
        self.total = total
        self.skipped = skipped
    }

    /// Runs not yet started.
    public var pending: Int { total - skipped - finished - failed - interrupted - running }

    /// Seconds until the last run ends: the runs left (running ones count half) times the mean run time, over the
    /// workers; nil before a run has ended.
    public var estimatedSecondsLeft: Double? {
        guard let meanRunSeconds else { return nil }
        return (Double(pending) + 0.5 * Double(running)) * meanRunSeconds / Double(max(1, min(jobs, pending + running)))
    }

    /// `12/20 done (4 skipped), 2 running, 1 failed, ETA 1m05s`.
    public var description: String {
        var parts = ["\(finished + skipped)/\(total) done" + (skipped > 0 ? " (\(skipped) skipped)" : "")]
        parts.append("\(running) running")
        if failed > 0 { parts.append("\(failed) failed") }
        if interrupted > 0 { parts.append("\(interrupted) interrupted") }
        if let eta = estimatedSecondsLeft { parts.append("ETA " + Self.duration(eta)) }
        return parts.joined(separator: ", ")
    }

    /// `42s`, `3m05s`, `1h02m`.
    public static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return String(format: "%dm%02ds", total / 60, total % 60) }
        return String(format: "%dh%02dm", total / 3600, (total % 3600) / 60)
    }
}

/// What the coordinator reports while it works.
public enum SweepEvent: Sendable {
    case started(SweepPoint)
    case ended(SweepRunResult)
    /// Nothing started or ended; sent a few times a second so a progress line can count the time.
    case tick
}

/// Starts one worker process per run, at most `jobs` at once, until every run has ended or the sweep is stopped.
/// The runs may belong to several sweeps (`tracker reproduce` runs one per condition on the same workers).
///
/// Workers write the shared database themselves (WAL mode, with a busy timeout); the coordinator only reads it, and
/// ends a run whose worker died without ending it: `crashed` when the worker was killed, `interrupted` when the
/// sweep was being stopped, `failed` when the worker exited with an error before ending it.
public final class SweepCoordinator {
    let database: TrackerDatabase
    /// The sweep of each run.
    let sweepUUID: (SweepPoint) -> String
    let jobs: Int
    let logFolder: URL
    let executable: String
    let arguments: (SweepPoint) -> [String]

    /// - Parameters:
    ///   - arguments: The worker's arguments (after `executable`) that run one point.
    ///   - logFolder: Where workers' stdout and stderr go (one pair of files per run).
    public convenience init(database: TrackerDatabase, sweepUUID: String, jobs: Int, logFolder: URL, executable: String,
                            arguments: @escaping (SweepPoint) -> [String]) {
        self.init(database: database, sweepUUIDs: { _ in sweepUUID }, jobs: jobs, logFolder: logFolder,
                  executable: executable, arguments: arguments)
    }

    /// Runs of several sweeps.
    ///
    /// - Parameter sweepUUIDs: The sweep of each run (for ending a run its worker left unended).
    public init(database: TrackerDatabase, sweepUUIDs: @escaping (SweepPoint) -> String, jobs: Int, logFolder: URL,
                executable: String, arguments: @escaping (SweepPoint) -> [String]) {
        precondition(jobs >= 1, "a sweep needs at least one worker")
        self.database = database
        self.sweepUUID = sweepUUIDs
        self.jobs = jobs
        self.logFolder = logFolder
        self.executable = executable
        self.arguments = arguments
    }

    /// Runs `points` in order.
    ///
    /// - Parameters:
    ///   - progress: The counts before any run starts (total and skipped set); updated and passed to `event`.
    ///   - stopLevel: Polled between polls of the workers: 1 stops the sweep (no new runs; each worker gets one
    ///     SIGTERM and ends its run `interrupted`), 2 also kills the workers (SIGKILL; their runs are ended here).
    /// - Returns: One result per point, in the order of `points`.
    public func run(_ points: [SweepPoint], progress initial: SweepProgress, stopLevel: () -> Int,
                    event: (SweepEvent, SweepProgress) -> Void) -> [SweepRunResult] {
        var progress = initial
        progress.jobs = jobs
        // By position in `points` (runs of several sweeps may share an index).
        var results: [Int: SweepRunResult] = [:]
        var running: [(position: Int, point: SweepPoint, worker: WorkerProcess, started: Date)] = []
        var next = 0
        var stopped = 0
        var durations: [Double] = []
        let start = Date()
        var lastTick = Date.distantPast
        try? FileManager.default.createDirectory(at: logFolder, withIntermediateDirectories: true)

        while next < points.count || !running.isEmpty {
            let level = stopLevel()
            if level > stopped {
                for entry in running { entry.worker.send(level >= 2 ? SIGKILL : SIGTERM) }
                stopped = level
            }
            while stopped == 0 && running.count < jobs && next < points.count {
                let position = next
                let point = points[next]
                next += 1
                let stem = logFolder.appending(path: "run-\(position)").path
                do {
                    let worker = try WorkerProcess(executable: executable, arguments: arguments(point),
                                                   standardOutput: URL(fileURLWithPath: stem + ".out"),
                                                   standardError: URL(fileURLWithPath: stem + ".err"))
                    running.append((position, point, worker, Date()))
                    progress.running += 1
                    event(.started(point), progress)
                } catch {
                    let result = SweepRunResult(point: point, outcome: .failed, message: "\(error)")
                    results[position] = result
                    progress.failed += 1
                    event(.ended(result), progress)
                }
            }
            if stopped > 0 && next < points.count {
                for position in next..<points.count {
                    results[position] = SweepRunResult(point: points[position], outcome: .notStarted)
                }
                next = points.count
            }
            var ended = false
            running.removeAll { entry in
                guard let exit = entry.worker.poll() else { return false }
                ended = true
                let seconds = Date().timeIntervalSince(entry.started)
                durations.append(seconds)
                let result = outcome(of: entry.point, worker: entry.worker, exit: exit, stopping: stopped > 0)
                results[entry.position] = result
                progress.running -= 1
                switch result.outcome {
                case .finished, .skipped: progress.finished += 1
                case .failed, .crashed, .notStarted: progress.failed += 1
                case .interrupted: progress.interrupted += 1
                }
                progress.meanRunSeconds = durations.reduce(0, +) / Double(durations.count)
                progress.elapsed = Date().timeIntervalSince(start)
                event(.ended(result), progress)
                try? FileManager.default.removeItem(at: entry.worker.standardOutput)
                try? FileManager.default.removeItem(at: entry.worker.standardError)
                return true
            }
            if !ended && !running.isEmpty {
                if Date().timeIntervalSince(lastTick) >= 0.25 {
                    lastTick = Date()
                    progress.elapsed = Date().timeIntervalSince(start)
                    event(.tick, progress)
                }
                usleep(20_000)
            }
        }
        return points.indices.map { results[$0] ?? SweepRunResult(point: points[$0], outcome: .notStarted) }
    }

    /// The result of a worker that ended, read from its summary (JSON on stdout) and exit; a run it left `running`
    /// is ended here.
    func outcome(of point: SweepPoint, worker: WorkerProcess, exit: WorkerExit, stopping: Bool) -> SweepRunResult {
        var result = SweepRunResult(point: point, outcome: .failed)
        let summary = worker.output.split(separator: "\n").last { $0.hasPrefix("{") }
            .flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        if let summary {
            result.runID = (summary["run_id"] as? NSNumber)?.int64Value
            result.wallTime = (summary["wall_time"] as? NSNumber)?.doubleValue
            result.testAccuracy = (summary["test_accuracy"] as? NSNumber)?.doubleValue
        }
        switch exit {
        case .exited(0) where summary?["status"] as? String == "finished":
            result.outcome = .finished
        case .exited(130):
            result.outcome = .interrupted
        case .exited(let code):
            result.outcome = .failed
            result.message = worker.lastErrorLine ?? "the worker exited with status \(code)"
        case .signaled(let signal):
            result.outcome = stopping ? .interrupted : .crashed
            result.message = "the worker was killed by signal \(signal)"
        }
        if result.outcome != .finished {
            // A worker that could not end its run itself (killed, or stopped twice) leaves it `running`.
            let status: RunStatus = switch result.outcome {
            case .interrupted: .interrupted
            case .crashed: .crashed
            default: .failed
            }
            let message = result.message ?? (result.outcome == .interrupted ? nil : "the worker ended without ending the run")
            if let runID = try? database.endAbandonedSweepRun(sweepUUID: sweepUUID(point), runKey: point.key, status: status,
                                                               message: message) {
                result.runID = runID
            }
        }
        return result
    }
}
