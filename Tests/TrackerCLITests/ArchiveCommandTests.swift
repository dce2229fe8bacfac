// merge, export, migrate and check end to end, on fresh files and on the frozen databases of every landed schema.
import Foundation
import Testing

@Suite(.serialized) struct ArchiveCommandTests {
    /// Tests/Fixtures/archives: one database per schema version, written by the tracker of that version
    /// (scripts/make_archive_fixture) and never regenerated.
    static let fixtures: [URL] = {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "Fixtures/archives")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasPrefix("schema-") && $0.hasSuffix(".sqlite") }.sorted()
            .map { folder.appending(path: $0) }
    }()

    static func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    @Test func everyLandedSchemaHasAFrozenFixture() throws {
        let versions = Self.fixtures.map { $0.deletingPathExtension().lastPathComponent.dropFirst("schema-".count) }
        #expect(versions.count >= 4, "fixtures: \(versions)")
        #expect(versions.contains("1") && versions.contains("2") && versions.contains("3"))
        // The schema this tracker writes has its fixture too: a new migration comes with the database it makes
        // (scripts/make_archive_fixture), so that later trackers are tested on it.
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        #expect(try workspace.tracker("run", "--arch", "8", "--epochs", "1").status == 0)
        let check = try workspace.tracker("check", "tracker.sqlite", "--format", "json")
        let latest = check.standardOutput.firstMatch(of: /"schema_version":(\d+)/).map { String($0.1) }
        #expect(latest != nil && versions.contains(latest.map { Substring($0) }!),
                "no fixture for schema \(latest ?? "?"): run scripts/make_archive_fixture")
    }

    @Test func frozenArchivesOpenListCompareAndMergeWithoutChange() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        var expectedRuns = 0
        for fixture in Self.fixtures {
            let name = fixture.lastPathComponent
            let copy = workspace.path(name)
            try FileManager.default.copyItem(atPath: fixture.path, toPath: copy)
            let original = Self.bytes(copy)
            let runs = try workspace.tracker("runs", "--db", name, "--format", "csv")
            #expect(runs.status == 0, "\(name): \(runs.standardError)")
            #expect(runs.standardOutput.split(separator: "\n").count == 4, "\(name): three runs and a header")
            let show = try workspace.tracker("show", "1", "--db", name)
            #expect(show.status == 0 && show.standardOutput.contains("dense1"), "\(name): \(show.standardError)")
            let compare = try workspace.tracker("compare", "--db", name, "--format", "csv")
            #expect(compare.status == 0, "\(name): \(compare.standardError)")
            let sql = try workspace.tracker("sql", "--db", name, "SELECT count(*) AS n FROM snapshot_series", "--format", "csv")
            #expect(sql.status == 0 && sql.standardOutput != "n\n0\n", "\(name): \(sql.standardError)")
            #expect(Self.bytes(copy) == original, "\(name) was changed by reading it")
            #expect(!FileManager.default.fileExists(atPath: copy + "-wal"), "\(name): a -wal file was left beside it")
            let merge = try workspace.tracker("merge", name, "--into", "merged.sqlite", "--format", "csv")
            #expect(merge.status == 0, "\(name): \(merge.standardError)")
            #expect(merge.standardOutput.contains(",3,0,0,"), "\(name): \(merge.standardOutput)")
            #expect(Self.bytes(copy) == original, "\(name) was changed by merging it")
            expectedRuns += 3
            let check = try workspace.tracker("check", name)
            #expect(check.status == 0 && check.standardOutput.contains("result: ok"), "\(name): \(check.standardOutput)")
        }
        let count = try workspace.tracker("sql", "--db", "merged.sqlite", "SELECT count(DISTINCT uuid) FROM runs", "--format", "csv")
        #expect(count.standardOutput.hasSuffix("\n\(expectedRuns)\n"))
        let again = try TrackerProcess.run(["merge"] + Self.fixtures.map(\.lastPathComponent)
                                          + ["--into", "merged.sqlite", "--format", "csv"], in: workspace.url)
        #expect(again.status == 0)
        #expect(again.standardOutput.split(separator: "\n").dropFirst().allSatisfy { $0.contains(",0,3,0,0,0") },
                "merging again adds nothing: \(again.standardOutput)")
    }

    @Test func migrateUpgradesByCopyAndSwapKeepingTheOriginal() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        guard let oldest = Self.fixtures.first else { return }
        try FileManager.default.copyItem(atPath: oldest.path, toPath: workspace.path("old.sqlite"))
        let original = Self.bytes(workspace.path("old.sqlite"))
        let migrate = try workspace.tracker("migrate", "old.sqlite")
        #expect(migrate.status == 0, "\(migrate.standardError)")
        let backup = workspace.path("old.sqlite.schema-1.bak")
        #expect(Self.bytes(backup) == original)
        let check = try workspace.tracker("check", "old.sqlite", "--format", "json")
        #expect(check.status == 0 && check.standardOutput.contains("\"ok\":true"))
        #expect(!check.standardOutput.contains("\"schema_version\":1,"))
        let runs = try workspace.tracker("runs", "--db", "old.sqlite", "--format", "csv")
        #expect(runs.status == 0 && runs.standardError.isEmpty && runs.standardOutput.split(separator: "\n").count == 4)
        let twice = try workspace.tracker("migrate", "old.sqlite")
        #expect(twice.status == 0 && twice.standardOutput.contains("nothing to do"))
    }

    @Test func exportWritesANewDatabaseWithJustTheChosenRuns() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        for seed in ["1", "2"] {
            #expect(try TrackerProcess.run(Array(quickRun.dropLast(2)) + ["--seed", seed], in: workspace.url).status == 0)
        }
        let export = try workspace.tracker("export", "2", "--out", "one.sqlite")
        #expect(export.status == 0, "\(export.standardError)")
        let seeds = try workspace.tracker("sql", "--db", "one.sqlite", "SELECT seed FROM runs", "--format", "csv")
        #expect(seeds.standardOutput == "seed\n2\n")
        let filtered = try workspace.tracker("export", "--where", "seed = 1", "--out", "filtered.sqlite")
        #expect(filtered.status == 0, "\(filtered.standardError)")
        let exists = try workspace.tracker("export", "1", "--out", "one.sqlite")
        #expect(exists.status == 1 && exists.standardError.contains("exists"))
        let missing = try workspace.tracker("export", "9", "--out", "nine.sqlite")
        #expect(missing.status != 0 && !FileManager.default.fileExists(atPath: workspace.path("nine.sqlite")))
    }

    @Test func badArchivesGetOneClearLine() throws {
        let workspace = try Workspace()
        defer { workspace.cleanup() }
        try Data("not a database".utf8).write(to: workspace.url.appending(path: "text.sqlite"))
        let check = try workspace.tracker("check", "text.sqlite")
        #expect(check.status == 1 && check.standardError.contains("not an SQLite database"))
        let merge = try workspace.tracker("merge", "text.sqlite", "--into", "target.sqlite")
        #expect(merge.status == 1 && merge.standardError.contains("not an SQLite database"))
        #expect(!FileManager.default.fileExists(atPath: workspace.path("target.sqlite")), "a failed merge creates no target")
        let missing = try workspace.tracker("migrate", "nowhere.sqlite")
        #expect(missing.status == 1 && missing.standardError.contains("no database at nowhere.sqlite"))
    }
}
