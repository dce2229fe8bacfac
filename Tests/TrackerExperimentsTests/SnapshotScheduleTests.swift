// The snapshot schedule: log-spaced early, regular later, always the first and last step.
import Testing
@testable import TrackerExperiments

@Suite struct SnapshotScheduleTests {
    @Test func earlyStepsAreLogSpacedThenRegular() {
        let schedule = SnapshotSchedule(every: 50, pointsPerDecade: 8, totalSteps: 230)
        // 10^(k/8) rounded, for k = 0...13, deduplicated and below 50; then 50, 100, ...; then the last step.
        #expect(schedule.steps() == [0, 1, 2, 3, 4, 6, 7, 10, 13, 18, 24, 32, 42, 50, 100, 150, 200, 230])
    }

    @Test func shortRunsStopAtTheirLastStep() {
        #expect(SnapshotSchedule(every: 100, pointsPerDecade: 4, totalSteps: 5).steps() == [0, 1, 2, 3, 5])
        #expect(SnapshotSchedule(every: 1, totalSteps: 3).steps() == [0, 1, 2, 3])
        #expect(SnapshotSchedule(every: 10, totalSteps: 0).steps() == [0])
    }

    @Test func stepsAreSortedUniqueAndInRange() {
        for every in [1, 7, 50, 1000] {
            for total in [1, 49, 50, 51, 999, 5000] {
                let steps = SnapshotSchedule(every: every, pointsPerDecade: 8, totalSteps: total).steps()
                #expect(steps == Array(Set(steps)).sorted())
                #expect(steps.first == 0 && steps.last == total)
                #expect(steps.filter { $0 >= every }.allSatisfy { $0 % every == 0 || $0 == total })
            }
        }
    }

    @Test func scheduleIsRecordedAsJSON() {
        #expect(SnapshotSchedule(every: 50, pointsPerDecade: 8, totalSteps: 900).json
                == #"{"every":50,"kind":"log_then_every","points_per_decade":8,"total_steps":900}"#)
    }
}
