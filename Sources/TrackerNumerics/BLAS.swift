// The one door to OpenBLAS for the whole package: matrix products, the symmetric rank-k update, LAPACK's symmetric
// eigensolver, the thread setting.
import CBLAS
import Glibc
import Synchronization

/// Dense linear algebra over row-major buffers. Every BLAS call in tracker (engine and analysis) goes through here.
///
/// **Threads and determinism.** OpenBLAS splits a product among its threads, and the split (so the blocking and the
/// summation order) depends on the thread count. Measured with Debian's OpenBLAS 0.3.21: at a fixed count, sgemm
/// repeats bit for bit; between 1 and 2 threads some shapes differ in the last bits. So the thread count is part of
/// what makes a run reproducible: set it once with ``setThreadCount(_:)`` before any work (the experiment runner
/// does, and records it with the run) and results are bit-identical on the same machine for the same count.
/// Results can still differ across CPU models, because Debian's OpenBLAS picks kernels per CPU at run time.
public enum BLAS {
    /// The thread count OpenBLAS uses for the following calls (process-wide).
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Sets OpenBLAS's thread count for the whole process (clamped to at least 1). Call it before any BLAS work,
    /// not while another thread is inside a BLAS call.
    public static func setThreadCount(_ count: Int) {
        let clamped = Int32(Swift.max(1, Swift.min(count, 256)))
        // Inside another thread's single-threaded span, the count takes effect when the last span ends: changing it
        // under a worker pool's section would let its parts' calls use OpenBLAS's threads and sum differently.
        singleThreadedSpans.withLock { state in
            if state.depth > 0 { state.savedCount = clamped } else { openblas_set_num_threads(clamped) }
        }
    }

    /// Ends OpenBLAS's own worker threads, for a process whose BLAS calls all run single-threaded (a training run
    /// with its own ``WorkerPool``): from start-up, and for about 0.1 s after every threaded call, they spin on
    /// `sched_yield`, taking turns on the cores with the threads that do the work (measured: a default digits run,
    /// 0.1 s long, shared its second core with one all along). A later threaded call starts them again. Uses
    /// Debian's pthread OpenBLAS's `blas_thread_shutdown_`, looked up at run time: without it, nothing happens.
    public static func stopIdleThreads() {
        typealias Shutdown = @convention(c) () -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "blas_thread_shutdown_") else { return }
        _ = unsafeBitCast(symbol, to: Shutdown.self)()
    }

    /// Nesting depth of single-threaded spans and the thread count to restore when the last one ends.
    private static let singleThreadedSpans = Mutex<(depth: Int, savedCount: Int32)>((0, 1))

    /// Sets OpenBLAS to one thread until the matching ``endSingleThreaded()``: for code that runs its own threads
    /// (``WorkerPool``), where OpenBLAS's threads would only compete with them for the cores (and a threaded OpenBLAS
    /// call from two threads at once would share one pool). Spans nest and may overlap across threads: the first
    /// begin saves the count, the last end restores it. Costs a lock and, at the outer ends, a store.
    public static func beginSingleThreaded() {
        singleThreadedSpans.withLock { state in
            if state.depth == 0 {
                state.savedCount = openblas_get_num_threads()
                if state.savedCount != 1 { openblas_set_num_threads(1) }
            }
            state.depth += 1
        }
    }

    /// Ends a span begun by ``beginSingleThreaded()``; the last one to end restores the saved thread count.
    public static func endSingleThreaded() {
        singleThreadedSpans.withLock { state in
            precondition(state.depth > 0, "endSingleThreaded without beginSingleThreaded")
            state.depth -= 1
            if state.depth == 0 && state.savedCount != 1 { openblas_set_num_threads(state.savedCount) }
        }
    }

    /// C (m, n) = alpha · op(A) · op(B) + beta · C, all row-major single precision, through `cblas_sgemm`.
    ///
    /// op(A) is (m, k): A is stored (m, k), or (k, m) when `transposeA`. op(B) is (k, n): B is stored (k, n), or
    /// (n, k) when `transposeB`. With `beta = 0` C is overwritten (its old contents are never read, even NaN);
    /// with `beta = 1` the product accumulates into C. `lda`, `ldb`, `ldc` default to the packed strides.
    public static func gemm(
        c: UnsafeMutablePointer<Float>,
        a: UnsafePointer<Float>, transposeA: Bool,
        b: UnsafePointer<Float>, transposeB: Bool,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0,
        lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "gemm sizes must not be negative: m \(m), n \(n), k \(k)")
        precondition(m <= Int(Int32.max) && n <= Int(Int32.max) && k <= Int(Int32.max),
                     "gemm sizes exceed the 32-bit BLAS interface: m \(m), n \(n), k \(k)")
        if m == 0 || n == 0 { return }
        let lda = lda ?? (transposeA ? m : k)
        let ldb = ldb ?? (transposeB ? k : n)
        let ldc = ldc ?? n
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(Swift.max(lda, 1)), b, Int32(Swift.max(ldb, 1)),
                    beta, c, Int32(Swift.max(ldc, 1)))
    }

    /// Part `part`'s block of an (m, n) product cut into `parts`: contiguous rows when m ≥ n, else contiguous
    /// columns (sizes differing by at most one). Computing a block of rows reads all of op(B) and a block of columns
    /// all of op(A), and each part packs what it reads whole: cutting the longer side leaves the smaller operand to
    /// be packed twice.
    public static func productBlock(part: Int, of parts: Int, m: Int, n: Int) -> (rows: Range<Int>, columns: Range<Int>) {
        let longer = Swift.max(m, n)
        let share = part * longer / parts ..< (part + 1) * longer / parts
        return m >= n ? (share, 0..<n) : (0..<m, share)
    }

    /// Part `part`'s block (``productBlock(part:of:m:n:)``) of the product of
    /// ``gemm(c:a:transposeA:b:transposeB:m:n:k:alpha:beta:lda:ldb:ldc:)``, on the calling thread: the parts together
    /// compute the whole product, each value by the same sum as the whole call.
    public static func gemm(
        part: Int, of parts: Int,
        c: UnsafeMutablePointer<Float>,
        a: UnsafePointer<Float>, transposeA: Bool,
        b: UnsafePointer<Float>, transposeB: Bool,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0,
        lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
    ) {
        let (lda, ldb, ldc) = (lda ?? (transposeA ? m : k), ldb ?? (transposeB ? k : n), ldc ?? n)
        let (rows, columns) = productBlock(part: part, of: parts, m: m, n: n)
        // Row r of op(A) starts at a + r·lda stored plainly, a + r stored transposed; column j of op(B) likewise.
        gemm(c: c + rows.lowerBound * ldc + columns.lowerBound,
             a: a + rows.lowerBound * (transposeA ? 1 : lda), transposeA: transposeA,
             b: b + columns.lowerBound * (transposeB ? ldb : 1), transposeB: transposeB,
             m: rows.count, n: columns.count, k: k, alpha: alpha, beta: beta, lda: lda, ldb: ldb, ldc: ldc)
    }

    /// The upper triangle of C (n, n) = Aᵀ A for a row-major (k, n) double matrix A, through `cblas_dsyrk`.
    /// The strictly lower triangle of C is left as it was. `lda` and `ldc` default to n (packed), and let A be a
    /// block of columns of a wider matrix and C a diagonal block of a larger one.
    public static func gramUpper(c: UnsafeMutablePointer<Double>, a: UnsafePointer<Double>, n: Int, k: Int,
                                 lda: Int? = nil, ldc: Int? = nil) {
        precondition(n >= 0 && k >= 0 && n <= Int(Int32.max) && k <= Int(Int32.max), "dsyrk sizes: n \(n), k \(k)")
        if n == 0 { return }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, blasint(n), blasint(k),
                    1.0, a, blasint(Swift.max(lda ?? n, 1)), 0.0, c, blasint(Swift.max(ldc ?? n, 1)))
    }

    /// The upper triangle of C (k, k) = A Aᵀ for a row-major (k, n) double matrix A (the Gram matrix of A's rows),
    /// through `cblas_dsyrk`. The strictly lower triangle of C is left as it was.
    public static func rowGramUpper(c: UnsafeMutablePointer<Double>, a: UnsafePointer<Double>, k: Int, n: Int) {
        precondition(n >= 0 && k >= 0 && n <= Int(Int32.max) && k <= Int(Int32.max), "dsyrk sizes: n \(n), k \(k)")
        if k == 0 { return }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, blasint(k), blasint(n),
                    1.0, a, blasint(Swift.max(n, 1)), 0.0, c, blasint(Swift.max(k, 1)))
    }

    /// C (n, m) = Aᵀ B for row-major double matrices A (k, n) and B (k, m), through `cblas_dgemm` (C overwritten).
    /// `lda`, `ldb`, `ldc` default to the packed strides (n, m, m), and let A and B be blocks of columns of wider
    /// matrices and C a block of a larger one (an off-diagonal block of a Gram matrix).
    public static func crossProduct(c: UnsafeMutablePointer<Double>, a: UnsafePointer<Double>, b: UnsafePointer<Double>,
                                    n: Int, m: Int, k: Int, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil) {
        precondition(n >= 0 && m >= 0 && k >= 0 && n <= Int(Int32.max) && m <= Int(Int32.max) && k <= Int(Int32.max),
                     "dgemm sizes: n \(n), m \(m), k \(k)")
        if n == 0 || m == 0 { return }
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blasint(n), blasint(m), blasint(k),
                    1.0, a, blasint(Swift.max(lda ?? n, 1)), b, blasint(Swift.max(ldb ?? m, 1)),
                    0.0, c, blasint(Swift.max(ldc ?? m, 1)))
    }

    /// The eigenvalues of a symmetric (n, n) double matrix, ascending, through LAPACK's divide-and-conquer `dsyevd`
    /// (which OpenBLAS ships). Reads the upper triangle of the row-major `matrix` (LAPACK's lower triangle in its
    /// column-major view) and destroys it.
    ///
    /// - Parameters:
    ///   - eigenvalues: n values, written ascending.
    ///   - workspace: grown to LAPACK's optimal size on first use, then reused (no allocation afterwards).
    /// - Returns: false when LAPACK reports that the algorithm failed to converge (`info > 0`); the eigenvalues are
    ///   then undefined.
    public static func symmetricEigenvalues(matrix: UnsafeMutablePointer<Double>, n: Int,
                                            eigenvalues: UnsafeMutablePointer<Double>,
                                            workspace: EigenvalueWorkspace) -> Bool {
        precondition(n >= 0 && n <= Int(Int32.max), "dsyevd size \(n)")
        if n == 0 { return true }
        var jobz = CChar(UInt8(ascii: "N"))
        var uplo = CChar(UInt8(ascii: "L"))
        var size = blasint(n)
        var leading = blasint(n)
        var info: blasint = 0
        // Workspace query: lwork = liwork = -1 returns the optimal sizes in work[0] and iwork[0].
        if workspace.order != n {
            var query = 0.0
            var integerQuery: blasint = 0
            var minusOne: blasint = -1
            dsyevd_(&jobz, &uplo, &size, matrix, &leading, eigenvalues, &query, &minusOne, &integerQuery, &minusOne,
                    &info, 1, 1)
            workspace.reserve(real: Swift.max(Int(query), 2 * n + 1), integer: Swift.max(Int(integerQuery), 1))
            workspace.order = n
        }
        var realCount = blasint(workspace.realCapacity)
        var integerCount = blasint(workspace.integerCapacity)
        dsyevd_(&jobz, &uplo, &size, matrix, &leading, eigenvalues, workspace.real, &realCount, workspace.integer,
                &integerCount, &info, 1, 1)
        precondition(info >= 0, "dsyevd argument \(-info) is invalid")
        return info == 0
    }

    /// Σ x[i]² over `count` single-precision values, through `cblas_sdot` (vectorised; a plain Swift loop cannot
    /// reorder float additions and runs at one add per few cycles). The order is OpenBLAS's, fixed for a given
    /// thread count and CPU, so the result is reproducible like every other product here.
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Float {
        precondition(count >= 0 && count <= Int(Int32.max), "sdot size \(count)")
        if count == 0 { return 0 }
        return cblas_sdot(Int32(count), x, 1, x, 1)
    }

    /// The same product as ``gemm(c:a:transposeA:b:transposeB:m:n:k:alpha:beta:lda:ldb:ldc:)`` (packed strides)
    /// by three plain loops, summed in Double; the reference the tests check OpenBLAS against. Never use it in training.
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

/// LAPACK's scratch memory for ``BLAS/symmetricEigenvalues(matrix:n:eigenvalues:workspace:)``, kept between calls.
/// Not thread-safe: one per thread.
public final class EigenvalueWorkspace {
    /// The order the sizes were last queried for.
    var order = -1
    private(set) var real: UnsafeMutablePointer<Double> = .allocate(capacity: 1)
    private(set) var realCapacity = 1
    private(set) var integer: UnsafeMutablePointer<blasint> = .allocate(capacity: 1)
    private(set) var integerCapacity = 1

    public init() {}

    deinit {
        real.deallocate()
        integer.deallocate()
    }

    func reserve(real realCount: Int, integer integerCount: Int) {
        if realCount > realCapacity {
            real.deallocate()
            real = .allocate(capacity: realCount)
            realCapacity = realCount
        }
        if integerCount > integerCapacity {
            integer.deallocate()
            integer = .allocate(capacity: integerCount)
            integerCapacity = integerCount
        }
    }
}
