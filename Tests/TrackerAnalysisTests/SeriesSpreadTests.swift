// SeriesSpread against values worked out by hand.
import Testing
import TrackerAnalysis
import TrackerTestSupport

@Suite struct SeriesSpreadTests {
    @Test func summarisesEachStepOverTheSeriesThatHaveIt() {
        let spread = SeriesSpread([
            (steps: [0, 10, 20], values: [0.1, 0.3, 0.2]),
            (steps: [0, 10, 20], values: [0.3, 0.5, nil]),
            (steps: [0, 10, 30], values: [0.2, .nan, 0.4]),
        ])
        #expect(spread.steps == [0, 10, 20, 30])
        #expect(spread.counts == [3, 2, 1, 1])
        #expect(spread.minimum == [0.1, 0.3, 0.2, 0.4])
        #expect(spread.maximum == [0.3, 0.5, 0.2, 0.4])
        assertClose(spread.mean[0]!, 0.2)
        assertClose(spread.mean[1]!, 0.4)
        // Step 0: deviations −0.1, 0.1, 0 → √(0.02 / 2) = 0.1; step 10: 0.3, 0.5 → √(0.02 / 1) ≈ 0.1414.
        assertClose(spread.standardDeviation[0]!, 0.1)
        assertClose(spread.standardDeviation[1]!, 0.02.squareRoot())
        #expect(spread.standardDeviation[2] == nil)   // one value says nothing about spread
    }

    @Test func aStepWithNoFiniteValueHasNoSummary() {
        let spread = SeriesSpread([(steps: [0, 5], values: [nil, .infinity])])
        #expect(spread.steps == [0, 5])
        #expect(spread.mean == [nil, nil] && spread.minimum == [nil, nil] && spread.counts == [0, 0])
        #expect(SeriesSpread([]).steps.isEmpty)
    }
}
