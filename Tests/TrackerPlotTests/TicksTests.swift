// Tick choice and tick labels for known ranges (values worked out by hand from the 1-2-5 rule).
import Testing
@testable import TrackerPlot

@Suite struct TicksTests {
    @Test func niceStepsFollowTheOneTwoFiveRule() {
        #expect(Ticks.niceStep(span: 1, targetCount: 5) == 0.2)
        #expect(Ticks.niceStep(span: 0.37, targetCount: 5) == 0.1)    // 0.074 → 0.1
        #expect(Ticks.niceStep(span: 950, targetCount: 5) == 200)     // 190 → 200
        #expect(Ticks.niceStep(span: 2000, targetCount: 4) == 500)    // 500 exactly
        #expect(Ticks.niceStep(span: 0.012, targetCount: 5) == 0.005) // 0.0024 → 0.005
        #expect(Ticks.niceStep(span: 0, targetCount: 5) == 1)
        #expect(Ticks.niceStep(span: .nan, targetCount: 5) == 1)
    }

    @Test func linearTicksWidenTheDomainToWholeSteps() {
        let steps = Ticks.linear(lower: 0, upper: 950)
        #expect(steps.step == 200)
        #expect(steps.major == [0, 200, 400, 600, 800, 1000])
        #expect(steps.domain == 0...1000)

        let correlation = Ticks.linear(lower: 0.083, upper: 0.412)
        #expect(correlation.step == 0.1)
        #expect(correlation.major == [0, 0.1, 0.2, 0.3, 0.4, 0.5])   // 0.3 exactly, not 0.30000000000000004

        let negative = Ticks.linear(lower: -0.7, upper: 0.2)
        #expect(negative.step == 0.2)
        #expect(negative.major == [-0.8, -0.6, -0.4, -0.2, 0, 0.2])
    }

    @Test func aConstantOrMissingRangeStillHasTicks() {
        #expect(Ticks.linear(lower: 0, upper: 0).domain == 0...1)
        let constant = Ticks.linear(lower: 4, upper: 4)
        #expect(constant.domain.lowerBound <= 2 && constant.domain.upperBound >= 6)
        #expect(Ticks.ticks(for: [], scale: .linear).domain == 0...1)
        #expect(Ticks.ticks(for: [], scale: .log).domain == 1...10)
    }

    @Test func logTicksAreAtPowersOfTenWithMinorTicksBetween() {
        let ticks = Ticks.logarithmic(lower: 1, upper: 3000)
        #expect(ticks.major == [1, 10, 100, 1000, 10000])
        #expect(ticks.domain == 1...10000)
        #expect(ticks.minor.count == 4 * 8)
        #expect(ticks.minor.first == 2 && ticks.minor.contains(50) && ticks.minor.last == 9000)

        // Many decades: every second power, no minor ticks.
        let wide = Ticks.logarithmic(lower: 1e-6, upper: 1e6)
        #expect(wide.major == [1e-6, 1e-4, 1e-2, 1, 1e2, 1e4, 1e6])
        #expect(wide.minor.isEmpty)

        // Values ≤ 0 cannot go on a log axis.
        #expect(Ticks.ticks(for: [0, -3, 5, 40], scale: .log).major == [1, 10, 100])
    }

    @Test func tickLabelsAreCompact() {
        #expect(Ticks.label(0) == "0")
        #expect(Ticks.label(0.30000000000000004, step: 0.1) == "0.3")
        #expect(Ticks.label(0.05, step: 0.05) == "0.05")
        #expect(Ticks.label(400, step: 200) == "400")
        #expect(Ticks.label(2000, step: 500) == "2k")
        #expect(Ticks.label(2500, step: 500) == "2.5k")
        #expect(Ticks.label(1_500_000) == "1.5M")
        #expect(Ticks.label(1e-4) == "1e-4")
        // One form per axis: a step below 0.001 writes every tick in exponent form.
        #expect(Ticks.label(0.001, step: 0.0002) == "1e-3" && Ticks.label(0.0008, step: 0.0002) == "8e-4")
        #expect(Ticks.label(0.0015, step: 0.0005) == "1.5e-3")
        #expect(Ticks.label(-0.2, step: 0.2) == "-0.2")
        #expect(Ticks.label(0.25, step: 0.1) == "0.25")
        #expect(Ticks.label(1234) == "1234")
    }
}
