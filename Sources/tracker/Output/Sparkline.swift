// Unicode sparklines: a series at a glance in one line.
enum Sparkline {
    static let bars: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// One bar per value, scaled from the series' minimum to its maximum (a flat series is all low bars);
    /// nil values print as spaces. Longer series are resampled to `width` points by picking evenly spaced values.
    static func render(_ values: [Double?], width: Int = 40) -> String {
        guard !values.isEmpty else { return "" }
        let picked: [Double?] = values.count <= width ? values
            : (0..<width).map { values[$0 * (values.count - 1) / max(1, width - 1)] }
        let finite = picked.compactMap { $0 }
        guard let low = finite.min(), let high = finite.max() else { return String(repeating: " ", count: picked.count) }
        return String(picked.map { value -> Character in
            guard let value else { return " " }
            let fraction = high > low ? (value - low) / (high - low) : 0
            return bars[min(bars.count - 1, Int(fraction * Double(bars.count - 1) + 0.5))]
        })
    }
}
