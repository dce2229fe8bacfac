// One approximate-equality helper for every numerical test.
import Testing

/// Whether `actual` lies within `absolute + relative · |expected|` of `expected`.
///
/// NaN equals NaN here (a statistic that should be undefined must be undefined), and infinities must match.
public func isClose(_ actual: Double, _ expected: Double, absolute: Double = 1e-9, relative: Double = 1e-6) -> Bool {
    if actual.isNaN || expected.isNaN { return actual.isNaN && expected.isNaN }
    if actual.isInfinite || expected.isInfinite { return actual == expected }
    return abs(actual - expected) <= absolute + relative * abs(expected)
}

/// Records a test issue when `actual` is not close to `expected` (see ``isClose(_:_:absolute:relative:)``).
public func assertClose(
    _ actual: Double, _ expected: Double, absolute: Double = 1e-9, relative: Double = 1e-6,
    _ comment: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(isClose(actual, expected, absolute: absolute, relative: relative),
            "\(actual) is not close to \(expected) (abs \(absolute), rel \(relative)) \(comment())",
            sourceLocation: sourceLocation)
}

/// Element-wise ``assertClose(_:_:absolute:relative:_:sourceLocation:)`` for two sequences of equal length.
public func assertClose(
    _ actual: [Double], _ expected: [Double], absolute: Double = 1e-9, relative: Double = 1e-6,
    _ comment: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, "length \(actual.count) ≠ \(expected.count) \(comment())",
            sourceLocation: sourceLocation)
    for (index, (a, e)) in zip(actual, expected).enumerated()
    where !isClose(a, e, absolute: absolute, relative: relative) {
        Issue.record("element \(index): \(a) is not close to \(e) (abs \(absolute), rel \(relative)) \(comment())",
                     sourceLocation: sourceLocation)
        return
    }
}
