// The named SQL of Queries/: parsed from the files' header comments, compiled into the binary.
import Foundation

/// A query file of `Queries/`.
///
/// The file's first comment line says what the query answers (more lines may follow); each `-- :name description` line
/// declares a parameter, required unless its description says `(default: ...)`. Unset parameters are bound
/// to NULL, so a file pasted into `sqlite3` runs with every default.
public struct NamedQuery: Sendable, Equatable {
    public struct Parameter: Sendable, Equatable {
        public let name: String
        public let description: String
        public var isRequired: Bool { !description.contains("(default") }
    }

    public let name: String
    /// The first comment line: what the query answers.
    public let summary: String
    /// Further comment lines before the parameters, if any.
    public let details: String
    public let parameters: [Parameter]
    public let sql: String

    /// Every embedded query, by name.
    public static let all: [NamedQuery] = EmbeddedFiles.base64ByPath
        .filter { $0.key.hasPrefix("Queries/") && $0.key.hasSuffix(".sql") }
        .compactMap { path, base64 in
            guard let data = Data(base64Encoded: base64), let sql = String(data: data, encoding: .utf8) else { return nil }
            return NamedQuery(name: String(path.dropFirst("Queries/".count).dropLast(".sql".count)), sql: sql)
        }
        .sorted { $0.name < $1.name }

    init(name: String, sql: String) {
        self.name = name
        self.sql = sql
        var details: [String] = []
        var parameters: [Parameter] = []
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("--") else { break }
            let text = line.dropFirst(2).trimmingCharacters(in: .whitespaces)
            if text.hasPrefix(":") {
                let parts = text.dropFirst().split(separator: " ", maxSplits: 1)
                let description = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
                parameters.append(Parameter(name: String(parts[0]), description: description))
            } else if parameters.isEmpty {
                details.append(text)
            }
        }
        summary = details.first ?? ""
        self.details = details.dropFirst().joined(separator: " ")
        self.parameters = parameters
    }
}
