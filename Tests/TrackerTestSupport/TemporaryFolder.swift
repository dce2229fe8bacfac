// A fresh temporary folder per test, for databases and files the test makes.
import Foundation

/// A new, empty folder under the system's temporary directory; remove it with ``cleanup()``.
public struct TemporaryFolder: Sendable {
    public let url: URL

    public init(prefix: String = "tracker-tests") throws {
        url = FileManager.default.temporaryDirectory.appending(path: "\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the folder.
    public func path(_ name: String) -> String { url.appending(path: name).path }

    public func cleanup() { try? FileManager.default.removeItem(at: url) }
}
