// Draws a Figure as a standalone SVG document: panels in a grid, axes with ticks, series, bands, spans, markers,
// reference lines and one legend.
import Foundation

/// Renders figures to SVG text.
///
/// The output is deterministic (the same figure gives the same bytes) and self-contained: no external fonts,
/// images, stylesheets or scripts. Elements carry classes so tests and stylesheets can find them: each panel is a
/// `<g class="panel">`, each series one `<path class="series">`, each band one `<path class="band">`, each span a
/// `<rect class="span">`, each marker a `<circle class="marker">`, each reference line a `<line class="reference">`,
/// and the legend a `<g class="legend">` of `<g class="legend-entry">`.
public enum SVGRenderer {
    /// Margins of a panel around its plot area, in user units.
    static let left = 64.0, right = 16.0, top = 30.0, bottom = 46.0
    static let titleHeight = 34.0, legendRowHeight = 22.0, legendPadding = 10.0
    /// The width of a character of 12-unit sans-serif text, roughly, for laying out the legend.
    static let characterWidth = 6.8

    /// The SVG document of `figure` (with `<?xml?>` declaration and namespace, for a `.svg` file).
    public static func document(_ figure: Figure) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg(figure)
    }

    /// The `<svg>` element of `figure`, to write to a file or inline in HTML.
    ///
    /// - Parameter namespace: write the SVG namespace (`xmlns`), which a file needs; HTML5 needs none inline, and
    ///   without it the page holds no URL at all.
    public static func svg(_ figure: Figure, namespace: Bool = true) -> String {
        let id = XMLText.identifier(figure.identifier)
        let columns = max(1, min(figure.columns, max(1, figure.panels.count)))
        let rows = (figure.panels.count + columns - 1) / columns
        let width = Double(columns) * figure.panelWidth
        let header = figure.title.isEmpty ? 0 : titleHeight
        let legend = legendEntries(figure)
        let legendLayout = layOut(legend, width: width)
        let legendHeight = legend.isEmpty ? 0 : Double(legendLayout.rows) * legendRowHeight + 2 * legendPadding
        let panelsHeight = Double(max(rows, figure.panels.isEmpty ? 1 : rows)) * figure.panelHeight
        let height = header + panelsHeight + legendHeight
        let n = XMLText.number

        var out = """
            <svg\(namespace ? " xmlns=\"http://www.w3.org/2000/svg\"" : "") width="\(n(width))" height="\(n(height))" \
            viewBox="0 0 \(n(width)) \(n(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" \
            font-size="12" class="figure" id="\(id)">

            """
        out += "<title>\(XMLText.escape(figure.title))</title>\n"
        if figure.panels.contains(where: { $0.spans.contains { $0.fill == .hatched } }) {
            out += """
                <defs><pattern id="\(id)-hatch" patternUnits="userSpaceOnUse" width="6" height="6" \
                patternTransform="rotate(45)"><rect width="6" height="6" fill="#000000" fill-opacity="0.03"/>\
                <line x1="0" y1="0" x2="0" y2="6" stroke="#000000" stroke-opacity="0.22" stroke-width="2"/>\
                </pattern></defs>

                """
        }
        out += "<rect class=\"background\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"#FFFFFF\"/>\n"
        if !figure.title.isEmpty {
            out += "<text class=\"figure-title\" x=\"\(n(width / 2))\" y=\"22\" text-anchor=\"middle\" "
                + "font-size=\"15\" font-weight=\"bold\">\(XMLText.escape(figure.title))</text>\n"
        }
        if figure.panels.isEmpty {
            out += "<text class=\"empty\" x=\"\(n(width / 2))\" y=\"\(n(header + panelsHeight / 2))\" "
                + "text-anchor=\"middle\" fill=\"#555555\">no data</text>\n"
        }
        for (index, panel) in figure.panels.enumerated() {
            let x = Double(index % columns) * figure.panelWidth
            let y = header + Double(index / columns) * figure.panelHeight
            out += renderPanel(panel, index: index, figureID: id, x: x, y: y, width: figure.panelWidth,
                               height: figure.panelHeight)
        }
        if !legend.isEmpty {
            out += renderLegend(legend, layout: legendLayout, top: header + panelsHeight + legendPadding)
        }
        out += "</svg>\n"
        return out
    }

    // MARK: Panels

    /// Maps values of one axis to positions.
    struct Scale {
        let ticks: TickSet
        let scale: AxisScale
        let start: Double
        let end: Double

        /// The position of `value`, or nil when the axis cannot show it (non-finite, or ≤ 0 on a log axis).
        func position(_ value: Double) -> Double? {
            guard value.isFinite, scale == .linear || value > 0 else { return nil }
            let (low, high, v) = scale == .linear
                ? (ticks.domain.lowerBound, ticks.domain.upperBound, value)
                : (log10(ticks.domain.lowerBound), log10(ticks.domain.upperBound), log10(value))
            return start + (v - low) / (high - low) * (end - start)
        }
    }

    static func axisTicks(_ axis: Axis, values: [Double]) -> TickSet {
        if let domain = axis.domain { return Ticks.ticks(for: [domain.lowerBound, domain.upperBound], scale: axis.scale) }
        return Ticks.ticks(for: values, scale: axis.scale)
    }

    static func renderPanel(_ panel: Panel, index: Int, figureID: String, x: Double, y: Double, width: Double,
                            height: Double) -> String {
        let n = XMLText.number
        let plotLeft = x + left, plotRight = x + width - right
        let plotTop = y + top, plotBottom = y + height - bottom
        var xValues: [Double] = [], yValues: [Double] = []
        for series in panel.series {
            for (x, y) in zip(series.x, series.y) {
                guard let y, y.isFinite, x.isFinite else { continue }
                xValues.append(x)
                yValues.append(y)
            }
            if let band = series.band {
                yValues += (band.lower + band.upper).compactMap { $0 }.filter(\.isFinite)
            }
        }
        xValues += panel.markers.map(\.x) + panel.spans.flatMap { [$0.from, $0.to] }
        yValues += panel.markers.map(\.y) + panel.referenceLines.map(\.y)
        let hasData = panel.series.contains { series in zip(series.x, series.y).contains { $0.1 != nil } }
        let xScale = Scale(ticks: axisTicks(panel.xAxis, values: xValues), scale: panel.xAxis.scale,
                           start: plotLeft, end: plotRight)
        let yScale = Scale(ticks: axisTicks(panel.yAxis, values: yValues), scale: panel.yAxis.scale,
                           start: plotBottom, end: plotTop)
        let clip = "\(figureID)-clip-\(index)"

        var out = "<g class=\"panel\" id=\"\(figureID)-panel-\(index)\">\n"
        out += "<clipPath id=\"\(clip)\"><rect x=\"\(n(plotLeft))\" y=\"\(n(plotTop))\" "
            + "width=\"\(n(plotRight - plotLeft))\" height=\"\(n(plotBottom - plotTop))\"/></clipPath>\n"
        out += "<text class=\"panel-title\" x=\"\(n((plotLeft + plotRight) / 2))\" y=\"\(n(y + 19))\" "
            + "text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(XMLText.escape(panel.title))</text>\n"

        // Shaded spans under everything else.
        if !panel.spans.isEmpty {
            out += "<g class=\"spans\" clip-path=\"url(#\(clip))\">\n"
            for span in panel.spans {
                guard let a = xScale.position(min(span.from, span.to)) ?? (span.from <= 0 ? plotLeft : nil),
                      let b = xScale.position(max(span.from, span.to)) else { continue }
                let fill = span.fill == .hatched ? "url(#\(figureID)-hatch)" : "#000000\" fill-opacity=\"0.07"
                out += "<rect class=\"span span-\(span.fill.rawValue)\" x=\"\(n(a))\" y=\"\(n(plotTop))\" "
                    + "width=\"\(n(max(0, b - a)))\" height=\"\(n(plotBottom - plotTop))\" fill=\"\(fill)\">"
                    + "<title>\(XMLText.escape(span.label))</title></rect>\n"
            }
            out += "</g>\n"
        }

        out += renderAxes(panel, xScale: xScale, yScale: yScale, plotLeft: plotLeft, plotRight: plotRight,
                          plotTop: plotTop, plotBottom: plotBottom)

        out += "<g class=\"data\" clip-path=\"url(#\(clip))\">\n"
        for (position, series) in panel.series.enumerated() {
            guard let band = series.band else { continue }
            let style = Palette.style(series.style ?? position)
            let d = bandPath(x: series.x, lower: band.lower, upper: band.upper, xScale: xScale, yScale: yScale)
            out += "<path class=\"band\" d=\"\(d)\" fill=\"\(style.colour)\" fill-opacity=\"0.18\" stroke=\"none\"/>\n"
        }
        for reference in panel.referenceLines {
            guard let level = yScale.position(reference.y) else { continue }
            out += "<line class=\"reference\" x1=\"\(n(plotLeft))\" y1=\"\(n(level))\" x2=\"\(n(plotRight))\" "
                + "y2=\"\(n(level))\" stroke=\"#444444\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\">"
                + "<title>\(XMLText.escape(reference.label))</title></line>\n"
        }
        for (position, series) in panel.series.enumerated() {
            let style = Palette.style(series.style ?? position)
            let dash = style.dash.isEmpty ? "" : " stroke-dasharray=\"\(style.dash)\""
            let d = linePath(x: series.x, y: series.y, xScale: xScale, yScale: yScale)
            out += "<path class=\"series\" d=\"\(d)\" fill=\"none\" stroke=\"\(style.colour)\" stroke-width=\"1.8\""
                + "\(dash) stroke-linejoin=\"round\"><title>\(XMLText.escape(series.label))</title></path>\n"
        }
        for marker in panel.markers {
            guard let cx = xScale.position(marker.x), let cy = yScale.position(marker.y) else { continue }
            let colour = marker.style.map { Palette.style($0).colour } ?? "#000000"
            out += "<circle class=\"marker\" cx=\"\(n(cx))\" cy=\"\(n(cy))\" r=\"4.5\" fill=\"\(colour)\" "
                + "stroke=\"#000000\" stroke-width=\"1.2\"><title>\(XMLText.escape(marker.label)) "
                + "(\(Ticks.label(marker.x)), \(Ticks.label(marker.y)))</title></circle>\n"
        }
        out += "</g>\n"
        if !hasData {
            out += "<text class=\"empty\" x=\"\(n((plotLeft + plotRight) / 2))\" y=\"\(n((plotTop + plotBottom) / 2))\" "
                + "text-anchor=\"middle\" fill=\"#555555\">no data</text>\n"
        }
        out += "</g>\n"
        return out
    }

    static func renderAxes(_ panel: Panel, xScale: Scale, yScale: Scale, plotLeft: Double, plotRight: Double,
                           plotTop: Double, plotBottom: Double) -> String {
        let n = XMLText.number
        var out = "<g class=\"axis x-axis\">\n"
        for tick in xScale.ticks.major {
            guard let p = xScale.position(tick) else { continue }
            out += "<line class=\"grid\" x1=\"\(n(p))\" y1=\"\(n(plotTop))\" x2=\"\(n(p))\" y2=\"\(n(plotBottom))\" "
                + "stroke=\"#E4E4E4\" stroke-width=\"1\"/>\n"
            out += "<line class=\"tick\" x1=\"\(n(p))\" y1=\"\(n(plotBottom))\" x2=\"\(n(p))\" y2=\"\(n(plotBottom + 5))\" "
                + "stroke=\"#222222\"/>\n"
            out += "<text class=\"tick-label\" x=\"\(n(p))\" y=\"\(n(plotBottom + 18))\" text-anchor=\"middle\" "
                + "font-size=\"11\">\(XMLText.escape(Ticks.label(tick, step: xScale.scale == .linear ? xScale.ticks.step : nil)))</text>\n"
        }
        for tick in xScale.ticks.minor {
            guard let p = xScale.position(tick) else { continue }
            out += "<line class=\"minor-tick\" x1=\"\(n(p))\" y1=\"\(n(plotBottom))\" x2=\"\(n(p))\" "
                + "y2=\"\(n(plotBottom + 3))\" stroke=\"#222222\"/>\n"
        }
        out += "<text class=\"axis-label\" x=\"\(n((plotLeft + plotRight) / 2))\" y=\"\(n(plotBottom + 36))\" "
            + "text-anchor=\"middle\">\(XMLText.escape(panel.xAxis.label))</text>\n</g>\n"

        out += "<g class=\"axis y-axis\">\n"
        for tick in yScale.ticks.major {
            guard let p = yScale.position(tick) else { continue }
            out += "<line class=\"grid\" x1=\"\(n(plotLeft))\" y1=\"\(n(p))\" x2=\"\(n(plotRight))\" y2=\"\(n(p))\" "
                + "stroke=\"#E4E4E4\" stroke-width=\"1\"/>\n"
            out += "<line class=\"tick\" x1=\"\(n(plotLeft - 5))\" y1=\"\(n(p))\" x2=\"\(n(plotLeft))\" y2=\"\(n(p))\" "
                + "stroke=\"#222222\"/>\n"
            out += "<text class=\"tick-label\" x=\"\(n(plotLeft - 8))\" y=\"\(n(p + 4))\" text-anchor=\"end\" "
                + "font-size=\"11\">\(XMLText.escape(Ticks.label(tick, step: yScale.scale == .linear ? yScale.ticks.step : nil)))</text>\n"
        }
        for tick in yScale.ticks.minor {
            guard let p = yScale.position(tick) else { continue }
            out += "<line class=\"minor-tick\" x1=\"\(n(plotLeft - 3))\" y1=\"\(n(p))\" x2=\"\(n(plotLeft))\" "
                + "y2=\"\(n(p))\" stroke=\"#222222\"/>\n"
        }
        let middle = (plotTop + plotBottom) / 2
        out += "<text class=\"axis-label\" x=\"\(n(plotLeft - 50))\" y=\"\(n(middle))\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 \(n(plotLeft - 50)) \(n(middle)))\">\(XMLText.escape(panel.yAxis.label))</text>\n"
        out += "<rect class=\"frame\" x=\"\(n(plotLeft))\" y=\"\(n(plotTop))\" width=\"\(n(plotRight - plotLeft))\" "
            + "height=\"\(n(plotBottom - plotTop))\" fill=\"none\" stroke=\"#222222\"/>\n</g>\n"
        return out
    }

    /// `M x y L x y …`, a new `M` after every point the axes cannot show.
    static func linePath(x: [Double], y: [Double?], xScale: Scale, yScale: Scale) -> String {
        let n = XMLText.number
        var d: [String] = []
        var drawing = false
        for (xValue, yValue) in zip(x, y) {
            guard let yValue, let px = xScale.position(xValue), let py = yScale.position(yValue) else {
                drawing = false
                continue
            }
            d.append("\(drawing ? "L" : "M")\(n(px)) \(n(py))")
            drawing = true
        }
        return d.joined(separator: " ")
    }

    /// One closed polygon per stretch of points with both bounds: along the upper bound, back along the lower.
    static func bandPath(x: [Double], lower: [Double?], upper: [Double?], xScale: Scale, yScale: Scale) -> String {
        let n = XMLText.number
        var pieces: [String] = []
        var stretch: [(Double, Double, Double)] = []
        func close() {
            if stretch.count >= 2 {
                let forward = stretch.map { "\(n($0.0)) \(n($0.2))" }
                let backward = stretch.reversed().map { "\(n($0.0)) \(n($0.1))" }
                pieces.append("M" + (forward + backward).joined(separator: " L") + " Z")
            }
            stretch = []
        }
        for index in x.indices {
            if index < lower.count, index < upper.count, let low = lower[index], let high = upper[index],
               let px = xScale.position(x[index]), let pl = yScale.position(low), let ph = yScale.position(high) {
                stretch.append((px, pl, ph))
            } else {
                close()
            }
        }
        close()
        return pieces.joined(separator: " ")
    }

    // MARK: Legend

    /// What a legend entry shows beside its text.
    enum LegendSwatch: Equatable {
        case line(SeriesStyle, band: Bool)
        case marker
        case span(SpanFill)
        case reference
    }

    struct LegendEntry: Equatable {
        let swatch: LegendSwatch
        let label: String
    }

    /// Series (by label and style, first seen first), then marker, span and reference-line labels, each once.
    static func legendEntries(_ figure: Figure) -> [LegendEntry] {
        var entries: [LegendEntry] = []
        func add(_ entry: LegendEntry) { if !entries.contains(entry) { entries.append(entry) } }
        for panel in figure.panels {
            for (position, series) in panel.series.enumerated() where !series.label.isEmpty {
                add(LegendEntry(swatch: .line(Palette.style(series.style ?? position), band: series.band != nil),
                                label: series.label))
            }
        }
        var seen = Set<String>()
        for panel in figure.panels {
            for marker in panel.markers where seen.insert("m:" + marker.label).inserted {
                entries.append(LegendEntry(swatch: .marker, label: marker.label))
            }
        }
        for panel in figure.panels {
            for span in panel.spans where seen.insert("s:" + span.label).inserted {
                entries.append(LegendEntry(swatch: .span(span.fill), label: span.label))
            }
        }
        for panel in figure.panels {
            for line in panel.referenceLines where seen.insert("r:" + line.label).inserted {
                entries.append(LegendEntry(swatch: .reference, label: line.label))
            }
        }
        return entries
    }

    /// Each entry's row and x offset, filling rows left to right.
    static func layOut(_ entries: [LegendEntry], width: Double) -> (positions: [(row: Int, x: Double)], rows: Int) {
        var positions: [(row: Int, x: Double)] = []
        var row = 0, x = 12.0
        for entry in entries {
            let entryWidth = 34 + Double(entry.label.count) * characterWidth + 18
            if x + entryWidth > width - 8 && x > 12 {
                row += 1
                x = 12
            }
            positions.append((row, x))
            x += entryWidth
        }
        return (positions, entries.isEmpty ? 0 : row + 1)
    }

    static func renderLegend(_ entries: [LegendEntry], layout: (positions: [(row: Int, x: Double)], rows: Int),
                             top: Double) -> String {
        let n = XMLText.number
        var out = "<g class=\"legend\">\n"
        for (entry, position) in zip(entries, layout.positions) {
            let y = top + Double(position.row) * legendRowHeight + legendRowHeight / 2
            let x = position.x
            out += "<g class=\"legend-entry\">"
            switch entry.swatch {
            case .line(let style, let band):
                if band {
                    out += "<rect x=\"\(n(x))\" y=\"\(n(y - 6))\" width=\"28\" height=\"12\" fill=\"\(style.colour)\" "
                        + "fill-opacity=\"0.18\"/>"
                }
                let dash = style.dash.isEmpty ? "" : " stroke-dasharray=\"\(style.dash)\""
                out += "<line x1=\"\(n(x))\" y1=\"\(n(y))\" x2=\"\(n(x + 28))\" y2=\"\(n(y))\" stroke=\"\(style.colour)\" "
                    + "stroke-width=\"2\"\(dash)/>"
            case .marker:
                out += "<circle cx=\"\(n(x + 14))\" cy=\"\(n(y))\" r=\"4.5\" fill=\"#FFFFFF\" stroke=\"#000000\" "
                    + "stroke-width=\"1.2\"/>"
            case .span(let fill):
                let paint = fill == .hatched ? "#FFFFFF\" stroke=\"#999999" : "#000000\" fill-opacity=\"0.07"
                out += "<rect x=\"\(n(x))\" y=\"\(n(y - 7))\" width=\"28\" height=\"14\" fill=\"\(paint)\"/>"
                if fill == .hatched {
                    for offset in stride(from: 0.0, through: 21, by: 7) {
                        out += "<line x1=\"\(n(x + offset))\" y1=\"\(n(y + 7))\" x2=\"\(n(x + offset + 7))\" "
                            + "y2=\"\(n(y - 7))\" stroke=\"#000000\" stroke-opacity=\"0.35\" stroke-width=\"1.5\"/>"
                    }
                }
            case .reference:
                out += "<line x1=\"\(n(x))\" y1=\"\(n(y))\" x2=\"\(n(x + 28))\" y2=\"\(n(y))\" stroke=\"#444444\" "
                    + "stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/>"
            }
            out += "<text x=\"\(n(x + 34))\" y=\"\(n(y + 4))\">\(XMLText.escape(entry.label))</text></g>\n"
        }
        out += "</g>\n"
        return out
    }
}
