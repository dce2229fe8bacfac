// PhaseDetector.summarizeSeeds: class fractions, the median peak step and its bootstrap CI across seeds.
import Foundation
import Testing
import TrackerAnalysis
import TrackerTestSupport

/// A result of the given class, with a peak step when one is given.
func phaseResult(_ phaseClass: PhaseClass, peakStep: Double? = nil) -> PhaseResult {
    PhaseResult(phaseClass: phaseClass, pointCount: 40, peakStep: peakStep, parameters: .init())
}

/// P(median of m draws with replacement from 1…m ≤ v) for odd m: at least (m + 1)/2 draws are ≤ v, each with
/// probability v/m (a binomial tail, summed directly).
func bootstrapMedianDistribution(m: Int, atMost v: Int) -> Double {
    let p = Double(v) / Double(m)
    var total = 0.0
    for k in ((m + 1) / 2)...m {
        let logChoose = lgamma(Double(m + 1)) - lgamma(Double(k + 1)) - lgamma(Double(m - k + 1))
        total += exp(logChoose + Double(k) * log(p) + Double(m - k) * log1p(-p))
    }
    return total
}

@Suite("Phase summaries across seeds")
struct PhaseSeedSummaryTests {
    @Test func classFractionsCountEverySeed() {
        let results = [phaseResult(.riseThenDecay, peakStep: 20), phaseResult(.riseThenDecay, peakStep: 30),
                       phaseResult(.rise), phaseResult(.nonFinite)]
        let summary = PhaseDetector.summarizeSeeds(results)
        #expect(summary.seedCount == 4 && summary.peakCount == 2)
        #expect(summary.classCounts == [.riseThenDecay: 2, .rise: 1, .decay: 0, .flat: 0, .insufficient: 0,
                                        .nonFinite: 1])
        #expect(summary.classFractions == [.riseThenDecay: 0.5, .rise: 0.25, .decay: 0, .flat: 0, .insufficient: 0,
                                           .nonFinite: 0.25])
        #expect(summary.medianPeakStep == 25)  // even count: mean of the two middle steps
    }

    @Test func noResultsOrNoPeaks() {
        let empty = PhaseDetector.summarizeSeeds([])
        #expect(empty.seedCount == 0 && empty.peakCount == 0 && empty.medianPeakStep == nil)
        #expect(empty.classFractions.values.allSatisfy { $0 == 0 } && empty.classFractions.count == 6)
        let noPeaks = PhaseDetector.summarizeSeeds([phaseResult(.flat), phaseResult(.decay)])
        #expect(noPeaks.medianPeakStep == nil && noPeaks.peakStepLower == nil && noPeaks.peakStepUpper == nil)
        // One peak: a median, but no interval from a single seed.
        let one = PhaseDetector.summarizeSeeds([phaseResult(.riseThenDecay, peakStep: 17.5), phaseResult(.flat)])
        #expect(one.medianPeakStep == 17.5 && one.peakStepLower == nil && one.peakStepUpper == nil)
    }

    /// Three distinct peak steps a < b < c: the bootstrap median is a with probability 7/27 (at least two of
    /// three draws are a), so with 2000 resamples both 2.5 % ends are order statistics equal to a and c.
    @Test func threeSeedsSpanTheirRange() {
        let summary = PhaseDetector.summarizeSeeds([phaseResult(.riseThenDecay, peakStep: 24),
                                                    phaseResult(.riseThenDecay, peakStep: 10),
                                                    phaseResult(.riseThenDecay, peakStep: 13)])
        #expect(summary.medianPeakStep == 13 && summary.peakStepLower == 10 && summary.peakStepUpper == 24)
        let same = PhaseDetector.summarizeSeeds((0..<5).map { _ in phaseResult(.riseThenDecay, peakStep: 42) })
        #expect(same.medianPeakStep == 42 && same.peakStepLower == 42 && same.peakStepUpper == 42)
    }

    /// Peak steps 1…21: the exact bootstrap distribution of the median is a binomial tail; its 2.5 % and 97.5 %
    /// quantiles are 7 and 15 (P(median ≤ 6) = 0.018, P(median ≤ 7) = 0.056). A percentile estimated from 2000
    /// resamples lands on them or, rarely, on a neighbour.
    @Test func intervalMatchesTheExactBootstrapDistribution() throws {
        let m = 21
        let lowerQuantile = (1...m).first { bootstrapMedianDistribution(m: m, atMost: $0) >= 0.025 }!
        let upperQuantile = (1...m).first { bootstrapMedianDistribution(m: m, atMost: $0) >= 0.975 }!
        #expect(lowerQuantile == 7 && upperQuantile == 15)
        let results = (1...m).map { phaseResult(.riseThenDecay, peakStep: Double($0)) }
        for seed: UInt64 in [1, 2, 3, PhaseDetector.defaultBootstrapSeed] {
            let summary = PhaseDetector.summarizeSeeds(results, seed: seed)
            #expect(summary.medianPeakStep == 11)
            let lower = try #require(summary.peakStepLower)
            let upper = try #require(summary.peakStepUpper)
            #expect(abs(lower - Double(lowerQuantile)) <= 1 && abs(upper - Double(upperQuantile)) <= 1,
                    "seed \(seed): [\(lower), \(upper)]")
        }
    }

    @Test func sameInputSameIntervalWhateverTheOrder() {
        var generator = SeededGenerator(seed: 5)
        let results = (0..<12).map { _ in
            phaseResult(.riseThenDecay, peakStep: exp(3 + 0.3 * generator.gaussian()))
        } + [phaseResult(.rise), phaseResult(.flat)]
        let summary = PhaseDetector.summarizeSeeds(results)
        #expect(summary == PhaseDetector.summarizeSeeds(results))
        #expect(summary == PhaseDetector.summarizeSeeds(results.reversed()))
        #expect(summary == PhaseDetector.summarizeSeeds(results.shuffled(using: &generator)))
        #expect(summary.peakCount == 12 && summary.resamples == 2000)
        let lower = summary.peakStepLower!
        let upper = summary.peakStepUpper!
        #expect(lower < summary.medianPeakStep! && summary.medianPeakStep! < upper)
        // The interval lies within the observed peak steps.
        let peaks = results.compactMap(\.peakStep)
        #expect(lower >= peaks.min()! && upper <= peaks.max()!)
    }

    @Test func summaryRoundTripsThroughJSONWithClassNamesAsKeys() throws {
        let summary = PhaseDetector.summarizeSeeds([phaseResult(.riseThenDecay, peakStep: 20),
                                                    phaseResult(.riseThenDecay, peakStep: 26), phaseResult(.flat)])
        let data = try JSONEncoder().encode(summary)
        #expect(try JSONDecoder().decode(SeedSummary.self, from: data) == summary)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let counts = try #require(object["classCounts"] as? [String: Int])
        #expect(counts == ["rise_then_decay": 2, "rise": 0, "decay": 0, "flat": 1, "insufficient": 0, "non_finite": 0])
    }
}
