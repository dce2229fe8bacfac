// A fixed set of persistent worker threads that run one parallel section at a time without allocating.
import Dispatch
import Foundation

/// Runs a section of work as `threadCount` parts at once: part 0 on the calling thread, part i on worker thread i.
///
/// Made for the training step, which must not allocate: the threads are created once in `init` and wait on their own
/// semaphore between sections; ``run(_:)`` hands them a pointer to a ``ParallelWork`` value on its stack, signals
/// them and waits, with no heap allocation. (`DispatchQueue.concurrentPerform` allocates a few blocks per call, and
/// so would a closure body in debug builds, through its reabstraction thunk.)
///
/// **BLAS inside a section.** OpenBLAS's thread count is process-wide, and a multi-threaded OpenBLAS call from two
/// threads at once would share its thread pool. So ``run(_:)`` runs in a ``BLAS/beginSingleThreaded()`` span: each
/// part calls single-threaded BLAS, which Debian's pthread OpenBLAS (0.3.21) supports from several threads at once
/// (its buffer allocator is locked).
///
/// **Determinism.** Parts are fixed by their index, never handed out on demand, so a caller that gives part i a
/// fixed share of the work and combines the parts' results in index order gets the same bits on every run with the
/// same thread count.
///
/// Use from one thread at a time; a part must not call ``run(_:)`` again.
public final class WorkerPool: @unchecked Sendable {
    /// Parts of every section: the calling thread plus `threadCount − 1` workers.
    public let threadCount: Int
    /// Work below this many multiply-adds stays on the calling thread (see ``shouldSplit(work:)``).
    public let minimumWork: Int
    private let shared: SharedState
    private var threads: [pthread_t] = []

    /// The default ``minimumWork``, 2²⁰ multiply-adds (about 50 µs on one core): a section costs about 15 µs of
    /// waking and joining (tracker-bench's `worker_pool`, on a busy shared 2-core VM), so splitting pays only well
    /// above that. (OpenBLAS threads products from 2¹⁸; the default digits MLP's layers are exactly that size, and
    /// run faster unsplit.)
    public static let defaultMinimumWork = 1 << 20

    /// Starts `threadCount − 1` worker threads (none for 1). `threadCount` must be in 1...256; `minimumWork` ≥ 0
    /// (0 splits everything, for tests).
    public init(threadCount: Int, minimumWork: Int = WorkerPool.defaultMinimumWork) {
        precondition((1...256).contains(threadCount), "a worker pool needs 1 to 256 threads, got \(threadCount)")
        precondition(minimumWork >= 0, "minimum work must not be negative, got \(minimumWork)")
        self.threadCount = threadCount
        self.minimumWork = minimumWork
        shared = SharedState(workerCount: threadCount - 1)
        for worker in 0..<(threadCount - 1) {
            let start = Unmanaged.passRetained(WorkerStart(shared: shared, worker: worker)).toOpaque()
            var thread = pthread_t()
            let result = pthread_create(&thread, nil, { context in
                let start = Unmanaged<WorkerStart>.fromOpaque(context!).takeRetainedValue()
                start.shared.serve(worker: start.worker)
                return nil
            }, start)
            precondition(result == 0, "cannot start a worker thread (pthread_create error \(result))")
            threads.append(thread)
        }
        // Wait until every worker waits for work, so that nothing of their start-up (which allocates) overlaps the
        // caller's first sections.
        for _ in threads { shared.finished.wait() }
    }

    /// Stops the workers and waits for them to exit, so none outlives the pool (or allocates while exiting later).
    deinit {
        shared.stop()
        for thread in threads { pthread_join(thread, nil) }
    }

    /// Calls `work.run(part:)` for every part in 0..<threadCount, at the same time on different threads, and returns
    /// when all calls have returned. Each part runs with single-threaded OpenBLAS. With one thread it just runs part 0.
    public func run<Work: ParallelWork>(_ work: Work) {
        if threadCount == 1 {
            work.run(part: 0)
            return
        }
        BLAS.beginSingleThreaded()
        defer { BLAS.endSingleThreaded() }
        // The workers reach `work` through a pointer to this frame's copy and its type: a closure stored in a
        // property, or an existential of a large struct, would allocate.
        withUnsafePointer(to: work) { pointer in
            shared.work = UnsafeRawPointer(pointer)
            shared.workType = Work.self
            for worker in 0..<shared.workerCount { shared.start[worker].signal() }
            pointer.pointee.run(part: 0)
            for _ in 0..<shared.workerCount { shared.finished.wait() }
            shared.work = nil
            shared.workType = nil
        }
    }

    /// Whether a section of about `work` multiply-adds is worth running on the workers: more than one thread and at
    /// least ``minimumWork``. A function of its arguments only, so the same pass splits the same way on every run.
    @inlinable
    public func shouldSplit(work: Int) -> Bool { threadCount > 1 && work >= minimumWork }

    /// Part `part`'s share of `count` items when they are cut into ``threadCount`` contiguous slices whose sizes
    /// differ by at most one: ⌊part·count / N⌋ ..< ⌊(part + 1)·count / N⌋ (empty when count < N for some parts).
    @inlinable
    public func partRange(_ part: Int, of count: Int) -> Range<Int> {
        Self.partRange(part, of: count, parts: threadCount)
    }

    /// Part `part`'s share of `count` items cut into `parts` contiguous slices: ⌊part·count / parts⌋ ..<
    /// ⌊(part + 1)·count / parts⌋.
    @inlinable
    public static func partRange(_ part: Int, of count: Int, parts: Int) -> Range<Int> {
        part * count / parts ..< (part + 1) * count / parts
    }

    /// What the workers share with the pool. The semaphores order every access to `job` and `stopping`: a worker
    /// reads them only after its start signal, and the pool writes them only while every worker waits.
    fileprivate final class SharedState: @unchecked Sendable {
        let workerCount: Int
        let start: [DispatchSemaphore]
        let finished = DispatchSemaphore(value: 0)
        /// The current section's work and its type; set only while the workers run it.
        var work: UnsafeRawPointer?
        var workType: (any ParallelWork.Type)?
        var stopping = false

        init(workerCount: Int) {
            self.workerCount = workerCount
            start = (0..<workerCount).map { _ in DispatchSemaphore(value: 0) }
        }

        /// Worker `worker`'s loop: report ready, then wait for a section, run part worker + 1, report, until stopped.
        func serve(worker: Int) {
            finished.signal()
            while true {
                start[worker].wait()
                if stopping { return }
                workType!.run(at: work!, part: worker + 1)
                finished.signal()
            }
        }

        func stop() {
            stopping = true
            for semaphore in start { semaphore.signal() }
        }
    }
}

/// What a new worker thread needs: the pool's shared state and its index.
private final class WorkerStart {
    let shared: WorkerPool.SharedState
    let worker: Int

    init(shared: WorkerPool.SharedState, worker: Int) {
        self.shared = shared
        self.worker = worker
    }
}

/// Work cut into parts that can run at the same time on different threads, for ``WorkerPool/run(_:)``: a small
/// struct holding the pointers and sizes of one section.
public protocol ParallelWork {
    /// Does part `part` (0 ..< the pool's thread count). Parts must write to disjoint memory.
    func run(part: Int)
}

extension ParallelWork {
    /// Runs part `part` of the work of this type at `pointer`.
    fileprivate static func run(at pointer: UnsafeRawPointer, part: Int) {
        pointer.assumingMemoryBound(to: Self.self).pointee.run(part: part)
    }
}
