// What plots read beside the series: each snapshot's epoch length and wall time, and which statistics runs stored.
import Foundation
import Testing
import TrackerTestSupport
@testable import TrackerStore

@Suite struct PlottingReadTests {
    @Test func snapshotClocksGiveEpochLengthAndWallTimes() throws {
        let folder = try TemporaryFolder(prefix: "plotting")
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("t.sqlite"), create: true)
        let id = try recordSampleRun(database)
        let clocks = try database.snapshotClocks(runIDs: [id, 99])
        #expect(clocks.keys.sorted() == [id])                 // 99 names no run
        // Steps 1-5 are epoch 0 (epoch = (step − 1) / 5); wall time = step seconds; step 0 is 0 s.
        #expect(clocks[id]?.stepsPerEpoch == 5)
        #expect(clocks[id]?.wallTimes == [0: 0, 5: 5, 10: 10])
        #expect(try database.snapshotClocks(runIDs: []).isEmpty)
    }

    @Test func storedStatisticsAreTheColumnsWithValues() throws {
        let folder = try TemporaryFolder(prefix: "plotting")
        defer { folder.cleanup() }
        let database = try TrackerDatabase.open(path: folder.path("t.sqlite"), create: true)
        let id = try recordSampleRun(database)
        // The sample run records mean_abs_r and mean_r only.
        #expect(try database.storedStatistics(runIDs: [id]) == ["mean_abs_r", "mean_r"])
        #expect(try database.storedStatistics(runIDs: [id + 1]).isEmpty)
    }
}
