// Axis ticks: "nice" steps by the 1-2-5 rule on linear axes, powers of ten (with minor ticks) on log axes, and
// compact tick labels.
import Foundation

/// The ticks of an axis and the range it shows.
public struct TickSet: Sendable, Equatable {
    /// The range the axis shows (the data's range widened to whole steps, or to whole decades on a log axis).
    public let domain: ClosedRange<Double>
    /// Labelled ticks, ascending.
    public let major: [Double]
    /// Unlabelled ticks between them (log axes: 2…9 × 10ᵏ when the axis spans few decades), ascending.
    public let minor: [Double]
    /// The distance between major ticks (linear), or their ratio (log: 10, 100, …).
    public let step: Double
}

/// Tick choice for axes.
public enum Ticks {
    /// The 1-2-5 step nearest to `span / targetCount`: the smallest of 1, 2, 5 × 10ᵏ that is ≥ it.
    ///
    /// Examples: span 1, target 5 → 0.2; span 0.37, target 5 → 0.1; span 950, target 5 → 200.
    /// A span ≤ 0 or non-finite gives 1.
    public static func niceStep(span: Double, targetCount: Int = 5) -> Double {
        guard span.isFinite, span > 0 else { return 1 }
        let raw = span / Double(max(1, targetCount))
        let magnitude = pow(10, floor(log10(raw)))
        for multiple in [1.0, 2, 5, 10] where multiple * magnitude >= raw * (1 - 1e-9) {
            return multiple * magnitude
        }
        return 10 * magnitude
    }

    /// Ticks for a linear axis over [lower, upper]: the domain widened outward to multiples of the
    /// ``niceStep(span:targetCount:)``, and a major tick at every multiple inside it.
    ///
    /// lower == upper (a constant series) widens to ± half a unit of its magnitude (0 → [0, 1]); non-finite bounds
    /// give [0, 1].
    public static func linear(lower: Double, upper: Double, targetCount: Int = 5) -> TickSet {
        var low = min(lower, upper), high = max(lower, upper)
        if !low.isFinite || !high.isFinite { (low, high) = (0, 1) }
        if low == high {
            let half = low == 0 ? 0.5 : abs(low) * 0.5
            (low, high) = low == 0 ? (0, 1) : (low - half, high + half)
        }
        let step = niceStep(span: high - low, targetCount: targetCount)
        // A small tolerance keeps 0.30000000000000004 from adding a step.
        let first = floor(low / step + 1e-9), last = ceil(high / step - 1e-9)
        let major = stride(from: first, through: last, by: 1).map { clean($0 * step, step: step) }
        return TickSet(domain: major.first!...major.last!, major: major, minor: [], step: step)
    }

    /// Ticks for a log axis over [lower, upper] (both > 0): the domain widened to whole decades, a major tick at
    /// each power of ten (every second or more when there are over 8 decades), and minor ticks at 2…9 × 10ᵏ when
    /// the axis spans at most 5 decades.
    ///
    /// Non-positive or non-finite bounds give [1, 10]; a single value v gives the decade around it.
    public static func logarithmic(lower: Double, upper: Double) -> TickSet {
        var low = min(lower, upper), high = max(lower, upper)
        if !(low > 0) || !high.isFinite { (low, high) = (1, 10) }
        var first = floor(log10(low) + 1e-9), last = ceil(log10(high) - 1e-9)
        if first == last { last += 1 }
        let decades = Int(last - first)
        let every = max(1, Int((Double(decades) / 8).rounded(.up)))
        first = floor(first / Double(every)) * Double(every)
        last = ceil(last / Double(every)) * Double(every)
        let major = stride(from: first, through: last, by: Double(every)).map { pow(10, $0) }
        var minor: [Double] = []
        if every == 1 && decades <= 5 {
            for exponent in stride(from: first, to: last, by: 1) {
                minor += (2...9).map { Double($0) * pow(10, exponent) }
            }
        }
        return TickSet(domain: major.first!...major.last!, major: major, minor: minor, step: pow(10, Double(every)))
    }

    /// Ticks for `scale` over the finite values given (all of them, or those > 0 on a log axis).
    public static func ticks(for values: [Double], scale: AxisScale, targetCount: Int = 5) -> TickSet {
        let usable = values.filter { $0.isFinite && (scale == .linear || $0 > 0) }
        let low = usable.min() ?? .nan, high = usable.max() ?? .nan
        return scale == .linear ? linear(lower: low, upper: high, targetCount: targetCount)
            : logarithmic(lower: low, upper: high)
    }

    /// A tick value rounded to its step's precision (so 3 × 0.1 prints as 0.3).
    static func clean(_ value: Double, step: Double) -> Double {
        let decimals = max(0, -Int(floor(log10(step))) + 1)
        let scale = pow(10, Double(min(decimals, 15)))
        let rounded = (value * scale).rounded() / scale
        return rounded == 0 ? 0 : rounded  // no "-0"
    }

    /// A compact label for a tick value: as few decimals as `step` needs (0.05 → "0.05", 0.1 → "0.1"), thousands as
    /// k and millions as M when the value is a whole number of them (2000 → "2k", 1500000 → "1.5M"), and values
    /// on an axis whose step is below 0.001 (or, without a step, values below 0.001) as "2e-4".
    ///
    /// - Parameter step: the distance between neighbouring ticks (nil: the value alone decides).
    public static func label(_ value: Double, step: Double? = nil) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : value > 0 ? "∞" : "-∞" }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        // Exponent form below 0.001: by the step, when there is one, so all labels of an axis share a form.
        if (step ?? magnitude) < 1e-3 {
            let exponent = Int(floor(log10(magnitude) + 1e-9))
            let mantissa = value / pow(10, Double(exponent))
            return trimmed(mantissa, decimals: 2) + "e" + String(exponent)
        }
        for (unit, suffix) in [(1e6, "M"), (1e3, "k")] where magnitude >= unit {
            let scaled = value / unit
            if abs(scaled * 10 - (scaled * 10).rounded()) < 1e-6 { return trimmed(scaled, decimals: 1) + suffix }
        }
        let stepValue = step ?? magnitude
        let decimals = stepValue >= 1 ? 0 : max(0, Int(ceil(-log10(stepValue) - 1e-9)))
        // A value between steps (a marker, 0.25 on a 0.1 grid) gets the decimals it needs, up to 3 more.
        let needed = (decimals...(decimals + 3)).first { d in
            let scaled = value * pow(10, Double(d))
            return abs(scaled - scaled.rounded()) < 1e-6 * max(1, abs(scaled))
        } ?? decimals + 3
        return trimmed(value, decimals: needed)
    }

    /// `value` with at most `decimals` decimals, trailing zeros dropped.
    static func trimmed(_ value: Double, decimals: Int) -> String {
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }
}
