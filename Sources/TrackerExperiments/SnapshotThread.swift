// SnapshotThread: a snapshot's statistics computed on a core the training leaves idle, while training goes on.
import Dispatch
import Foundation
import Synchronization
import TrackerAnalysis
import TrackerEngine
import TrackerNumerics

/// Computes the statistics of one snapshot at a time on a thread of its own.
///
/// The training thread hands over a copy of the network's parameters with ``submit(_:bytes:)``; this thread runs the
/// probe forward pass on a network of its own with those parameters, then the statistics (the correlation matrices and everything computed from them) are computed
/// here, in the order handed over, while training goes on, and collected in that order (``collectFinished()`` at
/// each snapshot, ``collectOldest()`` when the outstanding ones hold ``capacityBytes`` and when the run ends). The
/// workspace belongs to this thread from the first `submit` on. It computes without a worker pool (a pool serves
/// one caller at a time); the results are the ones the caller would get from the same workspace, since the
/// statistics of a snapshot depend only on its activations and the series' earlier snapshots (CKA), which come in
/// the same order. The run decides when to use it (see ``ExperimentRunner``): only when its training steps leave a
/// core idle.
final class SnapshotThread: @unchecked Sendable {
    /// One snapshot's inputs: the network's parameters at that step (the thread runs the probe forward pass on a
    /// copy of the network of its own).
    struct Job {
        var step: Int
        var parameters: [Float]
        var keepsMatrices: Bool
        /// The probe activations when the training thread already took them (then `parameters` is not used).
        var activations: [ProbeActivations]? = nil
    }

    /// One snapshot's results, in the order of ``Trainer/probeActivations(_:)``.
    struct Results {
        var job: Job
        var activations: [ProbeActivations]
        var values: [SnapshotStatisticValues]
        /// The strict upper triangle of each matrix when the job keeps matrices.
        var upperTriangles: [[Float]?]
        /// Seconds the statistics took on this thread.
        var seconds: Double
    }

    /// The probe activations held by snapshots handed over and not yet collected, at most (one snapshot is always
    /// let in): 64 MiB, 256 digits-run snapshots of 256 KiB (early in a run, log-spaced snapshots come every step or
    /// two, faster than this thread computes them), or 18 of a time-pooled rnn128's 3.5 MiB.
    static let capacityBytes = 64 << 20

    private let workspace: StatisticsWorkspace
    /// The thread's copy of the network (one thread, no workers), its parameters replaced at every job.
    private let prober: Trainer
    private let probe: Dataset
    /// The class of each row of an activation matrix with this many rows (empty: no labels).
    private let rowLabels: (Int) -> [Int32]
    private var labelsByRows: [Int: [Int32]] = [:]
    /// Signalled once per job handed over (and once to stop).
    private let jobsWaiting = DispatchSemaphore(value: 0)
    /// Signalled once per job whose results are ready (and once when the thread has stopped).
    private let resultsReady = DispatchSemaphore(value: 0)
    /// Jobs not yet started, and results not yet collected, oldest first; the thread works through jobs in order.
    private let queues = Mutex<(jobs: [Job], results: [Results])>(([], []))
    /// Jobs handed over and not yet collected, and the bytes of their activations (the caller's counts).
    private(set) var outstanding = 0
    private var outstandingBytes: [Int] = []
    private var running = false

    /// A thread that probes with `prober` (a trainer of the run's architecture on one thread, whose parameters it
    /// overwrites) on `probe`, and computes with `workspace` (whose ``StatisticsWorkspace/workers`` must be nil).
    init(workspace: StatisticsWorkspace, prober: Trainer, probe: Dataset, rowLabels: @escaping (Int) -> [Int32]) {
        precondition(workspace.workers == nil && prober.network.workers == nil,
                     "a snapshot thread computes without a worker pool")
        self.workspace = workspace
        self.prober = prober
        self.probe = probe
        self.rowLabels = rowLabels
        let thread = Thread { [unowned self] in self.serve() }
        thread.name = "tracker snapshots"
        running = true
        thread.start()
    }

    deinit {
        stop()
    }

    /// The bytes a job holds while it waits: its parameters, and the activations it will make.
    static func bytes(parameters: Int, activations: [ProbeActivations]) -> Int {
        (parameters + activations.reduce(0) { $0 + $1.values.count }) * MemoryLayout<Float>.stride
    }

    /// Whether a job of `bytes` can be handed over without collecting first.
    func hasRoom(for bytes: Int) -> Bool {
        outstanding == 0 || outstandingBytes.reduce(0, +) + bytes <= Self.capacityBytes
    }

    /// Hands a snapshot over (``hasRoom(for:)`` must be true for its activations).
    func submit(_ job: Job, bytes: Int) {
        precondition(hasRoom(for: bytes), "collect snapshots before submitting more than \(Self.capacityBytes) bytes")
        queues.withLock { $0.jobs.append(job) }
        outstanding += 1
        outstandingBytes.append(bytes)
        jobsWaiting.signal()
    }

    /// The results of the oldest outstanding snapshot, waiting for them; nil when none is outstanding.
    func collectOldest() -> Results? {
        guard outstanding > 0 else { return nil }
        resultsReady.wait()
        outstanding -= 1
        outstandingBytes.removeFirst()
        return queues.withLock { $0.results.removeFirst() }
    }

    /// The results of every snapshot already computed, oldest first, without waiting.
    func collectFinished() -> [Results] {
        var collected: [Results] = []
        while outstanding > 0, resultsReady.wait(timeout: .now()) == .success {
            outstanding -= 1
            outstandingBytes.removeFirst()
            collected.append(queues.withLock { $0.results.removeFirst() })
        }
        return collected
    }

    /// Ends the thread after the jobs handed over (results not collected are dropped).
    func stop() {
        guard running else { return }
        while collectOldest() != nil {}
        running = false
        jobsWaiting.signal()
        resultsReady.wait()
    }

    /// Linux's SCHED_BATCH policy for the calling thread: the scheduler treats it as CPU-bound background work and
    /// does not let it preempt the thread that wakes it. Without it, handing a snapshot over could stop the training
    /// thread on its core for as long as the snapshot took, until the scheduler moved one of them to the idle core.
    /// Measured on the default run, 7 sessions of 11–25 alternating runs: medians of its snapshot share of 4.0–5.2 %
    /// with it; without, 4.8–5.2 % in three sessions and 7.6–9.7 % in the other four; wall time no worse. Elsewhere,
    /// and if refused, nothing changes.
    private static func runAsBatchWork() {
        #if os(Linux)
        let batchPolicy: Int32 = 3  // SCHED_BATCH, which <sched.h> defines only under _GNU_SOURCE
        var parameters = sched_param()
        _ = sched_setscheduler(0, batchPolicy, &parameters)
        #endif
    }

    private func serve() {
        Self.runAsBatchWork()
        while true {
            jobsWaiting.wait()
            let next: Job? = queues.withLock { state in state.jobs.isEmpty ? nil : state.jobs.removeFirst() }
            guard let job = next else {
                // Woken without a job: only ``stop()`` does that.
                resultsReady.signal()
                return
            }
            let clock = ContinuousClock()
            let start = clock.now
            // OpenBLAS on one thread here: the training thread keeps calling it, and a threaded call from two
            // threads at once would share one pool.
            BLAS.beginSingleThreaded()
            let probed = job.activations ?? {
                job.parameters.withUnsafeBufferPointer { source in
                    _ = prober.network.parameters.update(fromContentsOf: source)
                }
                return prober.probeActivations(probe)
            }()
            var values: [SnapshotStatisticValues] = []
            var triangles: [[Float]?] = []
            values.reserveCapacity(probed.count)
            triangles.reserveCapacity(probed.count)
            for (index, activations) in probed.enumerated() {
                let labels = labelsByRows[activations.samples] ?? {
                    let labels = rowLabels(activations.samples)
                    labelsByRows[activations.samples] = labels
                    return labels
                }()
                let computed = activations.values.withUnsafeBufferPointer { buffer in
                    labels.withUnsafeBufferPointer { labels in
                        workspace.compute(buffer, samples: activations.samples, units: activations.units,
                                          labels: labels.isEmpty ? nil : labels, series: index)
                    }
                }
                values.append(computed)
                triangles.append(job.keepsMatrices ? workspace.lastUpperTriangle() : nil)
            }
            BLAS.endSingleThreaded()
            let elapsed = clock.now - start
            let results = Results(job: job, activations: probed, values: values, upperTriangles: triangles,
                                  seconds: Double(elapsed.components.seconds)
                                      + Double(elapsed.components.attoseconds) * 1e-18)
            queues.withLock { $0.results.append(results) }
            resultsReady.signal()
        }
    }
}
