// Writing a figure or report file whole or not at all, and turning SVG into PNG with rsvg-convert (librsvg2-bin).
import Foundation

/// A file the plot or report cannot write, in one line.
public enum OutputFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The path's extension is none of the formats written.
    case unsupportedExtension(path: String, supported: [String])
    /// The folder is missing or not writable, or the path is a folder.
    case unwritable(path: String, reason: String)
    /// A program the conversion needs is not on PATH.
    case converterMissing(program: String, package: String)
    /// The converter ran and failed.
    case conversionFailed(program: String, message: String)

    public var description: String {
        switch self {
        case .unsupportedExtension(let path, let supported):
            return "cannot tell the format of '\(path)': the name must end in "
                + supported.map { "." + $0 }.joined(separator: " or ")
        case .unwritable(let path, let reason):
            return "cannot write '\(path)': \(reason)"
        case .converterMissing(let program, let package):
            return "PNG output needs \(program), which is not installed (Debian package \(package)); "
                + "install it, or write .svg"
        case .conversionFailed(let program, let message):
            return "\(program) failed: \(message)"
        }
    }
}

/// The image formats `tracker plot` writes.
public enum FigureFormat: String, CaseIterable, Sendable {
    case svg, png

    /// The format of `path` by its extension (case-insensitive).
    ///
    /// - Throws: ``OutputFileError/unsupportedExtension(path:supported:)``.
    public init(path: String) throws(OutputFileError) {
        let suffix = (path as NSString).pathExtension.lowercased()
        guard let format = FigureFormat(rawValue: suffix) else {
            throw .unsupportedExtension(path: path, supported: FigureFormat.allCases.map(\.rawValue))
        }
        self = format
    }
}

/// Output files, written whole or not at all.
public enum OutputFile {
    /// Checks that `path` can be written: its folder exists and is writable, and it is not a folder itself.
    ///
    /// - Throws: ``OutputFileError/unwritable(path:reason:)``.
    public static func checkWritable(_ path: String) throws(OutputFileError) {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw .unwritable(path: path, reason: "it is a folder")
        }
        let folder = (path as NSString).deletingLastPathComponent
        let parent = folder.isEmpty ? "." : folder
        guard manager.fileExists(atPath: parent, isDirectory: &isFolder), isFolder.boolValue else {
            throw .unwritable(path: path, reason: "no folder '\(parent)'")
        }
        guard manager.isWritableFile(atPath: parent) else {
            throw .unwritable(path: path, reason: "the folder '\(parent)' is not writable")
        }
        if manager.fileExists(atPath: path) && !manager.isWritableFile(atPath: path) {
            throw .unwritable(path: path, reason: "the file is not writable")
        }
    }

    /// Writes `data` to `path` through a temporary file renamed over it, so a reader never sees half a file and a
    /// failure leaves any earlier file as it was.
    ///
    /// - Throws: ``OutputFileError/unwritable(path:reason:)``.
    public static func write(_ data: Data, to path: String) throws(OutputFileError) {
        try checkWritable(path)
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .unwritable(path: path, reason: (error as NSError).localizedFailureReason ?? "\(error)")
        }
    }

    /// The full path of `program` on PATH, or nil.
    public static func executable(named program: String,
                                  path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        for folder in (path ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = String(folder) + "/" + program
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// PNG bytes of an SVG document, drawn by `rsvg-convert` at `zoom` (2: two pixels per SVG unit).
    ///
    /// - Throws: ``OutputFileError/converterMissing(program:package:)`` without rsvg-convert on PATH;
    ///   ``OutputFileError/conversionFailed(program:message:)`` when it fails (its first line of stderr).
    public static func png(fromSVG svg: String, zoom: Double = 2) throws(OutputFileError) -> Data {
        guard let program = executable(named: "rsvg-convert") else {
            throw .converterMissing(program: "rsvg-convert", package: "librsvg2-bin")
        }
        let folder = FileManager.default.temporaryDirectory.appending(path: "tracker-png-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let input = folder.appending(path: "figure.svg"), output = folder.appending(path: "figure.png")
            let errors = folder.appending(path: "errors.txt")
            try Data(svg.utf8).write(to: input)
            _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = ["--format", "png", "--zoom", String(zoom), "--output", output.path, input.path]
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: errors)
            try process.run()
            process.waitUntilExit()
            let message = (try? String(contentsOf: errors, encoding: .utf8))?
                .split(separator: "\n").first.map(String.init) ?? ""
            guard process.terminationStatus == 0, let data = try? Data(contentsOf: output), !data.isEmpty else {
                throw OutputFileError.conversionFailed(
                    program: "rsvg-convert",
                    message: message.isEmpty ? "exit status \(process.terminationStatus)" : message)
            }
            return data
        } catch let error as OutputFileError {
            throw error
        } catch {
            throw .conversionFailed(program: "rsvg-convert", message: "\(error)")
        }
    }
}
