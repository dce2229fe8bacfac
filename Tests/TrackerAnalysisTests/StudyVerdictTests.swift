// StudyVerdict: the verdict rule of `tracker reproduce`, and rise and decay in noise floors, on hand-made results.
import Foundation
import Testing
import TrackerAnalysis
import TrackerTestSupport
import TrackerNumerics

/// A result with the detector's smoothed values, as a rise-then-decay seed reports them.
func peakedResult(start: Double, peak: Double, final: Double, peakStep: Double, floor: Double? = 0.05,
                  sigma: Double = 0.002) -> PhaseResult {
    PhaseResult(phaseClass: .riseThenDecay, pointCount: 40, startValue: start, finalValue: final, peakStep: peakStep,
                peakValue: peak, riseAmplitude: peak - start, decayFraction: (peak - final) / (peak - start),
                noiseSigma: sigma, noiseFloor: floor, parameters: .init())
}

/// A result without a peak.
func unpeakedResult(_ phaseClass: PhaseClass, floor: Double? = 0.05) -> PhaseResult {
    let measured = phaseClass != .insufficient && phaseClass != .nonFinite
    return PhaseResult(phaseClass: phaseClass, pointCount: measured ? 40 : 3, startValue: measured ? 0.2 : nil,
                       finalValue: measured ? 0.1 : nil, noiseSigma: measured ? 0.003 : nil, noiseFloor: floor,
                       parameters: .init())
}

@Suite("Study verdicts")
struct StudyVerdictTests {
    @Test func followsNeedsFourFifthsOfTheSeedsRoundedUp() {
        // ⌈0.8 N⌉: every seed for N ≤ 4, 4 of 5, 5 of 6, 8 of 10.
        #expect([1, 2, 3, 4, 5, 6, 10].map(StudyVerdict.requiredCount) == [1, 2, 3, 4, 4, 5, 8])
        #expect(StudyVerdict.verdict(riseThenDecay: 2, determined: 2, seeds: 2) == .follows)
        #expect(StudyVerdict.verdict(riseThenDecay: 1, determined: 2, seeds: 2) == .partly)
        #expect(StudyVerdict.verdict(riseThenDecay: 4, determined: 5, seeds: 5) == .follows)
        #expect(StudyVerdict.verdict(riseThenDecay: 3, determined: 5, seeds: 5) == .partly)
        #expect(StudyVerdict.verdict(riseThenDecay: 0, determined: 5, seeds: 5) == .doesNotFollow)
        // Seeds that could not be classified count against the claim, but one classified seed decides.
        #expect(StudyVerdict.verdict(riseThenDecay: 0, determined: 1, seeds: 5) == .doesNotFollow)
        #expect(StudyVerdict.verdict(riseThenDecay: 4, determined: 4, seeds: 5) == .follows)
        #expect(StudyVerdict.verdict(riseThenDecay: 3, determined: 3, seeds: 5) == .partly)
        #expect(StudyVerdict.verdict(riseThenDecay: 0, determined: 0, seeds: 3) == .undetermined)
        #expect(StudyVerdict.verdict(riseThenDecay: 0, determined: 0, seeds: 0) == .undetermined)
    }

    @Test func riseAndDecayAreMediansOverThePeakedSeedsInNoiseFloors() throws {
        // Floor 0.05. Rises 0.03, 0.05, 0.10 → 0.6, 1, 2 floors (median 1); decays 0.02, 0.04, 0.09 → 0.4, 0.8, 1.8
        // (median 0.8). The decay seed and the flat seed have no peak and do not count in the medians.
        let results = [peakedResult(start: 0.10, peak: 0.13, final: 0.11, peakStep: 20),
                       peakedResult(start: 0.12, peak: 0.17, final: 0.13, peakStep: 30, sigma: 0.004),
                       peakedResult(start: 0.10, peak: 0.20, final: 0.11, peakStep: 12, sigma: 0.001),
                       unpeakedResult(.decay), unpeakedResult(.flat)]
        let verdict = StudyVerdict.judge(results)
        #expect(verdict.riseThenDecayCount == 3 && verdict.seeds.seedCount == 5)
        #expect(verdict.verdict == .partly, "3 of 5 is below 4 of 5")
        #expect(verdict.noiseFloor == 0.05)
        assertClose(try #require(verdict.riseOverFloor), 1.0, absolute: 1e-12)
        assertClose(try #require(verdict.decayOverFloor), 0.8, absolute: 1e-12)
        // The median peak step and its CI are the seed summary's (steps 12, 20, 30).
        #expect(verdict.seeds.medianPeakStep == 20)
        #expect(verdict.seeds == PhaseDetector.summarizeSeeds(results))
        // σ̂: the median of 0.002, 0.004, 0.001, 0.003, 0.003.
        #expect(verdict.noiseSigma == 0.003)
    }

    @Test func anEvenNumberOfPeakedSeedsTakesTheMiddleMean() throws {
        let results = [peakedResult(start: 0.1, peak: 0.15, final: 0.12, peakStep: 18),
                       peakedResult(start: 0.1, peak: 0.25, final: 0.10, peakStep: 24)]
        let verdict = StudyVerdict.judge(results)
        #expect(verdict.verdict == .follows)
        assertClose(try #require(verdict.riseOverFloor), (1.0 + 3.0) / 2, absolute: 1e-12)
        assertClose(try #require(verdict.decayOverFloor), (0.6 + 3.0) / 2, absolute: 1e-12)
        #expect(verdict.seeds.medianPeakStep == 21)
        let lower = try #require(verdict.seeds.peakStepLower), upper = try #require(verdict.seeds.peakStepUpper)
        #expect(lower >= 18 && lower <= 21 && upper >= 21 && upper <= 24)
    }

    @Test func edgeCases() {
        let none = StudyVerdict.judge([])
        #expect(none.verdict == .undetermined && none.riseThenDecayCount == 0 && none.seeds.seedCount == 0)
        #expect(none.noiseFloor == nil && none.riseOverFloor == nil && none.decayOverFloor == nil && none.noiseSigma == nil)

        let unclassified = StudyVerdict.judge([unpeakedResult(.insufficient), unpeakedResult(.nonFinite)])
        #expect(unclassified.verdict == .undetermined && unclassified.noiseSigma == nil)

        let decays = StudyVerdict.judge([unpeakedResult(.decay), unpeakedResult(.decay), unpeakedResult(.flat)])
        #expect(decays.verdict == .doesNotFollow)
        #expect(decays.noiseFloor == 0.05 && decays.riseOverFloor == nil && decays.decayOverFloor == nil)
        #expect(decays.seeds.medianPeakStep == nil && decays.seeds.peakStepLower == nil)

        // One peaked seed: its rise and decay, a median step, no interval.
        let one = StudyVerdict.judge([peakedResult(start: 0.1, peak: 0.2, final: 0.15, peakStep: 24)])
        #expect(one.verdict == .follows && one.seeds.peakStepLower == nil && one.seeds.medianPeakStep == 24)
        assertClose(one.riseOverFloor ?? .nan, 2, absolute: 1e-12)
        assertClose(one.decayOverFloor ?? .nan, 1, absolute: 1e-12)

        // Without a noise floor (a statistic that has none) the ratios are unknown, the verdict is not.
        let floorless = StudyVerdict.judge([peakedResult(start: 0.1, peak: 0.2, final: 0.15, peakStep: 24, floor: nil)])
        #expect(floorless.verdict == .follows && floorless.noiseFloor == nil && floorless.riseOverFloor == nil)
    }

    /// The detector and the verdict together, on series shaped like the study's layers: a bump on a log-step axis
    /// follows the claim, a fall from the start does not.
    @Test func detectedSeriesGetTheirVerdict() throws {
        let steps = [0, 1, 2, 3, 4, 6, 7, 10, 13, 18, 24] + Array(stride(from: 25, through: 1000, by: 25))
        let floor = NoiseFloor.meanAbsR(probeSamples: 256)
        func series(_ shape: (Double) -> Double, seed: UInt64) -> PhaseResult {
            var generator = SplitMix64(seed: seed)
            let values: [Double?] = steps.map { step in
                let noise = (Double(generator.index(below: 1001)) / 1000 - 0.5) * 0.002
                return shape(log1p(Double(step))) + noise
            }
            return PhaseDetector.detect(steps: steps, values: values, noiseFloor: floor)
        }
        // Peak at x = ln(1 + step) = 3.2 (step ≈ 24), 0.15 above a start of 0.10, back to about 0.14 at the end.
        let bump = { (x: Double) in 0.10 + 0.15 * exp(-pow((x - 3.2) / 1.2, 2)) + 0.04 * min(1, x / 6.9) }
        let fall = { (x: Double) in 0.5 - 0.04 * x }
        let bumps = StudyVerdict.judge((0..<3).map { series(bump, seed: $0) })
        #expect(bumps.verdict == .follows && bumps.riseThenDecayCount == 3)
        let peak = try #require(bumps.seeds.medianPeakStep)
        #expect(peak > 15 && peak < 40, "the bump peaks near step 24, got \(peak)")
        // Rise ≈ 0.15 + 0.04 · 3.2/6.9 ≈ 0.17, i.e. about 3.4 floors of 0.0499; decay a bit less.
        let rise = try #require(bumps.riseOverFloor), decay = try #require(bumps.decayOverFloor)
        #expect(rise > 2.8 && rise < 3.8 && decay > 2 && decay < rise)
        let falls = StudyVerdict.judge((0..<3).map { series(fall, seed: $0) })
        #expect(falls.verdict == .doesNotFollow && falls.seeds.classCounts[.decay] == 3)
    }
}
