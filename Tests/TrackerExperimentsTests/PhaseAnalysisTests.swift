// PhaseAnalysis reuses a run's stored phases only when every row of the run is current.
import Foundation
import Testing
import TrackerAnalysis
import TrackerStore
import TrackerTestSupport
@testable import TrackerExperiments

@Suite(.serialized) struct PhaseAnalysisTests {
    @Test func aRunWithOneStaleRowIsDetectedAgainWhole() throws {
        let (database, folder) = try ComparisonFixture.copy()
        defer { folder.cleanup() }
        let stored = try PhaseAnalysis.results(for: [1], in: database)
        #expect(stored.count == 2)
        // Layer 2's row as if another detector version had written it; layer 1's stays current.
        var stale = stored[1]
        stale.detectorVersion = "0"
        stale.phaseClass = "flat"
        try database.savePhaseRecords([stale])

        let again = try PhaseAnalysis.results(for: [1], in: database)
        #expect(again.map(\.detectorVersion) == [PhaseDetector.version, PhaseDetector.version])
        #expect(again.map(\.phaseClass) == stored.map(\.phaseClass))
        #expect(again[0].computedAt >= stored[0].computedAt)
        #expect(again[0].computedAt == again[1].computedAt, "one analysis, one computed_at")
        let rows = try database.phaseRecords(runIDs: [1], statistic: "mean_abs_r")
        #expect(rows.map(\.detectorVersion) == [PhaseDetector.version, PhaseDetector.version])

        // Current rows are reused as they are.
        let reused = try PhaseAnalysis.results(for: [1], in: database)
        #expect(reused.map(\.computedAt) == again.map(\.computedAt))
    }
}
