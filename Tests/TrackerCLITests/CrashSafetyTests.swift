// Real faults on real processes: kill -9 mid-run, eight writers on one file, a full file-size limit, a read-only
// folder and an unreadable file, and the database deleted under a running run.
import Foundation
import Testing

@Suite(.serialized) struct CrashSafetyTests {
    /// The first value of a one-column CSV query, or nil.
    static func scalar(_ workspace: Workspace, _ sql: String, db: String = "tracker.sqlite") throws -> String? {
        let result = try workspace.tracker("sql", "--db", db, sql, "--format", "csv")
        return result.status == 0 ? result.standardOutput.split(separator: "\n").dropFirst().first.map(String.init) : nil
    }

    /// Polls until `condition` holds or `seconds` pass.
    static func wait(seconds: Double, until condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    /// A run long enough to be interrupted: thousands of steps on digits.
    static let longRun = ["run", "--arch", "24,12", "--epochs", "400", "--snapshot-every", "20", "--threads", "1"]

    @Test func killNineLosesAtMostTheLastBatchAndLeavesTheFileIntact() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let started = try TrackerProcess.start(Self.longRun, in: workspace.url)
        var committed = 0
        let running = try Self.wait(seconds: 60) {
            committed = Int(try Self.scalar(workspace, "SELECT count(*) FROM step_metrics") ?? "0") ?? 0
            return committed > 0
        }
        #expect(running, "the run committed rows")
        kill(started.0.processIdentifier, SIGKILL)
        let killed = TrackerProcess.finish(started)
        #expect(killed.status == SIGKILL || killed.status == 128 + SIGKILL || killed.status != 0)
        #expect(FileManager.default.fileExists(atPath: workspace.path("tracker.sqlite-wal")), "the log of a killed writer stays")
        // Every committed row survives; the file is intact; the run stays `running` until reaped.
        let kept = Int(try Self.scalar(workspace, "SELECT count(*) FROM step_metrics") ?? "0") ?? 0
        #expect(kept >= committed)
        let check = try workspace.tracker("check", "tracker.sqlite", "--format", "json")
        #expect(check.status == 0 && check.standardOutput.contains("\"integrity\":[\"ok\"]"), "\(check.standardOutput)")
        #expect(check.standardOutput.contains("\"stale_runs\":[]"), "not stale within 10 minutes")
        #expect(try Self.scalar(workspace, "SELECT status FROM runs") == "running")
        let stale = try workspace.tracker("check", "tracker.sqlite", "--stale", "0s")
        #expect(stale.standardOutput.contains("run 1 "), "\(stale.standardOutput)")
        let reap = try workspace.tracker("reap", "--older-than", "0s", "--format", "csv")
        #expect(reap.status == 0 && reap.standardOutput.hasPrefix("id,uuid,last_commit"), "\(reap.standardError)")
        #expect(try Self.scalar(workspace, "SELECT status FROM runs") == "crashed")
        #expect(try Self.scalar(workspace, "SELECT ended_at = heartbeat_at FROM runs") == "1")
        #expect(Int(try Self.scalar(workspace, "SELECT count(*) FROM step_metrics") ?? "0") == kept)
        let again = try workspace.tracker("reap", "--older-than", "0s")
        #expect(again.standardOutput.hasPrefix("no running run"))
        let crashedRuns = try workspace.tracker("runs", "--status", "crashed", "--format", "csv")
        #expect(crashedRuns.standardOutput.split(separator: "\n").count == 2)
    }

    @Test func eightWritersOnOneFileLoseNothing() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let processes = try (1...8).map { seed in
            try TrackerProcess.start(["run", "--arch", "16", "--epochs", "3", "--snapshot-every", "10", "--threads", "1",
                                      "--seed", String(seed), "--tag", "stress"], in: workspace.url)
        }
        let results = processes.map(TrackerProcess.finish)
        for (index, result) in results.enumerated() {
            #expect(result.status == 0, "writer \(index + 1): \(result.standardError)")
            #expect(result.standardError.isEmpty, "writer \(index + 1): \(result.standardError)")
        }
        #expect(try Self.scalar(workspace, "SELECT count(*) FROM runs WHERE status = 'finished'") == "8")
        // Every run holds exactly its steps, and the same number of snapshots (same settings, other seeds).
        #expect(try Self.scalar(workspace, """
            SELECT count(*) FROM runs r WHERE r.total_steps <> (SELECT count(*) FROM step_metrics m WHERE m.run_id = r.id)
            """) == "0")
        #expect(try Self.scalar(workspace, """
            SELECT count(DISTINCT n) FROM (SELECT count(*) AS n FROM snapshots GROUP BY run_id)
            """) == "1")
        #expect(try Self.scalar(workspace, "SELECT count(DISTINCT seed) FROM runs") == "8")
    }

    @Test func aFullFileSizeLimitStopsTheRunWithOneLineAndKeepsWhatWasCommitted() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        // bash's ulimit -f counts 1024-byte blocks: the database (and its -wal) may not grow past 512 KiB. The WAL holds
        // the schema's pages until a checkpoint, so the limit leaves room for the schema and some steps.
        let command = "ulimit -f 512; exec '\(TrackerProcess.executable.path)' " + Self.longRun.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = workspace.url
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(process.terminationReason == .exit, "an error exit, not a signal")
        #expect(message.split(separator: "\n").count == 1, "one line: \(message)")
        #expect(message.contains("cannot write tracker.sqlite") && message.contains("intact"), "\(message)")
        let check = try workspace.tracker("check", "tracker.sqlite", "--format", "json")
        #expect(check.standardOutput.contains("\"integrity\":[\"ok\"]"), "\(check.standardOutput)")
        #expect((Int(try Self.scalar(workspace, "SELECT count(*) FROM step_metrics") ?? "0") ?? 0) > 0)
    }

    @Test func deletingTheDatabaseUnderARunningRunStopsIt() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        let started = try TrackerProcess.start(Self.longRun, in: workspace.url)
        let running = try Self.wait(seconds: 60) {
            (Int(try Self.scalar(workspace, "SELECT count(*) FROM step_metrics") ?? "0") ?? 0) > 0
        }
        #expect(running)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: workspace.path("tracker.sqlite" + suffix)) }
        let stopped = try Self.wait(seconds: 20) { !started.0.isRunning }
        if !stopped { kill(started.0.processIdentifier, SIGKILL) }
        let result = TrackerProcess.finish(started)
        #expect(stopped, "the run stopped by itself")
        #expect(result.status == 1)
        #expect(result.standardError.contains("was deleted, moved or replaced"), "\(result.standardError)")
    }

    /// Runs tracker as the unprivileged user `nobody`, so that file permissions apply (they do not bind root).
    static func asNobody(_ arguments: [String], in workspace: Workspace) throws -> Invocation {
        if getuid() != 0 { return try TrackerProcess.run(arguments, in: workspace.url) }
        return try TrackerProcess.run(["--reuid=65534", "--regid=65534", "--clear-groups", TrackerProcess.executable.path]
                                      + arguments, in: workspace.url, executable: URL(fileURLWithPath: "/usr/bin/setpriv"))
    }

    @Test(.enabled(if: getuid() != 0 || FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func unwritableFoldersAndUnreadableFilesGetOneLine() throws {
        let workspace = try Workspace()
        defer {
            chmod(workspace.path("locked"), 0o755)
            workspace.cleanup()
        }
        chmod(workspace.url.path, 0o777)  // nobody writes its own output files here
        #expect(try TrackerProcess.run(["run", "--arch", "8", "--epochs", "1"], in: workspace.url).status == 0)
        let before = FileManager.default.contents(atPath: workspace.path("tracker.sqlite"))
        chmod(workspace.path("tracker.sqlite"), 0o600)
        try FileManager.default.createDirectory(atPath: workspace.path("locked"), withIntermediateDirectories: true)
        chmod(workspace.path("locked"), 0o555)

        let folder = try Self.asNobody(["run", "--arch", "8", "--epochs", "1", "--db", "locked/new.sqlite"], in: workspace)
        #expect(folder.status != 0)
        #expect(folder.standardError.split(separator: "\n").count == 1, "\(folder.standardError)")
        #expect(folder.standardError.contains("locked/new.sqlite"), "\(folder.standardError)")
        let unreadable = try Self.asNobody(["runs"], in: workspace)
        #expect(unreadable.status == 1)
        #expect(unreadable.standardError == "Error: cannot read tracker.sqlite\n", "\(unreadable.standardError)")
        let unwritable = try Self.asNobody(["run", "--arch", "8", "--epochs", "1"], in: workspace)
        #expect(unwritable.status == 1)
        #expect(unwritable.standardError.split(separator: "\n").count == 1, "\(unwritable.standardError)")
        #expect(FileManager.default.contents(atPath: workspace.path("tracker.sqlite")) == before)
    }
}
