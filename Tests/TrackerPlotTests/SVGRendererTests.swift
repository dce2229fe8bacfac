// The SVG's structure: panels, one path per series, bands, shaded spans, markers, reference lines, legend, escaping,
// log axes, empty data, determinism; parsed as XML.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import TrackerPlot

@Suite struct SVGRendererTests {
    /// Two panels of two series each, the first with a band, a peak, rise and decay spans and a noise floor.
    static func sampleFigure(xScale: AxisScale = .linear) -> Figure {
        let x: [Double] = [1, 10, 100, 1000]
        func panel(_ title: String) -> Panel {
            Panel(title: title, xAxis: Axis(label: "step", scale: xScale), yAxis: Axis(label: "mean |r|"),
                  series: [
                    Series(label: "lr=0.1", x: x, y: [0.1, 0.3, 0.2, 0.15],
                           band: Band(lower: [0.08, 0.25, 0.18, 0.1], upper: [0.12, 0.35, 0.22, 0.2]), style: 0),
                    Series(label: "lr=0.01", x: x, y: [0.1, nil, 0.25, 0.2], style: 1),
                  ],
                  spans: [ShadedSpan(from: 1, to: 10, label: "rise"),
                          ShadedSpan(from: 10, to: 1000, label: "decay", fill: .hatched)],
                  markers: [Marker(x: 10, y: 0.3, label: "peak", style: 0)],
                  referenceLines: [ReferenceLine(y: 0.05, label: "noise floor")])
        }
        return Figure(title: "mean |r| <by layer>", panels: [panel("dense1"), panel("dense2")], columns: 2)
    }

    /// Elements with `class` containing `name` (space-separated classes), in document order.
    static func elements(_ svg: String, class name: String) throws -> [XMLElement] {
        let document = try XMLDocument(xmlString: svg, options: [])
        let all = try document.nodes(forXPath: "//*").compactMap { $0 as? XMLElement }
        return all.filter { element in
            (element.value(of: "class") ?? "").split(separator: " ").contains { $0 == name }
        }
    }

    @Test func panelsSeriesBandsSpansAndMarkersAreAllThere() throws {
        let svg = SVGRenderer.document(Self.sampleFigure())
        #expect(try Self.elements(svg, class: "panel").count == 2)
        #expect(try Self.elements(svg, class: "series").count == 4)            // one path per series per panel
        #expect(try Self.elements(svg, class: "series").allSatisfy { $0.name == "path" })
        #expect(try Self.elements(svg, class: "band").count == 2)
        #expect(try Self.elements(svg, class: "span").count == 4)
        #expect(try Self.elements(svg, class: "span-hatched").count == 2)
        #expect(try Self.elements(svg, class: "marker").count == 2)
        #expect(try Self.elements(svg, class: "reference").count == 2)
        #expect(try Self.elements(svg, class: "reference").allSatisfy {
            $0.value(of: "stroke-dasharray") == "6 4"
        })
        // Legend: two series, then peak, rise, decay, noise floor; each once although both panels have them.
        let legend = try Self.elements(svg, class: "legend-entry").map { $0.stringValue ?? "" }
        #expect(legend == ["lr=0.1", "lr=0.01", "peak", "rise", "decay", "noise floor"])
        // Axis labels per panel.
        let labels = try Self.elements(svg, class: "axis-label").map { $0.stringValue ?? "" }
        #expect(labels == ["step", "mean |r|", "step", "mean |r|"])
    }

    @Test func aMissingValueBreaksTheLineIntoTwoPieces() throws {
        let svg = SVGRenderer.svg(Self.sampleFigure())
        let second = try Self.elements(svg, class: "series")[1].value(of: "d") ?? ""
        #expect(second.filter { $0 == "M" }.count == 2)
        let first = try Self.elements(svg, class: "series")[0].value(of: "d") ?? ""
        #expect(first.filter { $0 == "M" }.count == 1 && first.filter { $0 == "L" }.count == 3)
    }

    @Test func ticksAreLabelledInSteps() throws {
        let svg = SVGRenderer.svg(Self.sampleFigure())
        let labels = try Self.elements(svg, class: "tick-label").map { $0.stringValue ?? "" }
        // x: 1…1000 → 1000/5 = 200, so 0…1000 by 200; y: 0.05 (noise floor)…0.35 (band) → 0.3/5 = 0.06 → 0.1,
        // so 0…0.4 by 0.1.
        #expect(labels.prefix(6) == ["0", "200", "400", "600", "800", "1k"])
        #expect(labels[6..<11] == ["0", "0.1", "0.2", "0.3", "0.4"])
    }

    @Test func aLogAxisHasPowersOfTenAndMinorTicks() throws {
        let svg = SVGRenderer.svg(Self.sampleFigure(xScale: .log))
        let labels = try Self.elements(svg, class: "tick-label").map { $0.stringValue ?? "" }
        #expect(labels.prefix(4) == ["1", "10", "100", "1k"])
        #expect(try Self.elements(svg, class: "minor-tick").count == 2 * 3 * 8)
        // Equal ratios, equal distances: the four points are evenly spaced.
        let d = try Self.elements(svg, class: "series")[0].value(of: "d") ?? ""
        let xs = d.split(whereSeparator: { $0 == "M" || $0 == "L" })
            .compactMap { Double($0.split(separator: " ")[0]) }
        #expect(xs.count == 4)
        let gaps = zip(xs.dropFirst(), xs).map { $0 - $1 }
        #expect(gaps.allSatisfy { abs($0 - gaps[0]) < 0.02 })
    }

    @Test func storedTextIsEscaped() throws {
        var figure = Self.sampleFigure()
        figure.panels[0].series[0].label = "a<b & \"c\" 'd'\u{1}"
        figure.panels[0].title = "</svg><script>alert(1)</script>"
        let svg = SVGRenderer.svg(figure)
        #expect(!svg.contains("<script>"))
        #expect(svg.contains("a&lt;b &amp; &quot;c&quot; &#39;d&#39;\u{FFFD}"))
        // Still well-formed, with the text back as written (the control character replaced).
        let titles = try Self.elements(svg, class: "panel-title").map { $0.stringValue ?? "" }
        #expect(titles[0] == "</svg><script>alert(1)</script>")
        #expect(try Self.elements(svg, class: "figure-title").first?.stringValue == "mean |r| <by layer>")
    }

    @Test func emptyDataGivesFramedPanelsThatSayNoData() throws {
        let empty = Figure(title: "nothing", panels: [
            Panel(title: "dense1", xAxis: Axis(label: "step"), yAxis: Axis(label: "mean |r|")),
            Panel(title: "dense2", xAxis: Axis(label: "step", scale: .log), yAxis: Axis(label: "mean |r|"),
                  series: [Series(label: "run 1", x: [0, 1], y: [nil, nil])]),
        ])
        let svg = SVGRenderer.svg(empty)
        #expect(try Self.elements(svg, class: "panel").count == 2)
        #expect(try Self.elements(svg, class: "empty").count == 2)
        #expect(try Self.elements(svg, class: "series").count == 1)
        #expect(try Self.elements(svg, class: "series")[0].value(of: "d") == "")
        #expect(!svg.contains("nan") && !svg.contains("inf"))

        let noPanels = SVGRenderer.svg(Figure(title: "", panels: []))
        #expect(try Self.elements(noPanels, class: "empty").count == 1)
        #expect(try Self.elements(noPanels, class: "legend").isEmpty)
    }

    @Test func outputIsDeterministicAndIdsArePrefixed() throws {
        var figure = Self.sampleFigure()
        #expect(SVGRenderer.document(figure) == SVGRenderer.document(Self.sampleFigure()))
        figure.identifier = "report fig/1"
        let svg = SVGRenderer.svg(figure)
        #expect(svg.contains("id=\"report_fig_1-clip-0\"") && svg.contains("url(#report_fig_1-hatch)"))
        #expect(!svg.contains("http://") || svg.components(separatedBy: "http://").count == 2)  // only the namespace
    }

    @Test func stylesRepeatColoursWithDashesWhenSeriesOutnumberThem() {
        #expect(Palette.style(0) == SeriesStyle(colour: "#0072B2", dash: ""))
        #expect(Palette.style(6).dash == "")
        #expect(Palette.style(7) == SeriesStyle(colour: "#0072B2", dash: "7 3"))
        #expect(Set((0..<28).map { Palette.style($0) }).count == 28)
    }
}

extension XMLElement {
    /// The value of the attribute `name` (FoundationXML's `attribute(forName:)` misses attributes of elements in a
    /// default namespace, as every SVG element is).
    func value(of name: String) -> String? {
        attributes?.first { $0.name == name }?.stringValue
    }
}
