// A child process of a sweep: spawned in its own process group, its output in files, waited for without blocking.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a worker process ended.
public enum WorkerExit: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)
}

/// One child process. It gets its own process group, so a Ctrl-C at the terminal reaches only the parent, which
/// decides what the workers get (one SIGTERM each: stop cleanly); stdin is /dev/null, stdout and stderr go to files.
public final class WorkerProcess {
    public let processID: pid_t
    public let standardOutput: URL
    public let standardError: URL
    public private(set) var exit: WorkerExit?

    /// Starts `executable arguments...`.
    ///
    /// - Throws: ``WorkerError`` when the process cannot be started.
    public init(executable: String, arguments: [String], standardOutput: URL, standardError: URL) throws {
        self.standardOutput = standardOutput
        self.standardError = standardError
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, standardOutput.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, standardError.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Own process group; default signal handling (the parent ignores SIGINT/SIGTERM while it forwards them).
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard code == 0 else {
            throw WorkerError(description: "cannot start \(executable): \(String(cString: strerror(code)))")
        }
        processID = pid
    }

    /// Whether the process has ended (reaping it), without waiting.
    public func poll() -> WorkerExit? {
        if let exit { return exit }
        var status: Int32 = 0
        let result = waitpid(processID, &status, WNOHANG)
        guard result == processID else { return nil }
        // WIFEXITED / WEXITSTATUS / WTERMSIG by hand: Swift does not import the C macros.
        let signal = status & 0x7F
        exit = signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
        return exit
    }

    /// Sends `signal` to the process (nothing once it has been reaped).
    public func send(_ signal: Int32) {
        if exit == nil { kill(processID, signal) }
    }

    /// What the process printed on stdout.
    public var output: String { (try? String(contentsOf: standardOutput, encoding: .utf8)) ?? "" }

    /// The last non-empty line it printed on stderr, without ArgumentParser's `Error: `.
    public var lastErrorLine: String? {
        let text = (try? String(contentsOf: standardError, encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty })
        else { return nil }
        return line.hasPrefix("Error: ") ? String(line.dropFirst("Error: ".count)) : String(line)
    }
}

/// A worker that could not be started or managed, in one line.
public struct WorkerError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
