// SnapshotThread: a snapshot's statistics computed on a core the training leaves idle, while training goes on.
import Dispatch
import Foundation
import Synchronization
import TrackerAnalysis
import TrackerEngine
import TrackerNumerics

/// Computes the statistics of one snapshot at a time on a thread of its own.
///
/// The training thread takes the probe activations (a forward pass, which needs the network) and hands them over
/// with ``submit(_:)``; the statistics (the correlation matrices and everything computed from them) are computed
/// here, in the order handed over, while training goes on, and collected in that order (``collectFinished()`` at
/// each snapshot, ``collectOldest()`` when the outstanding ones hold ``capacityBytes`` and when the run ends). The
/// workspace belongs to this thread from the first `submit` on. It computes without a worker pool (a pool serves
/// one caller at a time); the results are the ones the caller would get from the same workspace, since the
/// statistics of a snapshot depend only on its activations and the series' earlier snapshots (CKA), which come in
/// the same order. The run decides when to use it (see ``ExperimentRunner``): only when its training steps leave a
/// core idle.
final class SnapshotThread: @unchecked Sendable {
    /// One snapshot's inputs.
    struct Job {
        var step: Int
        var activations: [ProbeActivations]
        /// Per activation matrix, the class of each row (empty: no labels).
        var labels: [[Int32]]
        var keepsMatrices: Bool
    }

    /// One snapshot's results, in the order of the job's activations.
    struct Results {
        var job: Job
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
    /// Signalled once per job handed over (and once to stop).
    private let jobsWaiting = DispatchSemaphore(value: 0)
    /// Signalled once per job whose results are ready (and once when the thread has stopped).
    private let resultsReady = DispatchSemaphore(value: 0)
    /// Jobs not yet started, and results not yet collected, oldest first; the thread works through jobs in order.
    private let queues = Mutex<(jobs: [Job], results: [Results], stopping: Bool)>(([], [], false))
    /// Jobs handed over and not yet collected, and the bytes of their activations (the caller's counts).
    private(set) var outstanding = 0
    private var outstandingBytes: [Int] = []
    private var running = false

    /// A thread that computes with `workspace` (whose ``StatisticsWorkspace/workers`` must be nil).
    init(workspace: StatisticsWorkspace) {
        precondition(workspace.workers == nil, "a snapshot thread computes without a worker pool")
        self.workspace = workspace
        let thread = Thread { [unowned self] in self.serve() }
        thread.name = "tracker snapshots"
        running = true
        thread.start()
    }

    deinit {
        stop()
    }

    /// The bytes of a job's activations.
    static func bytes(of activations: [ProbeActivations]) -> Int {
        activations.reduce(0) { $0 + $1.values.count * MemoryLayout<Float>.stride }
    }

    /// Whether a job of `bytes` can be handed over without collecting first.
    func hasRoom(for bytes: Int) -> Bool {
        outstanding == 0 || outstandingBytes.reduce(0, +) + bytes <= Self.capacityBytes
    }

    /// Hands a snapshot over (``hasRoom(for:)`` must be true for its activations).
    func submit(_ job: Job) {
        let bytes = Self.bytes(of: job.activations)
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
        queues.withLock { $0.stopping = true }
        jobsWaiting.signal()
        resultsReady.wait()
    }

    private func serve() {
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
            var values: [SnapshotStatisticValues] = []
            var triangles: [[Float]?] = []
            values.reserveCapacity(job.activations.count)
            triangles.reserveCapacity(job.activations.count)
            // OpenBLAS on one thread here: the training thread keeps calling it, and a threaded call from two
            // threads at once would share one pool.
            BLAS.beginSingleThreaded()
            for (index, activations) in job.activations.enumerated() {
                let labels = job.labels[index]
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
            let results = Results(job: job, values: values, upperTriangles: triangles,
                                  seconds: Double(elapsed.components.seconds)
                                      + Double(elapsed.components.attoseconds) * 1e-18)
            queues.withLock { $0.results.append(results) }
            resultsReady.signal()
        }
    }
}
