// The one door to OpenBLAS: row-major single-precision matrix products, plus a naive reference for tests.
import CBLAS

/// Matrix products over row-major `Float` buffers. Every matrix product in TrackerEngine goes through ``gemm(c:a:transposeA:b:transposeB:m:n:k:alpha:beta:)``.
public enum BLAS {
    /// OpenBLAS runs on one thread.
    ///
    /// Determinism: OpenBLAS's threaded sgemm splits the output among threads and each element is still summed by
    /// one thread, but the split (and with it the blocking, so the summation order) depends on the thread count,
    /// which OpenBLAS picks from the core count and `OPENBLAS_NUM_THREADS`. Pinning one thread makes results
    /// independent of the environment and of load; for the small matrices trained here threads buy little on a
    /// shared 2-core machine anyway. Results can still differ in the last bits across CPU models, because
    /// Debian's OpenBLAS picks its kernels per CPU at run time (DYNAMIC_ARCH): bit-identical means same machine.
    /// This is process-wide (it also affects other modules' BLAS calls); it is applied once, lazily, on first use.
    public static func useSingleThread() { _ = singleThreadSetup }

    private static let singleThreadSetup: Void = { openblas_set_num_threads(1) }()

    /// C (m, n) = alpha · op(A) · op(B) + beta · C, all row-major, through `cblas_sgemm`.
    ///
    /// op(A) is (m, k): A is stored (m, k), or (k, m) when `transposeA`. op(B) is (k, n): B is stored (k, n), or
    /// (n, k) when `transposeB`. With `beta = 0` C is overwritten (its old contents are never read, even NaN);
    /// with `beta = 1` the product accumulates into C.
    public static func gemm(
        c: UnsafeMutablePointer<Float>,
        a: UnsafePointer<Float>, transposeA: Bool,
        b: UnsafePointer<Float>, transposeB: Bool,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "gemm sizes must not be negative: m \(m), n \(n), k \(k)")
        precondition(m <= Int(Int32.max) && n <= Int(Int32.max) && k <= Int(Int32.max),
                     "gemm sizes exceed the 32-bit BLAS interface: m \(m), n \(n), k \(k)")
        if m == 0 || n == 0 { return }
        useSingleThread()
        let lda = transposeA ? m : k
        let ldb = transposeB ? k : n
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(Swift.max(lda, 1)), b, Int32(Swift.max(ldb, 1)),
                    beta, c, Int32(Swift.max(n, 1)))
    }

    /// The same product as ``gemm(c:a:transposeA:b:transposeB:m:n:k:alpha:beta:)`` by three plain loops,
    /// summed in Double; the reference the tests check OpenBLAS against. Slow: never use it in training.
    public static func referenceGemm(
        c: UnsafeMutablePointer<Float>,
        a: UnsafePointer<Float>, transposeA: Bool,
        b: UnsafePointer<Float>, transposeB: Bool,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0
    ) {
        for row in 0..<m {
            for column in 0..<n {
                var sum = 0.0
                for inner in 0..<k {
                    let aValue = transposeA ? a[inner * m + row] : a[row * k + inner]
                    let bValue = transposeB ? b[column * k + inner] : b[inner * n + column]
                    sum += Double(aValue) * Double(bValue)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c[row * n + column])
                c[row * n + column] = Float(Double(alpha) * sum + old)
            }
        }
    }
}
