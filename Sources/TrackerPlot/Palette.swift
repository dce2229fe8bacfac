// Colours readable by colour-blind people (Okabe & Ito), with dash patterns once the colours run out.

/// The look of a series: a stroke colour and a dash pattern.
public struct SeriesStyle: Sendable, Hashable {
    /// `#RRGGBB`.
    public let colour: String
    /// An SVG `stroke-dasharray` value; empty for a solid line.
    public let dash: String
}

/// The colours and dashes series are drawn with.
public enum Palette {
    /// Okabe & Ito's colour-blind-safe palette (Okabe, Ito: "Color Universal Design", 2008), in the order series
    /// use it: blue, vermillion, bluish green, reddish purple, orange, sky blue, black. Their yellow is left out:
    /// too faint for a line on white.
    public static let colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

    /// Dash patterns, solid first: series 0-6 are solid, 7-13 dashed, and so on.
    public static let dashes = ["", "7 3", "2 2", "9 3 2 3"]

    /// The style of series `index` (≥ 0): colour `index mod 7`, dash `(index / 7) mod 4`.
    public static func style(_ index: Int) -> SeriesStyle {
        let index = max(0, index)
        return SeriesStyle(colour: colours[index % colours.count],
                           dash: dashes[(index / colours.count) % dashes.count])
    }
}
