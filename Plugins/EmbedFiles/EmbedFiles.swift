// Build tool plugin: turns the package's SQL and data folders into Swift source compiled into a target.
import Foundation
import PackagePlugin

/// Which package folders each target embeds. Files are named by their path relative to the folder's
/// parent, e.g. `Migrations/0001_initial.sql`.
private let foldersByTarget: [String: [String]] = [
    "TrackerStore": ["Migrations", "Queries"],
    "TrackerDatasets": ["Datasets"],
]

@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let folders = foldersByTarget[target.name] else { return [] }
        let root = context.package.directoryURL
        var inputs: [URL] = []
        for folder in folders {
            let base = root.appending(path: folder)
            guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey])
            else { continue }
            for case let url as URL in walker
            where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
                && !url.lastPathComponent.hasPrefix(".") {
                inputs.append(url)
            }
        }
        inputs.sort { $0.path < $1.path }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        let rootPath = root.path.hasSuffix("/") ? root.path : root.path + "/"
        let arguments = [output.path] + inputs.map { url in
            "\(url.path.replacingOccurrences(of: rootPath, with: ""))=\(url.path)"
        }
        return [.buildCommand(
            displayName: "Embedding \(folders.joined(separator: ", ")) into \(target.name)",
            executable: try context.tool(named: "EmbedFilesTool").url,
            arguments: arguments,
            inputFiles: inputs,
            outputFiles: [output])]
    }
}
