// `tracker check FILE`: integrity, foreign keys, schema version and origin, and runs whose process died.
import ArgumentParser
import Foundation
import TrackerStore

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a tracker database without changing it: integrity, foreign keys, schema, stale runs.",
        discussion: """
            Reads the file read-only. Exit status 0 when it is intact and tracker's own, 1 when SQLite's \
            integrity or foreign-key check fails or its views or triggers are not tracker's (other commands \
            refuse such a file). Runs still `running` whose last commit is older than --stale are listed: their \
            process most likely died.

            Examples:
              tracker check tracker.sqlite
              tracker check archive.sqlite --stale 1h --format json
            """)

    @Argument(help: ArgumentHelp("The database file (default: --db's default).", valueName: "file"))
    var file = "tracker.sqlite"

    @Option(help: "A running run whose last commit is older than this is stale (e.g. 90s, 10m, 2h).")
    var stale: TimeSpan = TimeSpan(seconds: 600)

    @Option(help: "Output format: table (text) or json.")
    var format: OutputFormat = .table

    func validate() throws {
        guard format == .table || format == .json else {
            throw ValidationError("tracker check prints text (table) or json, not \(format.rawValue)")
        }
    }

    func run() throws {
        let check = try TrackerDatabase.check(path: file, staleAfter: stale.seconds)
        print(format == .json ? Self.json(check) : Self.text(check), terminator: "")
        if check.hasProblems { throw ExitCode(1) }
    }

    static func text(_ check: DatabaseCheck) -> String {
        var lines = ["file: \(check.path) (\(check.sizeBytes) bytes)"]
        let versionNote = check.schemaVersion < check.supportedVersion ? " (older: `tracker migrate` upgrades it)"
            : check.schemaVersion > check.supportedVersion ? " (newer than this tracker)" : " (current)"
        lines.append("schema: version \(check.schemaVersion)\(versionNote)")
        lines.append("integrity: " + (check.integrity == ["ok"] ? "ok" : check.integrity.prefix(5).joined(separator: "; ")))
        lines.append("foreign keys: " + (check.foreignKeyViolations.isEmpty ? "ok"
                                         : "\(check.foreignKeyViolations.count) violations, e.g. \(check.foreignKeyViolations[0])"))
        lines.append("views and triggers: " + (check.schemaProblems.isEmpty ? "tracker's own"
                                               : "NOT tracker's: " + check.schemaProblems.joined(separator: "; ")))
        if !check.extraObjects.isEmpty { lines.append("note: extra objects: " + check.extraObjects.joined(separator: ", ")) }
        lines.append("runs: " + (check.runsByStatus.isEmpty ? "none"
                                 : check.runsByStatus.map { "\($0.count) \($0.status)" }.joined(separator: ", ")))
        if check.staleRuns.isEmpty {
            lines.append("stale runs: none")
        } else {
            lines.append("stale runs (running, no commit for longer than the limit; their process most likely died):")
            for run in check.staleRuns {
                let age = run.secondsSinceHeartbeat.map { TimeSpan(seconds: $0).description } ?? "unknown"
                lines.append("  run \(run.id) \(run.uuid): last commit \(age) ago")
            }
        }
        lines.append(check.hasProblems ? "result: PROBLEMS FOUND" : "result: ok")
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ check: DatabaseCheck) -> String {
        func strings(_ values: [String]) -> String { "[" + values.map(JSONText.string).joined(separator: ",") + "]" }
        let stale = check.staleRuns.map { run in
            JSONText.object([("id", "\(run.id)"), ("uuid", JSONText.string(run.uuid)),
                             ("heartbeat_at", run.heartbeatAt.map(JSONText.string) ?? "null"),
                             ("seconds_since_heartbeat", run.secondsSinceHeartbeat.map { "\($0)" } ?? "null")])
        }
        let statuses = JSONText.object(check.runsByStatus.map { ($0.status, "\($0.count)") })
        return JSONText.object([
            ("file", JSONText.string(check.path)), ("size_bytes", "\(check.sizeBytes)"),
            ("schema_version", "\(check.schemaVersion)"), ("supported_version", "\(check.supportedVersion)"),
            ("integrity", strings(check.integrity)), ("foreign_key_violations", strings(check.foreignKeyViolations)),
            ("schema_problems", strings(check.schemaProblems)), ("extra_objects", strings(check.extraObjects)),
            ("runs_by_status", statuses), ("stale_runs", "[" + stale.joined(separator: ",") + "]"),
            ("ok", check.hasProblems ? "false" : "true"),
        ]) + "\n"
    }
}

/// A length of time on the command line: a number with s, m, h or d (seconds when bare).
struct TimeSpan: ExpressibleByArgument, CustomStringConvertible {
    let seconds: Double

    init(seconds: Double) { self.seconds = seconds }

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var number = text
        var factor = 1.0
        if let last = text.last, let unit = units[last] {
            number = String(text.dropLast())
            factor = unit
        }
        guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
        seconds = value * factor
    }

    var description: String {
        if seconds < 120 { return String(format: "%.0fs", seconds) }
        if seconds < 7200 { return String(format: "%.0fm", seconds / 60) }
        if seconds < 172_800 { return String(format: "%.1fh", seconds / 3600) }
        return String(format: "%.1fd", seconds / 86400)
    }

    var defaultValueDescription: String { description }
}
