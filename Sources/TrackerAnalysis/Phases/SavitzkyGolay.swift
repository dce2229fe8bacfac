// SavitzkyGolay: least-squares polynomial smoothing of equally spaced samples, as scipy.signal.savgol_filter.

/// Savitzky–Golay smoothing: each output is the value of a polynomial fitted by least squares to a window of
/// equally spaced samples.
///
/// A zero-phase filter (the window is centred, so a symmetric bump keeps its position), unlike an EMA, which
/// lags. It preserves polynomials of degree ≤ `order` exactly. Results agree with
/// `scipy.signal.savgol_coeffs` and `scipy.signal.savgol_filter(mode="interp")` to about 1e-15
/// (tests: 1e-12, fixtures from scripts/make_phase_fixtures.py).
public enum SavitzkyGolay {
    /// Weights w_j, j = 0..<window, such that Σ_j w_j y_j is the value at sample `position` of the degree-`order`
    /// least-squares polynomial through the points (j, y_j).
    ///
    /// - Formula: w = V (VᵀV)⁻¹ φ(position), V_jq = t_j^q, t_j = (j − c)/max(c, 1), c = (window − 1)/2 (centred
    ///   and scaled so that VᵀV stays well conditioned); φ(p)_q = t_p^q. The same as
    ///   `scipy.signal.savgol_coeffs(window, order, pos=position, use="dot")`; for `position = window / 2`
    ///   (the default) the weights are symmetric and equal `savgol_coeffs(window, order)`.
    /// - Returns: `window` dimensionless weights summing to 1 (up to rounding).
    /// - Precondition: 0 ≤ order < window, 0 ≤ position < window.
    public static func coefficients(window: Int, order: Int, position: Int? = nil) -> [Double] {
        let position = position ?? window / 2
        precondition(order >= 0 && order < window, "Savitzky–Golay needs 0 ≤ order < window")
        precondition(position >= 0 && position < window, "Savitzky–Golay evaluation position outside the window")
        let size = order + 1
        let centre = Double(window - 1) / 2
        let scale = max(centre, 1)
        func scaled(_ j: Int) -> Double { (Double(j) - centre) / scale }

        // Normal equations G a = φ(position), G_qr = Σ_j t_j^(q+r): (size, size), solved with partial pivoting.
        var powerSums = [Double](repeating: 0, count: 2 * order + 1)
        for j in 0..<window {
            let t = scaled(j)
            var power = 1.0
            for degree in 0...(2 * order) {
                powerSums[degree] += power
                power *= t
            }
        }
        var matrix = [Double](repeating: 0, count: size * size)  // (size, size) row-major
        for q in 0..<size { for r in 0..<size { matrix[q * size + r] = powerSums[q + r] } }
        var solution = powers(of: scaled(position), through: order)
        solveInPlace(matrix: &matrix, rightHandSide: &solution, size: size)

        return (0..<window).map { j in
            let t = scaled(j)
            var value = 0.0
            var power = 1.0
            for q in 0..<size {
                value += solution[q] * power
                power *= t
            }
            return value
        }
    }

    /// Smooths equally spaced samples with a centred window, fitting the edges like scipy's `mode="interp"`.
    ///
    /// - Formula: for i in h..<(n − h), h = window / 2: sᵢ = Σ_j c_j y_{i−h+j} with c the centred
    ///   ``coefficients(window:order:position:)``. The first h outputs are the least-squares polynomial of the
    ///   first `window` samples evaluated at positions 0..<h; the last h likewise with the last `window`
    ///   samples. Same as `scipy.signal.savgol_filter(values, window, order, mode="interp")`.
    /// - Cost: O(n · window) plus O(window² · order) for the edge weights; three arrays allocated.
    /// - Precondition: window odd, 0 ≤ order < window ≤ values.count.
    public static func filter(_ values: [Double], window: Int, order: Int) -> [Double] {
        let count = values.count
        precondition(window % 2 == 1, "Savitzky–Golay window must be odd")
        precondition(order >= 0 && order < window && window <= count,
                     "Savitzky–Golay needs 0 ≤ order < window ≤ number of samples")
        let half = window / 2
        var smoothed = [Double](repeating: 0, count: count)
        let centred = coefficients(window: window, order: order)
        values.withUnsafeBufferPointer { y in
            centred.withUnsafeBufferPointer { c in
                for i in half..<(count - half) {
                    var sum = 0.0
                    for j in 0..<window { sum += c[j] * y[i - half + j] }
                    smoothed[i] = sum
                }
            }
            for position in 0..<half {
                let edge = coefficients(window: window, order: order, position: position)
                var head = 0.0
                var tail = 0.0
                // The fit over the last window evaluated at window − 1 − position is, by symmetry, the fit over
                // the reversed last window evaluated at position.
                for j in 0..<window {
                    head += edge[j] * y[j]
                    tail += edge[j] * y[count - 1 - j]
                }
                smoothed[position] = head
                smoothed[count - 1 - position] = tail
            }
        }
        return smoothed
    }

    /// [1, t, t², …, t^order].
    private static func powers(of t: Double, through order: Int) -> [Double] {
        var result = [Double](repeating: 1, count: order + 1)
        for degree in stride(from: 1, through: order, by: 1) { result[degree] = result[degree - 1] * t }
        return result
    }

    /// Solves the (size, size) row-major system by Gaussian elimination with partial pivoting; the solution
    /// replaces `rightHandSide`. Sizes here are order + 1 ≤ a handful, so this is exact to rounding.
    private static func solveInPlace(matrix: inout [Double], rightHandSide: inout [Double], size: Int) {
        for column in 0..<size {
            var pivot = column
            for row in (column + 1)..<size where abs(matrix[row * size + column]) > abs(matrix[pivot * size + column]) {
                pivot = row
            }
            if pivot != column {
                for k in 0..<size { matrix.swapAt(column * size + k, pivot * size + k) }
                rightHandSide.swapAt(column, pivot)
            }
            let diagonal = matrix[column * size + column]
            precondition(diagonal != 0, "singular Savitzky–Golay normal equations")
            for row in (column + 1)..<size {
                let factor = matrix[row * size + column] / diagonal
                if factor == 0 { continue }
                for k in column..<size { matrix[row * size + k] -= factor * matrix[column * size + k] }
                rightHandSide[row] -= factor * rightHandSide[column]
            }
        }
        for row in stride(from: size - 1, through: 0, by: -1) {
            var sum = rightHandSide[row]
            for k in (row + 1)..<size { sum -= matrix[row * size + k] * rightHandSide[k] }
            rightHandSide[row] = sum / matrix[row * size + row]
        }
    }
}
