// Runs the built `tracker` executable as a child process, as a user's shell would.
import Foundation
import TrackerTestSupport

/// What one invocation of `tracker` did.
struct Invocation {
    let status: Int32
    let standardOutput: String
    let standardError: String
}

enum TrackerProcess {
    /// The `tracker` binary that `swift build`/`swift test` put beside this test bundle.
    static let executable: URL = {
        let directory = Bundle.main.bundleURL.lastPathComponent.hasSuffix(".xctest")
            ? Bundle.main.bundleURL.deletingLastPathComponent() : Bundle.main.bundleURL
        let candidates = [directory, Bundle.main.executableURL?.deletingLastPathComponent()].compactMap { $0 }
        for candidate in candidates {
            let url = candidate.appending(path: "tracker")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return directory.appending(path: "tracker")
    }()

    /// Starts `tracker arguments...` in `directory`; returns the process and the files its output goes to.
    static func start(_ arguments: [String], in directory: URL, executable: URL = executable,
                      environment: [String: String] = [:]) throws -> (Process, URL, URL) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let token = UUID().uuidString
        let out = directory.appending(path: ".out-\(token)")
        let err = directory.appending(path: ".err-\(token)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    /// Waits for a started process and collects what it printed.
    static func finish(_ started: (Process, URL, URL)) -> Invocation {
        let (process, out, err) = started
        process.waitUntilExit()
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        return Invocation(status: process.terminationStatus,
                          standardOutput: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                          standardError: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// Runs `tracker arguments...` in `directory` with its stdout on a pseudo-terminal (as in an interactive
    /// shell; stderr is discarded, or with `withStandardError` on the terminal too); returns what it printed there,
    /// with the terminal's CR LF line ends made LF.
    static func runInTerminal(_ arguments: [String], in directory: URL, withStandardError: Bool = false) throws
        -> String {
        // Glibc's Swift module hides the pseudo-terminal calls (they need _XOPEN_SOURCE): look them up in libc.
        typealias OpenFunction = @convention(c) (Int32) -> Int32
        typealias NameFunction = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
        let libc = dlopen(nil, RTLD_NOW)
        func function<T>(_ name: String, as type: T.Type) throws -> T {
            guard let symbol = dlsym(libc, name) else { throw CocoaError(.featureUnsupported) }
            return unsafeBitCast(symbol, to: type)
        }
        let master = try function("posix_openpt", as: OpenFunction.self)(O_RDWR | O_NOCTTY)
        guard master >= 0, try function("grantpt", as: OpenFunction.self)(master) == 0,
              try function("unlockpt", as: OpenFunction.self)(master) == 0,
              let name = try function("ptsname", as: NameFunction.self)(master) else {
            throw CocoaError(.fileNoSuchFile)
        }
        let terminal = open(String(cString: name), O_RDWR | O_NOCTTY)
        guard terminal >= 0 else { throw CocoaError(.fileNoSuchFile) }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle(fileDescriptor: terminal, closeOnDealloc: false)  // closed below, once
        process.standardError = withStandardError ? FileHandle(fileDescriptor: terminal, closeOnDealloc: false)
            : FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        close(terminal)  // the child holds the terminal now; reading the master ends once it exits
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(master, &buffer, buffer.count)
            if count <= 0 { break }
            output.append(contentsOf: buffer[0..<count])
        }
        process.waitUntilExit()
        close(master)
        return String(decoding: output, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
    }

    /// Runs `tracker arguments...` in `directory` to completion.
    static func run(_ arguments: [String], in directory: URL, executable: URL = executable,
                    environment: [String: String] = [:]) throws -> Invocation {
        finish(try start(arguments, in: directory, executable: executable, environment: environment))
    }
}

/// A temporary working folder for one test.
struct Workspace {
    let folder: TemporaryFolder
    var url: URL { folder.url }

    init() throws { folder = try TemporaryFolder(prefix: "tracker-cli") }

    func path(_ name: String) -> String { folder.path(name) }

    func tracker(_ arguments: String...) throws -> Invocation { try TrackerProcess.run(arguments, in: url) }

    func cleanup() { folder.cleanup() }
}

/// A short run that still has two hidden layers, several epochs and a dozen snapshots.
let quickRun = ["run", "--arch", "24,12", "--epochs", "2", "--snapshot-every", "20", "--seed", "7"]
