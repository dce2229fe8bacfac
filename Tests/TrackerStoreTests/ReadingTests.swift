// Reading: run lists and filters, run resolution, read-only SQL and the named queries.
import Foundation
import GRDB
import GRDBSQLite
import Testing
import TrackerTestSupport
@testable import TrackerStore

@Suite struct ReadingTests {
    @Test func runsAreListedNewestFirstAndFiltered() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("list.sqlite"))
        try recordSampleRun(database, sampleRun(name: "alpha", tags: ["a"]))
        try recordSampleRun(database, sampleRun(name: "Beta", tags: ["b"]))
        let all = try database.runs()
        #expect(all.column("name") == [.text("Beta"), .text("alpha")])
        #expect(try database.runs(RunFilter(tag: "a")).column("name") == [.text("alpha")])
        #expect(try database.runs(RunFilter(nameContains: "bet")).column("name") == [.text("Beta")])
        #expect(try database.runs(RunFilter(status: .running)).rows.isEmpty)
        #expect(try database.runs(RunFilter(limit: 1)).rows.count == 1)
        #expect(all.column("test_accuracy") == [.real(0.9), .real(0.9)])
    }

    @Test func runsResolveByIdAndUUIDPrefix() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("resolve.sqlite"))
        var first = sampleRun()
        first.uuid = UUID(uuidString: "AAAA1111-0000-0000-0000-000000000001")!
        var second = sampleRun()
        second.uuid = UUID(uuidString: "AAAA2222-0000-0000-0000-000000000002")!
        var digits = sampleRun()
        digits.uuid = UUID(uuidString: "12345678-0000-0000-0000-000000000003")!
        let id1 = try recordSampleRun(database, first)
        let id2 = try recordSampleRun(database, second)
        let id3 = try recordSampleRun(database, digits)
        #expect(try database.resolveRun("12345678") == id3, "an all-digit uuid prefix as `tracker runs` prints it")
        #expect(throws: StoreError.runNotFound("1234")) { try database.resolveRun("1234") }
        #expect(try database.resolveRun(String(id2)) == id2)
        #expect(try database.resolveRun("aaaa1") == id1)
        #expect(try database.resolveRun("AAAA2") == id2)
        #expect(throws: StoreError.ambiguousRun("aaaa", matches: 2)) { try database.resolveRun("aaaa") }
        #expect(throws: StoreError.runNotFound("99")) { try database.resolveRun("99") }
        #expect(throws: StoreError.runNotFound("zz'; --")) { try database.resolveRun("zz'; --") }
    }

    @Test func runDetailsCarryTheSeriesAndSections() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("details.sqlite"))
        let runID = try recordSampleRun(database)
        let details = try database.runDetails(runID)
        #expect(details.snapshotCount == 3)
        #expect(details.statistic == "mean_abs_r")
        #expect(details.series == [LayerSeries(layerName: "dense1", steps: [0, 5, 10], values: [0.2, 0.5, 0.2])])
        let signed = try database.runDetails(runID, statistic: "mean_r")
        #expect(signed.series == [LayerSeries(layerName: "dense1", steps: [0, 5, 10], values: [0.1, 0.25, 0.1])])
        #expect(try database.runDetails(runID, statistic: "sd_r").series.map(\.values) == [[nil, nil, nil]])
        #expect(throws: StoreError.unknownStatistic("units", known: try database.snapshotStatisticColumns())) {
            try database.runDetails(runID, statistic: "units")
        }
        #expect(details.hyperparameters.column("key") == [.text("batch_size"), .text("learning_rate"), .text("optimizer")])
        #expect(details.layers.rows.count == 2)
        #expect(details.finalEvaluations.column("accuracy") == [.real(0.9)])
        #expect(details.overview.column("status") == [.text("finished")])
    }

    @Test func adHocSQLReadsAndRefusesWrites() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("readonly.sqlite")
        let database = try TrackerDatabase.open(path: path)
        try recordSampleRun(database)
        let table = try database.query(sql: "SELECT step, mean_abs_r FROM snapshot_series ORDER BY step")
        #expect(table.columns == ["step", "mean_abs_r"])
        #expect(table.column("step") == [.integer(0), .integer(5), .integer(10)])
        for statement in ["DELETE FROM runs", "INSERT INTO tags VALUES (1, 'x')", "DROP TABLE runs",
                          "UPDATE runs SET name = 'x'", "CREATE TABLE t (x)", "PRAGMA user_version = 7"] {
            #expect(throws: StoreError.self, "\(statement)") { try database.query(sql: statement) }
        }
        #expect(throws: StoreError.writeRefused(sql: "DELETE FROM runs")) { try database.query(sql: "DELETE FROM runs") }
        #expect(try database.query(sql: "SELECT count(*) AS n FROM runs").rows == [[.integer(1)]])
        #expect(try database.schemaVersion() == Migration.latestVersion)
        #expect(throws: StoreError.self) { try database.query(sql: "SELEKT 1") }
        #expect(throws: StoreError.multipleStatements) { try database.query(sql: "SELECT 1; DELETE FROM runs") }
        #expect(throws: StoreError.noStatement) { try database.query(sql: "  -- nothing\n") }
        #expect(try database.query(sql: "SELECT count(*) FROM runs").rows == [[.integer(1)]])
    }

    @Test func everyNamedQueryDeclaresExactlyTheParametersItUses() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("params.sqlite"))
        #expect(NamedQuery.all.count >= 4)
        for query in NamedQuery.all {
            #expect(!query.summary.isEmpty, "\(query.name) has no summary line")
            let used: Set<String> = try database.read { (db: Database) throws in
                let statement = try db.makeStatement(sql: query.sql)
                let count = sqlite3_bind_parameter_count(statement.sqliteStatement)
                return Set((0..<count).compactMap { index in
                    sqlite3_bind_parameter_name(statement.sqliteStatement, index + 1).map { String(String(cString: $0).dropFirst()) }
                })
            }
            #expect(used == Set(query.parameters.map(\.name)), "\(query.name)")
            for parameter in query.parameters { #expect(!parameter.description.isEmpty) }
        }
    }

    @Test func namedQueriesAnswerTheirQuestions() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("named.sqlite"))
        let slow = try recordSampleRun(database, sampleRun(name: "slow", learningRate: 0.01), peakStep: 5)
        let fast = try recordSampleRun(database, sampleRun(name: "fast", learningRate: 0.1), peakStep: 10)

        let overview = try database.query(named: "runs_overview", parameters: [:])
        #expect(overview.column("name") == [.text("fast"), .text("slow")])
        #expect(try database.query(named: "runs_overview", parameters: ["limit": .integer(1)]).rows.count == 1)

        let series = try database.query(named: "snapshot_series", parameters: ["run": .integer(slow)])
        #expect(series.column("step") == [.integer(0), .integer(5), .integer(10)])
        #expect(series.column("mean_abs_r") == [.real(0.2), .real(0.5), .real(0.2)])
        #expect(try database.query(named: "snapshot_series", parameters: ["run": .integer(slow), "layer": .text("nope")])
            .rows.isEmpty)

        let peaks = try database.query(named: "peak_correlation", parameters: [:])
        #expect(peaks.column("run_id") == [.integer(slow), .integer(fast)])
        #expect(peaks.column("peak_step") == [.integer(5), .integer(10)])
        #expect(peaks.column("start_mean_abs_r") == [.real(0.2), .real(0.2)])
        #expect(peaks.column("final_mean_abs_r") == [.real(0.2), .real(0.5)])

        let inRange = try database.query(named: "runs_by_hyperparameter",
                                         parameters: ["key": .text("learning_rate"), "min": .real(0.05)])
        #expect(inRange.column("run_id") == [.integer(fast)])
        let both = try database.query(named: "runs_by_hyperparameter",
                                      parameters: ["key": .text("learning_rate"), "min": .real(0.001), "max": .real(1)])
        #expect(both.column("run_id") == [.integer(slow), .integer(fast)])

        #expect(throws: StoreError.missingParameter(query: "snapshot_series", parameter: "run")) {
            try database.query(named: "snapshot_series", parameters: [:])
        }
        #expect(throws: StoreError.self) { try database.query(named: "snapshot_series", parameters: ["runn": .integer(1)]) }
        #expect(throws: StoreError.unknownQuery("nope")) { try database.query(named: "nope", parameters: [:]) }
    }

    @Test func commandLineParametersParseToSQLTypes() {
        #expect(SQLValue(parsing: "12") == .integer(12))
        #expect(SQLValue(parsing: "0.01") == .real(0.01))
        #expect(SQLValue(parsing: "1e-3") == .real(0.001))
        #expect(SQLValue(parsing: "relu") == .text("relu"))
        #expect(SQLValue(parsing: "nan") == .text("nan"))
        #expect(SQLValue(parsing: "null") == .null)
    }
}
