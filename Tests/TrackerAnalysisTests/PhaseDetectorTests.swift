// PhaseDetector on synthetic series with known answers, on the snapshot grid real runs use, plus its edge cases.
import Foundation
import Testing
import TrackerAnalysis
import TrackerTestSupport

/// tracker's snapshot schedule (TrackerExperiments.SnapshotSchedule, which this target does not import): step 0,
/// `perDecade` log-spaced steps per decade below `every`, every `every` steps, and the last step.
/// total 1000 → 0, 1, 2, 3, 4, 6, 7, 10, 13, 18, 24, 32, 42, 50, 100, …, 1000 (33 points); 3000 → 73 points.
func snapshotSteps(total: Int, every: Int = 50, perDecade: Int = 8) -> [Int] {
    var steps: Set<Int> = [0, total]
    var exponent = 0
    while true {
        let step = Int(pow(10, Double(exponent) / Double(perDecade)).rounded())
        if step >= every || step > total { break }
        steps.insert(step)
        exponent += 1
    }
    steps.formUnion(stride(from: every, through: total, by: every))
    return steps.sorted()
}

/// shape(x) at x = ln(1 + step) plus Gaussian noise of standard deviation `noise` (seeded).
func syntheticSeries(steps: [Int], noise: Double, seed: UInt64, _ shape: (Double) -> Double) -> [Double?] {
    var generator = SeededGenerator(seed: seed)
    return steps.map { shape(log1p(Double($0))) + noise * generator.gaussian() }
}

/// A Gaussian bump in log time: baseline + amplitude · exp(−(x − ln(1 + peakStep))² / (2 width²)).
func logBump(peakStep: Double, width: Double = 0.6, amplitude: Double = 0.1, baseline: Double = 0.2)
    -> (Double) -> Double {
    let centre = log1p(peakStep)
    return { x in baseline + amplitude * exp(-0.5 * pow((x - centre) / width, 2)) }
}

/// A smooth step in log time from `low` to `high`, half-way at ln(1 + midStep).
func logSigmoid(midStep: Double, low: Double, high: Double, width: Double = 0.5) -> (Double) -> Double {
    let centre = log1p(midStep)
    return { x in low + (high - low) / (1 + exp(-(x - centre) / width)) }
}

/// |ln(1 + found) − ln(1 + expected)| / ln(1 + expected): the error measure of the issue ("within 15 % in
/// log(1 + step)").
func logTimeError(_ found: Double, _ expected: Double) -> Double {
    abs(log1p(found) - log1p(expected)) / log1p(expected)
}

/// The tolerance the issue asks for. With noise at 1/20 of the bump, the worst error over 200 seeds per
/// location is 0.02 to 0.11 (peak at step 3 is the worst: only four samples before it); 0.15 leaves room.
let peakTolerance = 0.15

@Suite("Phase detector")
struct PhaseDetectorTests {
    /// A bump of 0.1 on a 0.2 baseline, noise σ = 0.005 (the bump is 20σ), at steps from the sparse early
    /// grid to the regular late one; five seeds each.
    @Test(arguments: [3.0, 14.0, 24.0, 150.0, 600.0])
    func bumpAtKnownStepIsFound(peakStep: Double) throws {
        let steps = snapshotSteps(total: 3000)
        for seed in UInt64(1)...5 {
            let values = syntheticSeries(steps: steps, noise: 0.005, seed: seed, logBump(peakStep: peakStep))
            let result = PhaseDetector.detect(steps: steps, values: values)
            #expect(result.phaseClass == .riseThenDecay, "peak \(peakStep), seed \(seed)")
            let found = try #require(result.peakStep)
            #expect(logTimeError(found, peakStep) <= peakTolerance, "peak \(peakStep) found at \(found)")
            // Height: 0.3 less the smoothing's shaving of the top, give or take the noise.
            let peakValue = try #require(result.peakValue)
            #expect(abs(peakValue - 0.3) <= 0.015, "peak value \(peakValue)")
            // The bump returns to its baseline: about all of the rise decays.
            #expect(abs(try #require(result.decayFraction) - 1) <= 0.25)
            assertClose(try #require(result.riseAmplitude), peakValue - result.startValue!, absolute: 1e-15,
                        relative: 0)
            assertClose(try #require(result.riseDuration), found, absolute: 1e-12, relative: 0, "start step is 0")
            // The bump is half-way down √(2 ln 2) widths (0.71 in x) after its centre; the reported step is the
            // first sample there, give or take one sample (smoothing and noise move the crossing a little).
            let halfDecay = try #require(result.halfDecayStep)
            let halfWayStep = expm1(log1p(peakStep) + 0.6 * (2 * log(2.0)).squareRoot())
            let firstAfter = try #require(steps.firstIndex { Double($0) >= halfWayStep })
            #expect(steps[(firstAfter - 1)...(firstAfter + 1)].contains(halfDecay),
                    "half-decay at \(halfDecay) for a peak at \(peakStep), half-way at \(halfWayStep)")
            // σ̂ estimates the residual spread: the noise less what the smoother follows, so a bit below 0.005.
            let sigma = try #require(result.noiseSigma)
            #expect(sigma > 0.002 && sigma < 0.007, "σ̂ \(sigma)")
            #expect(result.pointCount == 73)
        }
    }

    // Monotone and flat series carry noise σ = 0.002 = δ/5. Closer to δ the k = 3 rule lets noise through now
    // and then, mostly in the sparse early samples, which the window (a tenth of the extent in x) barely
    // smooths: at σ = 0.005 = δ/2, over 200 seeds, 5 % of these rises, 10 % of the decays and 15 % of the
    // plateaus get another class; at σ = 0.002, none does.
    @Test func monotoneRiseIsRiseWithoutPeak() {
        let steps = snapshotSteps(total: 3000)
        for seed in UInt64(1)...5 {
            let values = syntheticSeries(steps: steps, noise: 0.002, seed: seed,
                                         logSigmoid(midStep: 30, low: 0.1, high: 0.3))
            let result = PhaseDetector.detect(steps: steps, values: values)
            #expect(result.phaseClass == .rise, "seed \(seed)")
            #expect(result.peakStep == nil && result.peakValue == nil && result.decayFraction == nil)
            #expect(abs(result.startValue! - 0.1) < 0.015 && abs(result.finalValue! - 0.3) < 0.015)
        }
    }

    @Test func monotoneDecayIsDecayWithoutPeak() {
        let steps = snapshotSteps(total: 3000)
        for seed in UInt64(1)...5 {
            let values = syntheticSeries(steps: steps, noise: 0.002, seed: seed,
                                         logSigmoid(midStep: 100, low: 0.4, high: 0.1))
            let result = PhaseDetector.detect(steps: steps, values: values)
            #expect(result.phaseClass == .decay, "seed \(seed)")
            #expect(result.peakStep == nil && result.halfDecayStep == nil)
            #expect(abs(result.startValue! - 0.4) < 0.015 && abs(result.finalValue! - 0.1) < 0.015)
        }
    }

    @Test func noisyPlateauIsFlat() {
        let steps = snapshotSteps(total: 3000)
        for seed in UInt64(1)...10 {
            let values = syntheticSeries(steps: steps, noise: 0.002, seed: seed) { _ in 0.25 }
            let result = PhaseDetector.detect(steps: steps, values: values)
            #expect(result.phaseClass == .flat, "seed \(seed)")
            #expect(result.peakStep == nil)
        }
    }

    /// A noise-free series has σ̂ = 0, so only δ stands between rounding-level wiggles and a phase.
    @Test func smoothSeriesNeedsTheMinimumAmplitude() {
        let steps = snapshotSteps(total: 3000)
        let constant = PhaseDetector.detect(steps: steps, values: steps.map { _ in 0.25 })
        #expect(constant.phaseClass == .flat)
        #expect(constant.noiseSigma! < 1e-15 && constant.otherPeaks == 0)
        assertClose(constant.startValue!, 0.25, absolute: 1e-15, relative: 0)
        assertClose(constant.finalValue!, 0.25, absolute: 1e-15, relative: 0)

        let wiggles = steps.map { 0.25 + 1e-6 * sin(6 * log1p(Double($0))) }
        let result = PhaseDetector.detect(steps: steps, values: wiggles)
        #expect(result.phaseClass == .flat)
        #expect(result.otherPeaks == 0)
        // The wiggles are real local maxima of the smoothed series; only δ keeps them out.
        let withoutMinimum = PhaseDetector.detect(steps: steps, values: wiggles,
                                                  parameters: .init(minimumAmplitude: 0))
        #expect(withoutMinimum.phaseClass == .riseThenDecay && withoutMinimum.otherPeaks > 0)
        #expect(withoutMinimum.riseAmplitude! < 2e-6)
    }

    @Test func twoBumpsReportTheMoreProminentAndCountTheOther() throws {
        let steps = snapshotSteps(total: 3000)
        for (big, small) in [(10.0, 1000.0), (1000.0, 10.0)] {
            let bigBump = logBump(peakStep: big, amplitude: 0.12, baseline: 0)
            let smallBump = logBump(peakStep: small, amplitude: 0.06, baseline: 0)
            for seed in UInt64(1)...3 {
                let values = syntheticSeries(steps: steps, noise: 0.002, seed: seed) {
                    0.2 + bigBump($0) + smallBump($0)
                }
                let result = PhaseDetector.detect(steps: steps, values: values)
                #expect(result.phaseClass == .riseThenDecay)
                #expect(logTimeError(try #require(result.peakStep), big) <= peakTolerance,
                        "big bump at \(big), found \(result.peakStep!)")
                #expect(result.otherPeaks == 1, "seed \(seed)")
            }
        }
    }

    /// An edge sample is never a peak: a maximum at the first or last sample makes a decay or a rise.
    @Test func maximumAtAnEdgeIsNotAPeak() {
        let steps = snapshotSteps(total: 1000)
        let falling = PhaseDetector.detect(steps: steps, values: steps.map { 0.4 - 0.03 * log1p(Double($0)) })
        #expect(falling.phaseClass == .decay && falling.peakStep == nil)
        let rising = PhaseDetector.detect(steps: steps, values: steps.map { 0.1 + 0.03 * log1p(Double($0)) })
        #expect(rising.phaseClass == .rise && rising.peakStep == nil)
        // A bump centred on the last step: still rising at the end, so no decay yet.
        let lateBump = PhaseDetector.detect(steps: steps, values: syntheticSeries(
            steps: steps, noise: 0.002, seed: 1, logBump(peakStep: 1000)))
        #expect(lateBump.phaseClass == .rise && lateBump.peakStep == nil)
        // One centred on step 0: falling from the start.
        let earlyBump = PhaseDetector.detect(steps: steps, values: syntheticSeries(
            steps: steps, noise: 0.002, seed: 1, logBump(peakStep: 0)))
        #expect(earlyBump.phaseClass == .decay && earlyBump.peakStep == nil)
    }

    @Test func tooFewPointsAreInsufficient() {
        let five = PhaseDetector.detect(steps: [0, 1, 2, 3, 4], values: [0.1, 0.3, 0.5, 0.3, 0.1])
        #expect(five == PhaseResult(phaseClass: .insufficient, pointCount: 5, parameters: .init()))

        // Eight steps but one missing: seven finite points.
        let steps = [0, 1, 2, 3, 4, 6, 7, 10]
        let seven = PhaseDetector.detect(steps: steps, values: [0.1, 0.2, nil, 0.4, 0.5, 0.6, 0.7, 0.8])
        #expect(seven.phaseClass == .insufficient && seven.pointCount == 7 && seven.startValue == nil)
        let eight = PhaseDetector.detect(steps: steps, values: steps.map { 0.1 + 0.05 * log1p(Double($0)) })
        #expect(eight.phaseClass == .rise && eight.pointCount == 8)
        // A different minimum.
        let strict = PhaseDetector.detect(steps: steps, values: steps.map { 0.1 + 0.05 * log1p(Double($0)) },
                                          parameters: .init(minimumPoints: 9))
        #expect(strict.phaseClass == .insufficient)
    }

    @Test func allMissingOrEmptyIsInsufficient() {
        let steps = snapshotSteps(total: 1000)
        let missing = PhaseDetector.detect(steps: steps, values: steps.map { _ in nil })
        #expect(missing == PhaseResult(phaseClass: .insufficient, pointCount: 0, parameters: .init()))
        let empty = PhaseDetector.detect(steps: [], values: [], noiseFloor: 0.05)
        #expect(empty == PhaseResult(phaseClass: .insufficient, pointCount: 0, noiseFloor: 0.05, parameters: .init()))
    }

    @Test func nonFiniteValueMeansDiverged() {
        let steps = snapshotSteps(total: 1000)
        var values = syntheticSeries(steps: steps, noise: 0.002, seed: 1, logBump(peakStep: 24))
        values[20] = .nan
        values[25] = .infinity
        values[5] = nil
        let result = PhaseDetector.detect(steps: steps, values: values)
        #expect(result == PhaseResult(phaseClass: .nonFinite, pointCount: steps.count - 3,
                                      firstNonFiniteStep: steps[20], parameters: .init()))
        // Checked before the point count: a run that diverged at its third snapshot is non_finite.
        let short = PhaseDetector.detect(steps: [0, 1, 2], values: [0.1, nil, -.infinity])
        #expect(short.phaseClass == .nonFinite && short.firstNonFiniteStep == 2 && short.pointCount == 1)
    }

    /// Steps far from the schedule (random, 60 of them up to 5000), then the same with a fifth of the values
    /// missing: the bump is still found.
    @Test func irregularSpacingAndMissingValues() throws {
        for seed in UInt64(1)...5 {
            var generator = SeededGenerator(seed: 100 + seed)
            let steps = Array(Set((0..<60).map { _ in Int(exp(Double.random(in: 0..<log(5000.0), using: &generator))) })
                .union([0])).sorted()
            let values = syntheticSeries(steps: steps, noise: 0.004, seed: seed, logBump(peakStep: 80))
            let result = PhaseDetector.detect(steps: steps, values: values)
            #expect(result.phaseClass == .riseThenDecay)
            #expect(logTimeError(try #require(result.peakStep), 80) <= peakTolerance, "found \(result.peakStep!)")

            let thinned = values.enumerated().map { index, value in index % 5 == 2 ? nil : value }
            let thinnedResult = PhaseDetector.detect(steps: steps, values: thinned)
            #expect(thinnedResult.phaseClass == .riseThenDecay)
            #expect(thinnedResult.pointCount == values.count - (values.count + 2) / 5)
            #expect(logTimeError(try #require(thinnedResult.peakStep), 80) <= peakTolerance)
        }
    }

    /// A bump from 0.02 to 0.04 is a phase on its own, but not under a noise floor of 0.05 (mean |r| on 256
    /// probe samples): there the whole series is what independent units would show.
    @Test func peakMustClearTheNoiseFloor() {
        let steps = snapshotSteps(total: 3000)
        let values = syntheticSeries(steps: steps, noise: 0.0005, seed: 3,
                                     logBump(peakStep: 40, amplitude: 0.02, baseline: 0.02))
        #expect(PhaseDetector.detect(steps: steps, values: values).phaseClass == .riseThenDecay)
        let floor = NoiseFloor.meanAbsR(probeSamples: 256)
        let below = PhaseDetector.detect(steps: steps, values: values, noiseFloor: floor)
        #expect(below.phaseClass == .flat && below.peakStep == nil && below.noiseFloor == floor)
        #expect(below.otherPeaks == 1, "the peak still qualifies by prominence; it is counted, not reported")
        let lowFloor = PhaseDetector.detect(steps: steps, values: values, noiseFloor: 0.03)
        #expect(lowFloor.phaseClass == .riseThenDecay)
    }

    @Test func noiseFloorOfMeanAbsoluteCorrelation() {
        // √(2 / (π · 256)) = √(1 / (128 π)).
        assertClose(NoiseFloor.meanAbsR(probeSamples: 256), (1 / (128 * Double.pi)).squareRoot(), absolute: 0,
                    relative: 1e-15)
        assertClose(NoiseFloor.meanAbsR(probeSamples: 256), 0.049867785050179, absolute: 1e-15, relative: 0)
        assertClose(NoiseFloor.meanAbsR(probeSamples: 2), 1 / Double.pi.squareRoot(), absolute: 0, relative: 1e-15)
    }

    /// A tanh network's mean |r| (first hidden layer, 900 steps): rises from 0.229 to 0.331 at step 24, then
    /// falls to 0.306.
    @Test func realTanhSeriesRisesThenDecaysNearStep24() throws {
        let steps = snapshotSteps(total: 900)
        #expect(steps.count == tanhSeries.count)
        let result = PhaseDetector.detect(steps: steps, values: tanhSeries,
                                          noiseFloor: NoiseFloor.meanAbsR(probeSamples: 256))
        #expect(result.phaseClass == .riseThenDecay)
        #expect(logTimeError(try #require(result.peakStep), 24) <= peakTolerance, "found \(result.peakStep!)")
        #expect(abs(try #require(result.peakValue) - 0.331) < 0.01)
        #expect(result.otherPeaks == 0)
        let decayFraction = try #require(result.decayFraction)
        #expect(decayFraction > 0.1 && decayFraction < 0.5, "decay fraction \(decayFraction)")

        let firstLayer = PhaseDetector.detect(steps: steps, values: tanhFirstLayerSeries,
                                              noiseFloor: NoiseFloor.meanAbsR(probeSamples: 256))
        #expect(firstLayer.phaseClass == .rise && firstLayer.peakStep == nil)
    }

    /// Shifting the values changes nothing but the values; scaling them (with δ scaled alike) changes nothing
    /// but the values and σ̂. Steps and classes are properties of the shape.
    @Test func affineChangeOfUnitsKeepsTheShape() throws {
        let steps = snapshotSteps(total: 3000)
        let values = syntheticSeries(steps: steps, noise: 0.005, seed: 7, logBump(peakStep: 60)).map { $0! }
        let base = PhaseDetector.detect(steps: steps, values: values)
        let scaled = PhaseDetector.detect(steps: steps, values: values.map { 4 * $0 + 1.5 },
                                          parameters: .init(minimumAmplitude: 0.04))
        #expect(scaled.phaseClass == base.phaseClass && base.phaseClass == .riseThenDecay)
        assertClose(try #require(scaled.peakStep), try #require(base.peakStep), absolute: 0, relative: 1e-9)
        assertClose(scaled.peakValue!, 4 * base.peakValue! + 1.5, absolute: 1e-12, relative: 0)
        assertClose(scaled.noiseSigma!, 4 * base.noiseSigma!, absolute: 1e-12, relative: 0)
        assertClose(scaled.decayFraction!, base.decayFraction!, absolute: 1e-9, relative: 0)
        #expect(scaled.halfDecayStep == base.halfDecayStep && scaled.otherPeaks == base.otherPeaks)
    }

    /// Hand-derived: y = 5 − 2(x − 1.3)² through x = 0.5, 1.0, 2.2 has its vertex at (1.3, 5).
    @Test func peakRefinementFindsTheParabolaVertex() {
        let positions = [0.0, 0.5, 1.0, 2.2, 3.0]
        let values = positions.map { 5 - 2 * ($0 - 1.3) * ($0 - 1.3) }
        let (position, value) = PhaseDetector.refinePeak(positions: positions, values: values, index: 2)
        assertClose(position, 1.3, absolute: 1e-14, relative: 0)
        assertClose(value, 5, absolute: 1e-14, relative: 0)
        // A flat top: no curvature, the sample itself.
        let flat = PhaseDetector.refinePeak(positions: [0, 1, 2], values: [1, 1, 1], index: 1)
        #expect(flat.position == 1 && flat.value == 1)
        // Collinear-but-not-flat cannot occur at a local maximum; a vertex outside the neighbours is clamped:
        // y = −(x − 10)² is increasing on [0, 2], so the best the middle can claim is the right neighbour.
        let clamped = PhaseDetector.refinePeak(positions: [0, 1, 2], values: [-100, -81, -64], index: 1)
        #expect(clamped.position == 2 && clamped.value == -64)
    }

    @Test func windowIsATenthOfTheSeriesOddAndAtLeastFive() {
        let defaults = PhaseDetectorParameters()
        let table = [8: 5, 33: 5, 59: 5, 60: 7, 73: 7, 79: 7, 80: 9, 100: 11, 200: 21, 213: 21, 230: 23]
        for (count, window) in table {
            #expect(PhaseDetector.windowLength(pointCount: count, parameters: defaults) == window, "\(count) points")
        }
        // Never longer than the series, and odd.
        let wide = PhaseDetectorParameters(windowFraction: 1, minimumWindow: 9, minimumPoints: 3)
        #expect(PhaseDetector.windowLength(pointCount: 8, parameters: wide) == 7)
        #expect(PhaseDetector.windowLength(pointCount: 4, parameters: PhaseDetectorParameters(minimumWindow: 4)) == 3)
    }

    @Test func robustSigmaIsScaledMedianAbsoluteDeviation() {
        // median 3; |deviations| 2, 1, 0, 1, 97 → median 1; the outlier does not matter.
        assertClose(RobustStatistics.robustSigma([1, 2, 3, 4, 100])!, 1.4826, absolute: 1e-15, relative: 0)
        // Even count: median of 1, 2, 4, 7 is 3; deviations 2, 1, 1, 4 → median 1.5.
        assertClose(RobustStatistics.robustSigma([7, 1, 4, 2])!, 1.4826 * 1.5, absolute: 1e-15, relative: 0)
        #expect(RobustStatistics.robustSigma([]) == nil)
        #expect(RobustStatistics.median([3, 1, 2]) == 2 && RobustStatistics.median([4, 1, 3, 2]) == 2.5)
        // numpy.percentile([1, 2, 3, 4, 5], 2.5) = 1.1; 97.5 → 4.9.
        assertClose(RobustStatistics.percentile(sorted: [1, 2, 3, 4, 5], 2.5), 1.1, absolute: 1e-15, relative: 0)
        assertClose(RobustStatistics.percentile(sorted: [1, 2, 3, 4, 5], 97.5), 4.9, absolute: 1e-15, relative: 0)
        #expect(RobustStatistics.percentile(sorted: [7], 50) == 7)
    }

    @Test func resultAndParametersRoundTripThroughJSON() throws {
        let result = PhaseDetector.detect(steps: snapshotSteps(total: 900), values: tanhSeries, noiseFloor: 0.05)
        let data = try JSONEncoder().encode(result)
        #expect(try JSONDecoder().decode(PhaseResult.self, from: data) == result)
        let parameters = try JSONSerialization.jsonObject(with: JSONEncoder().encode(PhaseDetectorParameters()))
            as? [String: Double]
        #expect(parameters == ["noiseMultiplier": 3, "minimumAmplitude": 0.01, "windowFraction": 0.1,
                               "minimumWindow": 5, "minimumPoints": 8])
        #expect(PhaseClass.allCases.map(\.rawValue) == ["rise_then_decay", "rise", "decay", "flat", "insufficient",
                                                        "non_finite"])
        #expect(result.detectorVersion == PhaseDetector.version)
    }
}

/// Mean |r| per snapshot of `tracker run --name tanh --arch 128:tanh,64:tanh --seed 1` (256 probe samples,
/// 900 steps, the default schedule: 31 snapshots), layer dense2, rounded to 6 decimals.
let tanhSeries: [Double?] = [
    0.228589, 0.229213, 0.230239, 0.232172, 0.235292, 0.249443, 0.258072, 0.285084, 0.307055, 0.322394, 0.331045,
    0.323683, 0.329777, 0.315735, 0.309881, 0.307946, 0.305955, 0.306825, 0.304269, 0.304935, 0.305276, 0.303563,
    0.305346, 0.304985, 0.305959, 0.306516, 0.305946, 0.306009, 0.306099, 0.306428, 0.305854,
]

/// The same run's layer dense1: rises from 0.212 to 0.252 and is still creeping up at step 900.
let tanhFirstLayerSeries: [Double?] = [
    0.212292, 0.212247, 0.212265, 0.212399, 0.212746, 0.214088, 0.215103, 0.220053, 0.225981, 0.233354, 0.239780,
    0.242152, 0.244401, 0.243554, 0.244007, 0.245346, 0.245992, 0.247742, 0.247271, 0.248827, 0.248910, 0.248721,
    0.250075, 0.250751, 0.251236, 0.251580, 0.251875, 0.251923, 0.252258, 0.252521, 0.252491,
]
