// A fixed set of persistent worker threads that run one parallel section at a time without allocating.
import Dispatch
import Foundation
import Synchronization

/// Runs a section of work as `threadCount` parts at once: part 0 on the calling thread, part i on worker thread i.
///
/// Made for the training step, which must not allocate: the threads are created once in `init`; ``run(_:)`` hands
/// them a pointer to a ``ParallelWork`` value on its stack and waits for them, with no heap allocation.
/// (`DispatchQueue.concurrentPerform` allocates a few blocks per call, and so would a closure body in debug builds,
/// through its reabstraction thunk.)
///
/// **Waiting.** Between sections a worker, and the caller while the workers finish, first spin on an atomic for
/// ``spinDuration``, then keep checking it between `sched_yield` calls (which let any other runnable thread have the
/// core) until ``yieldDuration`` has passed, and only then sleep on a semaphore. Waking a sleeping thread costs
/// 5–15 µs on a busy machine but 70–110 µs on this idle 2-vCPU virtual machine, whose idle vCPU halts (tracker-bench
/// `worker_pool`), a few percent of a millisecond training step per section. With these limits the workers stay
/// awake through a training run's steps (a step's serial parts, between its last and the next step's first
/// section, take well under 2 ms) and sleep between snapshots of a run whose steps are all too small to split.
/// (OpenBLAS's own threads do the same, for about 0.1 s.)
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
    /// Sections run on the workers so far (sections left on the calling thread do not count). Read it from the
    /// thread that calls ``run(_:)``: a caller learns whether some work of its own was large enough to split.
    public private(set) var sectionCount = 0

    /// The default ``minimumWork``, 2²² multiply-adds (about 0.1–0.2 ms on one core). A section whose workers spin
    /// costs about a microsecond, but waking a sleeping worker 5–15 µs on a busy machine and 70–110 µs on an idle
    /// virtual one, and on a busy machine a worker that loses its core holds up the whole section for up to a
    /// scheduler time slice (measured: the default digits run's probe passes, split at 2²⁰, took 1.7 ms instead of
    /// 0.2 ms under load). Only work well above those costs is split.
    public static let defaultMinimumWork = 1 << 22

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
        shared.waitForWorkers()
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
        sectionCount &+= 1
        BLAS.beginSingleThreaded()
        defer { BLAS.endSingleThreaded() }
        // The workers reach `work` through a pointer to this frame's copy and its type: a closure stored in a
        // property, or an existential of a large struct, would allocate.
        withUnsafePointer(to: work) { pointer in
            shared.work = UnsafeRawPointer(pointer)
            shared.workType = Work.self
            shared.start()
            pointer.pointee.run(part: 0)
            shared.waitForWorkers()
            shared.work = nil
            shared.workType = nil
        }
    }

    /// How long a thread spins for the next section (a worker) or for the workers to finish (the caller), before
    /// it yields: 50 µs.
    public static let spinDuration = Duration.microseconds(50)
    /// How long, from the start of its wait, a thread keeps checking between yields before it sleeps: 2 ms.
    public static let yieldDuration = Duration.milliseconds(2)

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

    /// What the workers share with the pool. A section starts when the pool bumps `generation` (after setting
    /// `work`, `workType` and zeroing `finishedCount`; the bump releases them) and ends when `finishedCount` reaches
    /// `workerCount` (each worker's increment releases what its part wrote).
    fileprivate final class SharedState: @unchecked Sendable {
        let workerCount: Int
        let generation = Atomic<Int>(0)
        let finishedCount = Atomic<Int>(0)
        /// Where each worker sleeps, and where the pool sleeps while waiting for them.
        let workerWaits: [SpinThenSleep]
        let poolWait = SpinThenSleep()
        /// The current section's work and its type; set only while the workers run it.
        var work: UnsafeRawPointer?
        var workType: (any ParallelWork.Type)?
        var stopping = false

        init(workerCount: Int) {
            self.workerCount = workerCount
            workerWaits = (0..<workerCount).map { _ in SpinThenSleep() }
        }

        /// Starts a section (or, with `stopping` set, the workers' exit).
        func start() {
            finishedCount.store(0, ordering: .relaxed)
            generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
            // By index: in debug builds, iterating an array of class instances allocates an iterator.
            for worker in 0..<workerCount { workerWaits[worker].wake() }
        }

        /// Returns when every worker has reported (finished its part, or started up).
        func waitForWorkers() {
            poolWait.wait { finishedCount.load(ordering: .acquiring) == workerCount }
        }

        /// Worker `worker`'s loop: report ready, then wait for a section, run part worker + 1, report, until stopped.
        func serve(worker: Int) {
            var seen = generation.load(ordering: .acquiring)
            report()
            while true {
                workerWaits[worker].wait { generation.load(ordering: .acquiring) != seen }
                seen = generation.load(ordering: .acquiring)
                if stopping { return }
                workType!.run(at: work!, part: worker + 1)
                report()
            }
        }

        private func report() {
            if finishedCount.wrappingAdd(1, ordering: .sequentiallyConsistent).newValue == workerCount {
                poolWait.wake()
            }
        }

        func stop() {
            stopping = true
            start()
        }
    }
}

/// One thread's wait for a condition that another thread makes true: spin for ``WorkerPool/spinDuration``, check
/// between yields until ``WorkerPool/yieldDuration``, then sleep on a semaphore. The waker makes the condition true, then calls ``wake()``, which signals only a sleeper. The
/// sleeper announces itself in `sleeping` and checks the condition again before sleeping, with sequentially
/// consistent operations on both sides, so a wake-up is never lost and never left over.
fileprivate final class SpinThenSleep: Sendable {
    private let sleeping = Atomic<Bool>(false)
    private let semaphore = DispatchSemaphore(value: 0)

    func wait(until condition: () -> Bool) {
        if condition() { return }
        let start = ContinuousClock.now
        let (spinUntil, yieldUntil) = (start.advanced(by: WorkerPool.spinDuration),
                                       start.advanced(by: WorkerPool.yieldDuration))
        var spins = 0
        while !condition() {
            spins += 1
            if spins & 63 == 0 && ContinuousClock.now >= spinUntil { break }
        }
        while !condition() && ContinuousClock.now < yieldUntil { sched_yield() }
        while !condition() {
            sleeping.store(true, ordering: .sequentiallyConsistent)
            atomicMemoryFence(ordering: .sequentiallyConsistent)
            if condition() {
                // Awake after all; if a waker already cleared the flag, its signal is on the way: take it.
                if !sleeping.exchange(false, ordering: .sequentiallyConsistent) { semaphore.wait() }
                return
            }
            semaphore.wait()
        }
    }

    func wake() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if sleeping.exchange(false, ordering: .sequentiallyConsistent) { semaphore.signal() }
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
