// The figure model: a figure of panels, each with axes, series (lines with optional bands), markers, shaded spans and
// reference lines. Plain values; ``SVGRenderer`` draws them.

/// How an axis maps values to positions.
public enum AxisScale: String, Sendable, Equatable, CaseIterable {
    /// Equal distances for equal differences; ticks by the 1-2-5 rule (``Ticks/linear(lower:upper:targetCount:)``).
    case linear
    /// Equal distances for equal ratios; values ≤ 0 cannot be drawn and are left out (a gap in a line). Ticks at
    /// powers of ten (``Ticks/logarithmic(lower:upper:)``).
    case log
}

/// One axis of a panel.
public struct Axis: Sendable, Equatable {
    public var label: String
    public var scale: AxisScale
    /// The range to show; nil: the data's range, widened to whole ticks.
    public var domain: ClosedRange<Double>?

    public init(label: String, scale: AxisScale = .linear, domain: ClosedRange<Double>? = nil) {
        self.label = label
        self.scale = scale
        self.domain = domain
    }
}

/// A lower and an upper line around a series, filled between them (e.g. min–max or mean ± sd over runs).
///
/// Both arrays are parallel to the series' `x`; a nil in either leaves a gap in the band.
public struct Band: Sendable, Equatable {
    public var lower: [Double?]
    public var upper: [Double?]

    public init(lower: [Double?], upper: [Double?]) {
        self.lower = lower
        self.upper = upper
    }
}

/// A line through points (x, y), in order; nil or non-finite y (or a value a log axis cannot show) breaks it.
public struct Series: Sendable, Equatable {
    /// The legend's text.
    public var label: String
    public var x: [Double]
    /// Parallel to `x` (extra values on either side are ignored).
    public var y: [Double?]
    public var band: Band?
    /// Colour and dash index (see ``Palette/style(_:)``): the same index gives the same look in every panel. nil: the
    /// series' position in its panel.
    public var style: Int?

    public init(label: String, x: [Double], y: [Double?], band: Band? = nil, style: Int? = nil) {
        self.label = label
        self.x = x
        self.y = y
        self.band = band
        self.style = style
    }
}

/// A point drawn as a circle in a style's colour with a dark outline (e.g. a detected peak).
public struct Marker: Sendable, Equatable {
    public var x: Double
    public var y: Double
    /// The legend's text for markers (one entry per distinct label), e.g. "peak".
    public var label: String
    /// The colour index (nil: black).
    public var style: Int?

    public init(x: Double, y: Double, label: String, style: Int? = nil) {
        self.x = x
        self.y = y
        self.label = label
        self.style = style
    }
}

/// How a shaded x-span is filled.
public enum SpanFill: String, Sendable, Equatable {
    /// A light grey fill.
    case solid
    /// Light grey diagonal lines (tells two kinds of span apart without colour).
    case hatched
}

/// A range of x shaded over the panel's whole height (e.g. a rise or a decay phase). Spans overlap translucently.
public struct ShadedSpan: Sendable, Equatable {
    public var from: Double
    public var to: Double
    /// The legend's text (one entry per distinct label), e.g. "rise".
    public var label: String
    public var fill: SpanFill

    public init(from: Double, to: Double, label: String, fill: SpanFill = .solid) {
        self.from = from
        self.to = to
        self.label = label
        self.fill = fill
    }
}

/// A horizontal dashed line at a y value across the panel (e.g. a noise floor).
public struct ReferenceLine: Sendable, Equatable {
    public var y: Double
    /// The legend's text (one entry per distinct label).
    public var label: String

    public init(y: Double, label: String) {
        self.y = y
        self.label = label
    }
}

/// One plot area with its axes.
public struct Panel: Sendable, Equatable {
    public var title: String
    public var xAxis: Axis
    public var yAxis: Axis
    public var series: [Series]
    public var spans: [ShadedSpan]
    public var markers: [Marker]
    public var referenceLines: [ReferenceLine]

    public init(title: String, xAxis: Axis, yAxis: Axis, series: [Series] = [], spans: [ShadedSpan] = [],
                markers: [Marker] = [], referenceLines: [ReferenceLine] = []) {
        self.title = title
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.series = series
        self.spans = spans
        self.markers = markers
        self.referenceLines = referenceLines
    }
}

/// Panels in a grid under a title, with one legend for all of them below.
public struct Figure: Sendable, Equatable {
    public var title: String
    public var panels: [Panel]
    /// Panels per row (at least 1).
    public var columns: Int
    /// Prefix of the ids inside the SVG (patterns, clip paths): distinct figures inlined in one HTML page need
    /// distinct identifiers. Letters, digits, `-` and `_` are kept, anything else becomes `_`.
    public var identifier: String
    /// Size of one panel, plot area and axes included, in SVG user units (CSS pixels).
    public var panelWidth: Double
    public var panelHeight: Double

    public init(title: String, panels: [Panel], columns: Int = 1, identifier: String = "figure",
                panelWidth: Double = 480, panelHeight: Double = 280) {
        self.title = title
        self.panels = panels
        self.columns = max(1, columns)
        self.identifier = identifier
        self.panelWidth = panelWidth
        self.panelHeight = panelHeight
    }
}
