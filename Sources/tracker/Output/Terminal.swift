// Terminal detection, the live progress line, and the Ctrl-C flag of a run.
import Dispatch
import Foundation
import Synchronization

enum Terminal {
    static var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
}

/// One line on stderr, rewritten in place (only used when stdout is a terminal).
final class ProgressLine {
    private var width = 0

    func show(_ text: String) {
        let columns = 120
        let line = String(text.prefix(columns))
        FileHandle.standardError.write(Data(("\r" + line + String(repeating: " ", count: max(0, width - line.count))).utf8))
        width = line.count
    }

    func clear() {
        guard width > 0 else { return }
        FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: width) + "\r").utf8))
        width = 0
    }
}

/// Set by the first Ctrl-C (SIGINT) or SIGTERM; the run polls it between steps and stops cleanly.
/// A second Ctrl-C ends the process at once (unless `exitsOnSecondSignal` is false: a sweep's worker, whose
/// coordinator and a scheduler may both pass a stop on, then still ends its run cleanly).
final class InterruptFlag {
    private final class State: Sendable {
        let interrupted = Atomic<Bool>(false)
    }

    private let state = State()
    private let sources: [any DispatchSourceSignal]

    init(exitsOnSecondSignal: Bool = true) {
        var sources: [any DispatchSourceSignal] = []
        let state = self.state
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if state.interrupted.exchange(true, ordering: .relaxed) && exitsOnSecondSignal { exit(130) }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    var isSet: Bool { state.interrupted.load(ordering: .relaxed) }
}

/// Counts Ctrl-C (SIGINT) and SIGTERM without ending the process: a sweep stops its workers cleanly at the first,
/// and kills them at the second.
final class SignalCounter {
    private final class State: Sendable {
        let count = Atomic<Int>(0)
    }

    private let state = State()
    private let sources: [any DispatchSourceSignal]

    init() {
        var sources: [any DispatchSourceSignal] = []
        let state = self.state
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { state.count.add(1, ordering: .relaxed) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// Signals received so far.
    var count: Int { state.count.load(ordering: .relaxed) }
}
