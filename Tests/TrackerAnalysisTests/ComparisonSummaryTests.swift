// SampleSummary, SeriesAverage and the most common phase class: the pure pieces of `tracker compare`.
import Testing
import TrackerTestSupport
@testable import TrackerAnalysis
import TrackerNumerics

@Suite("Comparison summaries")
struct ComparisonSummaryTests {
    /// Values 2, 4, 4, 4, 5, 5, 7, 9: mean 5, Σ(x − x̄)² = 32, so s = √(32 / 7) (hand-derived).
    @Test func meanAndSampleStandardDeviation() throws {
        let summary = SampleSummary([2, 4, 4, 4, 5, 5, 7, 9] as [Double])
        #expect(summary.count == 8)
        assertClose(try #require(summary.mean), 5)
        assertClose(try #require(summary.standardDeviation), (32.0 / 7).squareRoot())
    }

    /// Far from zero, a one-pass Σx² − n·x̄² would cancel to noise; two passes keep s = 1 exactly.
    @Test func largeOffsetsKeepTheirSpread() throws {
        let summary = SampleSummary([1e9 + 1, 1e9 + 2, 1e9 + 3] as [Double])
        assertClose(try #require(summary.standardDeviation), 1, absolute: 1e-6)
    }

    @Test func missingAndNonFiniteValuesAreSkipped() throws {
        let summary = SampleSummary([0.25, nil, .nan, 0.75, .infinity])
        #expect(summary.count == 2)
        assertClose(try #require(summary.mean), 0.5)
        assertClose(try #require(summary.standardDeviation), (0.125).squareRoot())
        let one = SampleSummary([nil, 3.5])
        #expect(one.count == 1 && one.mean == 3.5 && one.standardDeviation == nil)
        let none = SampleSummary([nil, .nan] as [Double?])
        #expect(none.count == 0 && none.mean == nil && none.standardDeviation == nil)
        #expect(SampleSummary([7, 7, 7] as [Double]).standardDeviation == 0)
    }

    @Test func pointwiseMeanOverTheUnionOfSteps() {
        let mean = SeriesAverage.pointwiseMean([
            (steps: [0, 10, 20], values: [0.1, 0.3, nil]),
            (steps: [0, 10, 30], values: [0.3, 0.5, 0.9]),
            (steps: [0, 20], values: [0.2, nil]),
        ])
        #expect(mean.steps == [0, 10, 20, 30])
        #expect(mean.values.count == 4)
        assertClose(mean.values[0]!, 0.2)
        assertClose(mean.values[1]!, 0.4)
        #expect(mean.values[2] == nil, "no series has a value at step 20")
        assertClose(mean.values[3]!, 0.9)
        #expect(SeriesAverage.pointwiseMean([]).steps.isEmpty)
    }

    @Test func mostCommonClassBreaksTiesInTheDetectorsOrder() throws {
        let summary = PhaseDetector.summarizeSeeds([phaseResult(.flat), phaseResult(.rise), phaseResult(.flat),
                                                    phaseResult(.riseThenDecay, peakStep: 10)])
        let common = try #require(summary.mostCommonClass)
        #expect(common.phaseClass == .flat && common.count == 2)
        let tie = try #require(PhaseDetector.summarizeSeeds([phaseResult(.decay), phaseResult(.rise)]).mostCommonClass)
        #expect(tie.phaseClass == .rise && tie.count == 1, "rise comes before decay in PhaseClass.allCases")
        #expect(PhaseDetector.summarizeSeeds([]).mostCommonClass == nil)
    }

    /// The bootstrap finds each resample's median by counting draws per index; expanding the counts and sorting
    /// must give the very same number (ties, repeated indices, even and odd sizes).
    @Test func medianByCountingDrawsIsTheMedianOfTheSortedResample() {
        var generator = SplitMix64(seed: 3)
        for size in [2, 3, 4, 5, 8, 21, 40] {
            let sorted = (0..<size).map { _ in Double(generator.index(below: 6)) * 12.5 }.sorted()  // ties on purpose
            for _ in 0..<200 {
                var draws = [Int](repeating: 0, count: size)
                var resample: [Double] = []
                for _ in 0..<size {
                    let index = generator.index(below: size)
                    draws[index] += 1
                    resample.append(sorted[index])
                }
                #expect(medianOfDraws(draws, of: sorted) == RobustStatistics.medianOfSorted(resample.sorted()))
            }
        }
    }
}
