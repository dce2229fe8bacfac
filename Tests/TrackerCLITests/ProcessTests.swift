// Whole-process behaviour: concurrent writers, Ctrl-C, and a binary copied away from its build folder.
import Foundation
import Testing

@Suite(.serialized) struct ProcessTests {
    @Test func twoProcessesCreatingOneDatabaseAtOnceBothSucceed() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let first = try TrackerProcess.start(quickRun + ["--db", "shared.sqlite", "--name", "a"], in: workspace.url)
        let second = try TrackerProcess.start(quickRun + ["--db", "shared.sqlite", "--name", "b"], in: workspace.url)
        let results = [TrackerProcess.finish(first), TrackerProcess.finish(second)]
        for result in results { #expect(result.status == 0, "\(result.standardError)") }
        let runs = try workspace.tracker("sql", "SELECT name, status FROM runs ORDER BY name", "--db", "shared.sqlite",
                                         "--format", "csv")
        #expect(runs.standardOutput == "name,status\na,finished\nb,finished\n")
        // Each migration applied exactly once, versions 1...N without gaps.
        let migrations = try workspace.tracker(
            "sql", "SELECT count(*) = count(DISTINCT version) AND count(*) = max(version) AND count(*) >= 3 AS once "
                + "FROM schema_migrations", "--db", "shared.sqlite", "--format", "csv")
        #expect(migrations.standardOutput == "once\n1\n")
    }

    @Test func interruptMarksTheRunInterruptedAndKeepsItsData() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let started = try TrackerProcess.start(["run", "--epochs", "100000", "--snapshot-every", "100"], in: workspace.url)
        // Wait until the run has committed some steps, then press Ctrl-C.
        var committed = false
        for _ in 0..<200 where !committed {
            Thread.sleep(forTimeInterval: 0.1)
            let count = try? workspace.tracker("sql", "SELECT count(*) AS n FROM step_metrics", "--format", "csv")
            if let text = count?.standardOutput, let n = Int(text.split(separator: "\n").last ?? ""), n > 0 {
                committed = true
            }
        }
        #expect(committed)
        kill(started.0.processIdentifier, SIGINT)
        let result = TrackerProcess.finish(started)
        #expect(result.status == 130)
        #expect(result.standardOutput.contains("interrupted"))
        let run = try workspace.tracker("sql", "SELECT status, ended_at IS NOT NULL AS ended, "
                                        + "(SELECT count(*) FROM step_metrics) > 0 AS kept FROM runs", "--format", "csv")
        #expect(run.standardOutput == "status,ended,kept\ninterrupted,1,1\n")
    }

    @Test func aCopiedBinaryWorksAlone() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let copy = workspace.url.appending(path: "bin/tracker")
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TrackerProcess.executable, to: copy)
        let run = try TrackerProcess.run(quickRun, in: workspace.url, executable: copy)
        #expect(run.status == 0, "\(run.standardError)")
        let list = try TrackerProcess.run(["query", "--list"], in: workspace.url, executable: copy)
        #expect(list.standardOutput.contains("snapshot_series"))
        let series = try TrackerProcess.run(["query", "snapshot_series", "--param", "run=1", "--format", "csv"],
                                            in: workspace.url, executable: copy)
        #expect(series.standardOutput.split(separator: "\n").count > 10)
    }
}
