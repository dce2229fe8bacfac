// tracker sweep end to end: the dry run, errors that stop a sweep before it starts, two workers on one database,
// resuming, a killed worker, Ctrl-C, and shards merged into one file.
import Foundation
import GRDB
import Testing

@Suite(.serialized) struct SweepCommandTests {
    /// A sweep of 8 tiny digits runs: lr × arch × 2 seeds.
    static let tinySweep = ["sweep", "--grid", "lr=0.02,0.1", "--grid", "arch=8;6,4", "--seeds", "2",
                            "--epochs", "1", "--snapshot-every", "20", "--name", "tiny"]

    /// The CSV lines of `tracker sql QUERY` on `database`, header first.
    func rows(_ workspace: Workspace, _ query: String, _ database: String = "tracker.sqlite") throws -> [String] {
        let result = try workspace.tracker("sql", query, "--db", database, "--format", "csv")
        #expect(result.status == 0, "\(result.standardError)")
        return result.standardOutput.split(separator: "\n").map(String.init)
    }

    /// The pids of the live child processes of `parent` (from /proc).
    func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            return fields.count > 1 && fields[0] != "Z" && Int32(fields[1]) == parent
        }
    }

    /// Waits until `condition` holds (at most 30 s).
    func wait(_ condition: () throws -> Bool) rethrows -> Bool {
        for _ in 0..<600 {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    @Test func aDryRunListsEveryRunInOrderAndStartsNone() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let result = try TrackerProcess.run(Self.tinySweep + ["--dry-run", "--jobs", "2", "--cores", "4",
                                                              "--format", "csv"], in: workspace.url)
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.first == "index,lr,arch,seed,threads,action,last_status,run_id,run_key")
        // The grid's first key varies slowest, seeds innermost; 4 cores over 2 workers: 2 BLAS threads each.
        #expect(lines.dropFirst().map { String($0.dropLast(65)) } == [
            "0,0.02,8,0,2,run,,", "1,0.02,8,1,2,run,,", "2,0.02,\"6,4\",0,2,run,,", "3,0.02,\"6,4\",1,2,run,,",
            "4,0.1,8,0,2,run,,", "5,0.1,8,1,2,run,,", "6,0.1,\"6,4\",0,2,run,,", "7,0.1,\"6,4\",1,2,run,,",
        ])
        let keys = lines.dropFirst().map { String($0.split(separator: ",").last!) }
        #expect(Set(keys).count == 8 && keys.allSatisfy { $0.count == 64 && $0.allSatisfy(\.isHexDigit) })
        #expect(result.standardError == "sweep tiny: 8 run(s) to start, 0 finished earlier (dry run: nothing started)\n")
        #expect(!FileManager.default.fileExists(atPath: workspace.path("tracker.sqlite")))
        let json = try TrackerProcess.run(Self.tinySweep + ["--dry-run", "--format", "json"], in: workspace.url)
        let objects = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [[String: Any]]
        #expect(objects?.count == 8 && objects?[2]["arch"] as? String == "6,4" && objects?[7]["seed"] as? Int == 1)
    }

    @Test func onATerminalALiveLineCountsRunsAndTheTimeLeft() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let screen = try TrackerProcess.runInTerminal(["sweep", "--grid", "lr=0.02,0.1", "--seeds", "2", "--arch", "8",
                                                       "--epochs", "3", "--jobs", "2", "--name", "live"],
                                                      in: workspace.url, withStandardError: true)
        // The live line is rewritten in place (carriage returns), counts runs, and estimates once a run has ended.
        #expect(screen.contains("\rsweep: 0/4 done, 1 running") || screen.contains("\rsweep: 0/4 done, 2 running"))
        #expect(screen.contains("done, 1 running, ETA ") || screen.contains("done, 2 running, ETA "))
        #expect(screen.contains("[4/4] run "))
        #expect(screen.contains("sweep live: 4/4 finished in "))
    }

    @Test func aBadKeyOrValueStopsTheSweepBeforeAnythingRuns() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        try "grid:\n  lr: [0.1]\n  batch: [16, many]\n".write(to: workspace.url.appending(path: "bad.yaml"),
                                                              atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["--grid", "lrr=0.1"], "Error: --grid unknown key 'lrr' (did you mean 'lr'?)"),
            (["--grid", "lr=0.1,x"], "Error: --grid lr: expected a number, got 'x'"),
            (["--grid", "lr=0.1", "--lr", "0.2"], "Error: --grid lr: both swept and set for every run; drop one"),
            (["--grid", "arch=8;9x"], "Error: --grid arch: run 1 (arch=9x seed=0): architecture '9x': "),
            (["--seeds", "2", "--epochs", "none"], "Error: The value 'none' is invalid for '--epochs <epochs>'"),
            (["--seeds", "2", "--like", "1"], "Error: --like does not apply to a sweep"),
            (["bad.yaml"], "Error: bad.yaml:3: batch: expected an integer, got 'many'"),
            (["bad.yaml", "--shard", "3/3"], "Error: bad.yaml:3: batch: expected an integer, got 'many'"),
            (["--seeds", "2", "--shard", "3/3"], "Error: --shard: expected I/N with 0 ≤ I < N (e.g. 0/4), got '3/3'"),
        ]
        for (arguments, expected) in cases {
            let result = try TrackerProcess.run(["sweep"] + arguments, in: workspace.url)
            #expect(result.status == 64, "\(arguments): \(result.standardError)")
            #expect(result.standardError.hasPrefix(expected), "\(arguments): \(result.standardError)")
            #expect(result.standardError.split(separator: "\n").count == 1, "\(arguments): \(result.standardError)")
        }
        #expect(!FileManager.default.fileExists(atPath: workspace.path("tracker.sqlite")))
    }

    @Test func twoWorkersWriteOneDatabaseWithEveryRowAndResumeSkipsWhatFinished() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let result = try TrackerProcess.run(Self.tinySweep + ["--jobs", "2", "--cores", "2", "--format", "csv"],
                                            in: workspace.url)
        #expect(result.status == 0, "\(result.standardError)")
        // Plain lines when stdout is no terminal: no carriage returns, one line per run, no error of any kind.
        #expect(!result.standardError.contains("\r") && !result.standardError.lowercased().contains("error"))
        #expect(!result.standardError.contains("locked"))
        #expect(result.standardError.contains("[8/8] run "))
        let table = result.standardOutput.split(separator: "\n")
        #expect(table.count == 9 && table.dropFirst().allSatisfy { $0.contains(",finished,") })
        // Every run finished, once per key, linked, tagged, with one BLAS thread, and every step recorded.
        #expect(try rows(workspace, """
            SELECT count(*) AS runs, count(DISTINCT l.run_key) AS keys, sum(r.status = 'finished') AS finished,
                sum(r.blas_threads = 1) AS one_thread,
                sum((SELECT count(*) FROM tags t WHERE t.run_id = r.id AND t.tag = 'tiny')) AS tagged,
                sum((SELECT count(*) FROM step_metrics m WHERE m.run_id = r.id) = r.total_steps) AS all_steps,
                sum((SELECT max(step) FROM step_metrics m WHERE m.run_id = r.id) = r.total_steps) AS last_step,
                sum((SELECT count(*) FROM evaluations e WHERE e.run_id = r.id AND e.split = 'train') = 1) AS evaluated,
                (SELECT count(*) FROM sweeps) AS sweeps
            FROM runs r JOIN sweep_runs l ON l.run_id = r.id
            """) == ["runs,keys,finished,one_thread,tagged,all_steps,last_step,evaluated,sweeps",
                     "8,8,8,8,8,8,8,8,1"])
        #expect(try rows(workspace, "SELECT count(*) FROM runs") == ["count(*)", "8"])
        #expect(try rows(workspace, "SELECT name FROM runs r JOIN sweep_runs l ON l.run_id = r.id WHERE l.run_index = 2")
                == ["name", "\"tiny lr=0.02 arch=6,4 seed=0\""])
        let commandLine = try rows(workspace, "SELECT command_line FROM runs r JOIN sweep_runs l ON l.run_id = r.id "
                                   + "WHERE l.run_index = 7")
        #expect(commandLine.last?.hasSuffix(" sweep --grid lr=0.02,0.1 --grid 'arch=8;6,4' --seeds 2 --epochs 1 "
                                            + "--snapshot-every 20 --name tiny --jobs 2 --cores 2 --format csv  "
                                            + "# run 7 of sweep tiny\"") == true, "\(commandLine)")

        // Run again: nothing to do.
        let again = try TrackerProcess.run(Self.tinySweep + ["--jobs", "2", "--format", "csv"], in: workspace.url)
        #expect(again.status == 0)
        #expect(again.standardOutput.split(separator: "\n").dropFirst().allSatisfy { $0.contains(",skipped,") })
        #expect(try rows(workspace, "SELECT count(*) FROM runs") == ["count(*)", "8"])

        // A failed, an interrupted and a crashed (left running) run are re-run; the others are skipped.
        let sql = workspace.url.appending(path: "tracker.sqlite").path
        try Self.execute(sql, """
            UPDATE runs SET status = 'failed' WHERE id = (SELECT run_id FROM sweep_runs WHERE run_index = 1);
            UPDATE runs SET status = 'interrupted' WHERE id = (SELECT run_id FROM sweep_runs WHERE run_index = 4);
            UPDATE runs SET status = 'running' WHERE id = (SELECT run_id FROM sweep_runs WHERE run_index = 6);
            """)
        let plan = try TrackerProcess.run(Self.tinySweep + ["--dry-run", "--format", "csv"], in: workspace.url)
        #expect(plan.standardOutput.split(separator: "\n").filter { $0.contains(",run,") }
            .map { String($0.prefix(2)) } == ["1,", "4,", "6,"])
        let resumed = try TrackerProcess.run(Self.tinySweep + ["--jobs", "2", "--format", "csv"], in: workspace.url)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        let statuses = resumed.standardOutput.split(separator: "\n").dropFirst().map { line in
            "\(line.prefix { $0 != "," }):" + (["skipped", "finished", "failed"].first { line.contains(",\($0),") } ?? "?")
        }
        #expect(statuses == ["0:skipped", "1:finished", "2:skipped", "3:skipped", "4:finished", "5:skipped",
                             "6:finished", "7:skipped"])
        #expect(try rows(workspace, """
            SELECT count(*) AS runs, count(DISTINCT run_key) AS keys,
                (SELECT count(*) FROM (SELECT run_key FROM sweep_runs l JOIN runs r ON r.id = l.run_id
                    WHERE r.status = 'finished' GROUP BY run_key HAVING count(*) = 1)) AS finished_once
            FROM sweep_runs
            """) == ["runs,keys,finished_once", "11,8,8"])
        // More seeds: only the new ones run, and the sweep's definition is updated.
        let extended = try TrackerProcess.run(["sweep", "--grid", "lr=0.02,0.1", "--grid", "arch=8;6,4", "--seeds", "3",
                                               "--epochs", "1", "--snapshot-every", "20", "--name", "tiny",
                                               "--format", "csv"], in: workspace.url)
        #expect(extended.status == 0)
        #expect(extended.standardOutput.split(separator: "\n").filter { $0.contains(",finished,") }.count == 4)
        #expect(extended.standardError.contains("note") || extended.standardError.contains("replaced"))
        #expect(try rows(workspace, "SELECT configuration LIKE '%seeds: 3%' FROM sweeps") == ["configuration LIKE '%seeds: 3%'", "1"])
    }

    @Test func aKilledWorkersRunEndsCrashedAndCtrlCInterruptsTheOthers() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        // The first run is long (killed), the second short; then a sweep stopped by Ctrl-C.
        let killed = try TrackerProcess.start(["sweep", "--grid", "epochs=400,1", "--arch", "8", "--name", "k",
                                               "--format", "csv"], in: workspace.url)
        let coordinator = killed.0.processIdentifier
        var worker: Int32?
        #expect(try wait {
            worker = children(of: coordinator).first
            guard worker != nil else { return false }
            let steps = try workspace.tracker("sql", "SELECT count(*) > 0 FROM step_metrics", "--format", "csv")
            return steps.standardOutput.hasSuffix("\n1\n")
        })
        kill(worker!, SIGKILL)
        let result = TrackerProcess.finish(killed)
        #expect(result.status == 1)
        #expect(result.standardError.contains("crashed: epochs=400 seed=0 (the worker was killed by signal 9)"))
        #expect(result.standardError.hasSuffix("Error: 1 of 2 runs failed or crashed; the same command runs them again\n"))
        #expect(try rows(workspace, "SELECT l.run_index, r.status, r.error_message FROM sweep_runs l JOIN runs r ON r.id = l.run_id ORDER BY 1")
                == ["run_index,status,error_message", "0,crashed,the worker was killed by signal 9", "1,finished,"])
        let plan = try TrackerProcess.run(["sweep", "--grid", "epochs=400,1", "--arch", "8", "--name", "k", "--dry-run",
                                           "--format", "csv"], in: workspace.url)
        #expect(plan.standardOutput.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[4] } == ["run", "skip"])

        // Ctrl-C: the coordinator passes one SIGTERM to each worker, whose run ends interrupted; none starts after.
        let stopped = try TrackerProcess.start(["sweep", "--grid", "epochs=400,401,402", "--arch", "8", "--name", "c",
                                                "--jobs", "2", "--db", "c.sqlite", "--format", "csv"], in: workspace.url)
        #expect(try wait {
            guard FileManager.default.fileExists(atPath: workspace.path("c.sqlite")) else { return false }
            let running = try workspace.tracker("sql", "SELECT count(DISTINCT run_id) FROM step_metrics", "--db",
                                                "c.sqlite", "--format", "csv")
            return running.standardOutput.hasSuffix("\n2\n")
        })
        kill(stopped.0.processIdentifier, SIGINT)
        let interrupted = TrackerProcess.finish(stopped)
        #expect(interrupted.status == 130, "\(interrupted.standardError)")
        #expect(interrupted.standardOutput.split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",", omittingEmptySubsequences: false)[3] } == ["interrupted", "interrupted", "not started"])
        #expect(try rows(workspace, "SELECT status, ended_at IS NOT NULL FROM runs ORDER BY id", "c.sqlite")
                == ["status,ended_at IS NOT NULL", "interrupted,1", "interrupted,1"])
        #expect(children(of: stopped.0.processIdentifier).isEmpty)
    }

    @Test func shardsPartitionTheRunsAndMergeIntoOneSweep() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        // For several N, the dry runs of the N shards list every run exactly once.
        for count in [2, 3, 5] {
            var indices: [Int] = []
            for index in 0..<count {
                let plan = try TrackerProcess.run(Self.tinySweep + ["--dry-run", "--shard", "\(index)/\(count)",
                                                                    "--format", "csv"], in: workspace.url)
                #expect(plan.status == 0, "\(plan.standardError)")
                indices += plan.standardOutput.split(separator: "\n").dropFirst().map { Int($0.split(separator: ",")[0])! }
            }
            #expect(indices.sorted() == Array(0..<8), "\(count) shards: \(indices)")
        }
        // Three shards run into their own files, then merged: one sweep, every run once, links intact.
        for index in 0..<3 {
            let shard = try TrackerProcess.run(Self.tinySweep + ["--shard", "\(index)/3", "--db", "shard-\(index).sqlite"],
                                               in: workspace.url)
            #expect(shard.status == 0, "\(shard.standardError)")
        }
        let merge = try workspace.tracker("merge", "shard-0.sqlite", "shard-1.sqlite", "shard-2.sqlite",
                                          "--into", "sweep.sqlite", "--format", "csv")
        #expect(merge.status == 0, "\(merge.standardError)")
        #expect(try rows(workspace, """
            SELECT count(*) AS runs, count(DISTINCT l.run_key) AS keys, count(DISTINCT l.run_index) AS indices,
                (SELECT count(*) FROM sweeps) AS sweeps, sum(r.status = 'finished') AS finished
            FROM runs r JOIN sweep_runs l ON l.run_id = r.id JOIN sweeps s ON s.uuid = l.sweep_uuid
            """, "sweep.sqlite") == ["runs,keys,indices,sweeps,finished", "8,8,8,1,8"])
        // The merged file resumes like any: nothing left to run.
        let plan = try TrackerProcess.run(Self.tinySweep + ["--dry-run", "--db", "sweep.sqlite", "--format", "csv"],
                                          in: workspace.url)
        #expect(plan.standardOutput.split(separator: "\n").dropFirst().allSatisfy { $0.contains(",skip,finished,") })
        let again = try workspace.tracker("merge", "shard-0.sqlite", "shard-1.sqlite", "shard-2.sqlite",
                                          "--into", "sweep.sqlite", "--format", "csv")
        #expect(again.status == 0 && again.standardOutput.split(separator: "\n").dropFirst().allSatisfy { $0.contains(",0,") })
    }

    /// Runs SQL that writes (tracker sql refuses to), as a person would with sqlite3.
    static func execute(_ path: String, _ sql: String) throws {
        try DatabaseQueue(path: path).write { try $0.execute(sql: sql) }
    }
}
