// OpenBLAS wrapper against the naive reference gemm, for every transpose combination.
import Testing
import TrackerEngine
import TrackerNumerics
import TrackerTestSupport

@Suite("BLAS")
struct BLASTests {
    /// Float products of k = 9 terms of size ≤ 1: OpenBLAS and the Double reference differ by a few Float ulps,
    /// so 1e-5 absolute + 1e-5 relative is tight yet safe.
    @Test("gemm matches the reference", arguments: [(false, false), (false, true), (true, false), (true, true)])
    func gemmMatchesReference(transposeA: Bool, transposeB: Bool) {
        let (m, n, k) = (5, 7, 9)
        var generator = SeededGenerator(seed: 3)
        let a = uniformFloats(m * k, generator: &generator)
        let b = uniformFloats(k * n, generator: &generator)
        let start = uniformFloats(m * n, generator: &generator)
        for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-2, 0.25)] {
            var actual = start
            var expected = start
            BLAS.gemm(c: &actual, a: a, transposeA: transposeA, b: b, transposeB: transposeB,
                      m: m, n: n, k: k, alpha: alpha, beta: beta)
            BLAS.referenceGemm(c: &expected, a: a, transposeA: transposeA, b: b, transposeB: transposeB,
                               m: m, n: n, k: k, alpha: alpha, beta: beta)
            assertClose(actual.map(Double.init), expected.map(Double.init), absolute: 1e-5, relative: 1e-5,
                        "alpha \(alpha) beta \(beta)")
        }
    }

    @Test("the parts of a product cover it once and match the reference, for every transpose combination",
          arguments: [(false, false), (false, true), (true, false), (true, true)])
    func productInParts(transposeA: Bool, transposeB: Bool) {
        var generator = SeededGenerator(seed: 4)
        // Tall (rows are cut) and wide (columns are cut), in 1 to 4 parts, some of them empty.
        for (m, n, k) in [(7, 3, 5), (3, 7, 5), (2, 9, 4)] {
            let a = uniformFloats(m * k, generator: &generator)
            let b = uniformFloats(k * n, generator: &generator)
            var expected = [Float](repeating: 0, count: m * n)
            BLAS.referenceGemm(c: &expected, a: a, transposeA: transposeA, b: b, transposeB: transposeB,
                               m: m, n: n, k: k)
            for parts in 1...4 {
                var actual = [Float](repeating: .nan, count: m * n)
                var cells = 0
                for part in 0..<parts {
                    let block = BLAS.productBlock(part: part, of: parts, m: m, n: n)
                    cells += block.rows.count * block.columns.count
                    #expect(m >= n ? block.columns == 0..<n : block.rows == 0..<m)
                    BLAS.gemm(part: part, of: parts, c: &actual, a: a, transposeA: transposeA, b: b,
                              transposeB: transposeB, m: m, n: n, k: k)
                }
                #expect(cells == m * n)
                assertClose(actual.map(Double.init), expected.map(Double.init), absolute: 1e-5, relative: 1e-5,
                            "\(m)×\(n)×\(k) in \(parts) parts")
            }
        }
    }

    @Test("reference gemm computes a hand-checked product")
    func referenceByHand() {
        // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
        var c: [Float] = [0, 0, 0, 0]
        BLAS.referenceGemm(c: &c, a: [1, 2, 3, 4], transposeA: false, b: [5, 6, 7, 8], transposeB: false,
                           m: 2, n: 2, k: 2)
        #expect(c == [19, 22, 43, 50])
        // Aᵀ · B with A = [1 2; 3 4]: [1 3; 2 4] · [5 6; 7 8] = [26 30; 38 44]
        BLAS.gemm(c: &c, a: [1, 2, 3, 4], transposeA: true, b: [5, 6, 7, 8], transposeB: false, m: 2, n: 2, k: 2)
        #expect(c == [26, 30, 38, 44])
    }

    @Test("beta 0 ignores NaN in C; an empty product leaves C alone")
    func betaZeroAndEmpty() {
        var c: [Float] = [.nan, .nan]
        BLAS.gemm(c: &c, a: [1, 2], transposeA: false, b: [3, 4], transposeB: false, m: 1, n: 2, k: 1)
        #expect(c == [3, 4])
        var untouched: [Float] = [7]
        BLAS.gemm(c: &untouched, a: [1], transposeA: false, b: [1], transposeB: false, m: 0, n: 1, k: 1)
        #expect(untouched == [7])
    }
}
