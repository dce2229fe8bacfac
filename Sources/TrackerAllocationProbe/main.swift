// tracker-allocation-probe: counts the heap allocations of training steps, for the allocation test.
//
// Usage: LD_PRELOAD=libMallocInterposerSwift.so tracker-allocation-probe ARCH[+decov][@SHAPE]...
//
// For each architecture (the layer grammar; SHAPE like 1x8x8, default 1x8x8; `+decov` adds a DeCov regulariser on
// every probed layer) it builds a trainer on seeded random
// data, runs a few warm-up steps (the first epoch's shuffle and lazy runtime set-up), then counts every malloc in
// the next steps with ordo-one's malloc interposer. It prints one JSON line per architecture, and first a control
// line whose window allocates on purpose, proving the counter is live (0 there means the interposer is not loaded).
// TRACKER_PROBE_THREADS=N (default 1) sets OpenBLAS's threads and the trainer's (its layers split batches over them).
// With TRACKER_PROBE_BACKTRACE=1 it writes a stack trace of every counted allocation to stderr (pipe it through
// `swift demangle`): that is how to find what allocates when the test fails.
import Foundation
import MallocInterposerSwift
import TrackerEngine
import TrackerNumerics

@inline(never) func allocateOnPurpose() -> Int {
    let array = [Int](repeating: 7, count: 1000 + Int.random(in: 0..<2))
    return array.count
}

typealias Backtrace = @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?, Int32) -> Int32
typealias BacktraceSymbols = @convention(c) (UnsafePointer<UnsafeMutableRawPointer?>?, Int32, Int32) -> Void
nonisolated(unsafe) var insideHook = false
nonisolated(unsafe) var frames = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 48)

/// Prints a stack trace per allocation (glibc's backtrace, found with dlsym: execinfo.h is not in Glibc's module).
func installBacktraceHook() {
    let library = UnsafeMutableRawPointer(bitPattern: 0)
    guard let backtraceSymbol = dlsym(library, "backtrace"), let symbolsSymbol = dlsym(library, "backtrace_symbols_fd")
    else { return }
    _ = unsafeBitCast(backtraceSymbol, to: Backtrace.self)(frames, 48)    // load libgcc before counting
    MallocInterposerSwift.setAllocationHook { _ in
        if insideHook { return }
        insideHook = true
        let backtrace = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "backtrace"), to: Backtrace.self)
        let symbols = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "backtrace_symbols_fd"),
                                    to: BacktraceSymbols.self)
        symbols(UnsafePointer(frames), backtrace(frames, 48), 2)
        _ = write(2, "----\n", 5)
        insideHook = false
    }
    _ = symbolsSymbol
}

func count(_ body: () -> Void) -> (mallocs: Int, bytes: Int) {
    MallocInterposerSwift.initialize()
    MallocInterposerSwift.hook()
    body()
    MallocInterposerSwift.unhook()
    let statistics = MallocInterposerSwift.getStatistics()
    return (statistics.mallocCount, statistics.mallocBytesCount)
}

let threads = Int(ProcessInfo.processInfo.environment["TRACKER_PROBE_THREADS"] ?? "1") ?? 1
BLAS.setThreadCount(threads)
var sink = 0
let control = count { sink &+= allocateOnPurpose() }
if ProcessInfo.processInfo.environment["TRACKER_PROBE_BACKTRACE"] == "1" { installBacktraceHook() }
print("{\"architecture\":\"control\",\"mallocs\":\(control.mallocs),\"bytes\":\(control.bytes)}")

for argument in CommandLine.arguments.dropFirst() {
    let withDeCov = argument.contains("+decov")
    let parts = argument.replacingOccurrences(of: "+decov", with: "").split(separator: "@", maxSplits: 1)
    let shape = Shape((parts.count == 2 ? parts[1] : "1x8x8").split(separator: "x").compactMap { Int($0) })
    var generator = SeededGenerator(seed: 1)
    let samples = 96
    let features = (0..<(samples * shape.count)).map { _ in Float(generator.nextUniform()) }
    let labels = (0..<samples).map { Int32($0 % 10) }
    do {
        let data = try Dataset(name: "random", sampleShape: shape, classCount: 10, features: features, labels: labels)
        let architecture = try Architecture.parse(String(parts[0]), inputShape: shape, outputSize: 10)
        let options = TrainingOptions(learningRate: 0.01, optimizer: OptimizerSettings(kind: .adamw, weightDecay: 0.01),
                                      schedule: .cosine(minimumFactor: 0.1), warmupSteps: 2, gradientClipNorm: 1,
                                      batchSize: 16, epochs: 4, seed: 3)
        let regularizers = withDeCov
            ? architecture.probedLayerIndices.map { DeCovRegularizer(layer: architecture.layerNames[$0], weight: 0.1) } : []
        let trainer = try Trainer(architecture: architecture, options: options, training: data,
                                  regularizers: regularizers, threads: threads)
        for _ in 0..<8 { trainer.step() }          // beyond the first epoch (6 steps): a reshuffle is warmed up too
        let steps = 12
        let counted = count { for _ in 0..<steps { trainer.step() } }
        print("{\"architecture\":\"\(argument)\",\"steps\":\(steps),\"mallocs\":\(counted.mallocs),\"bytes\":\(counted.bytes)}")
    } catch {
        print("{\"architecture\":\"\(argument)\",\"error\":\"\(error)\"}")
    }
}
