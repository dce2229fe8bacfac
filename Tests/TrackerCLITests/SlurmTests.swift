// A sweep submitted to a real one-node Slurm cluster as a job array, merged by the job that follows it.
import Foundation
import Testing

/// Runs only where Slurm and munge are installed (`scripts/setup --slurm`, which `.ci/run` calls) and as root; the
/// cluster is started by scripts/slurm-local in the test's own folder and stopped when the test ends.
@Suite(.serialized) struct SlurmTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let harness = root.appending(path: "scripts/slurm-local")

    static var isAvailable: Bool {
        getuid() == 0 && ["/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch", "/usr/bin/squeue",
                          "/usr/sbin/munged"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `command arguments...` with `environment` added; returns its exit status and output.
    @discardableResult
    static func shell(_ command: String, _ arguments: [String], environment: [String: String]) throws
        -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        // A file, not a pipe: daemons started by the harness could hold a pipe open long after it exits.
        let log = FileManager.default.temporaryDirectory.appending(path: "tracker-slurm-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    @Test(.enabled(if: isAvailable, "Slurm is not installed here (scripts/setup --slurm installs it) or this is not root: the job-array test is skipped"),
          .timeLimit(.minutes(3)))
    func aSweepSubmittedAsAJobArrayHasEveryRunOnceAfterTheMerge() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let cluster = workspace.path("slurm")
        let environment = ["SLURM_LOCAL_DIR": cluster, "SLURM_CONF": cluster + "/etc/slurm.conf"]
        let started = try Self.shell(Self.harness.path, ["start"], environment: environment)
        defer { _ = try? Self.shell(Self.harness.path, ["stop"], environment: environment) }
        try #require(started.status == 0, "the cluster did not start: \(started.output)")

        // 3 learning rates × 2 seeds of tiny digits runs, as a job array of 4 tasks (shards of 2, 2, 1, 1 runs).
        let submit = try TrackerProcess.run(
            ["sweep", "--grid", "lr=0.02,0.05,0.1", "--seeds", "2", "--arch", "8", "--epochs", "1",
             "--snapshot-every", "20", "--name", "cluster", "--slurm", "--shards", "4", "--cpus", "1",
             "--time", "5:00", "--out-dir", "job", "--db", "sweep.sqlite", "--submit"],
            in: workspace.url, environment: environment)
        try #require(submit.status == 0, "\(submit.standardError)")
        #expect(submit.standardOutput.contains("6 runs in 4 shard(s)"))
        #expect(submit.standardOutput.contains("submitted job array "))

        // Wait for the array and the merge job that depends on it.
        var drained = false
        for _ in 0..<1200 where !drained {
            let queue = try Self.shell("/usr/bin/squeue", ["-h"], environment: environment)
            drained = queue.status == 0 && queue.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            if !drained { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(drained, "jobs still queued")
        let logs = workspace.url.appending(path: "job/logs")
        let merged = workspace.path("sweep.sqlite")
        let mergeLog = (try? String(contentsOf: logs.appending(path: "merge.out"), encoding: .utf8)) ?? "(no log)"
        try #require(FileManager.default.fileExists(atPath: merged), "no merged database: \(mergeLog)")
        for shard in 0..<4 {
            #expect(FileManager.default.fileExists(atPath: workspace.path("job/shard-\(shard).sqlite")))
            let log = (try? String(contentsOf: logs.appending(path: "shard-\(shard).out"), encoding: .utf8)) ?? ""
            #expect(log.contains("sweep cluster: shard \(shard)/4"), "\(log)")
        }

        // Every run of the sweep is there exactly once, finished, linked to one sweep.
        let check = try workspace.tracker("sql", """
            SELECT count(*) AS runs, count(DISTINCT l.run_key) AS keys, count(DISTINCT l.run_index) AS indices,
                sum(r.status = 'finished') AS finished, (SELECT count(*) FROM sweeps) AS sweeps,
                (SELECT count(*) FROM runs) AS all_runs
            FROM runs r JOIN sweep_runs l ON l.run_id = r.id
            """, "--db", "sweep.sqlite", "--format", "csv")
        #expect(check.standardOutput == "runs,keys,indices,finished,sweeps,all_runs\n6,6,6,6,1,6\n",
                "\(check.standardError) \(mergeLog)")
        // The merged file resumes like any: a dry run of the same sweep has nothing to start.
        let plan = try workspace.tracker("sweep", "--grid", "lr=0.02,0.05,0.1", "--seeds", "2", "--arch", "8",
                                         "--epochs", "1", "--snapshot-every", "20", "--name", "cluster", "--dry-run",
                                         "--db", "sweep.sqlite", "--format", "csv")
        #expect(plan.standardOutput.split(separator: "\n").dropFirst().allSatisfy { $0.contains(",skip,finished,") })
        #expect(plan.standardOutput.split(separator: "\n").count == 7)
    }
}
