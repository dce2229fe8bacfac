// The errors the store throws: each carries the path or SQL it is about and reads as one line.
import Foundation

/// A failure of the tracker store, described in one line for the person at the terminal.
public enum StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file exists but is not an SQLite database. It was not touched.
    case notSQLite(path: String)
    /// The file is an SQLite database that tracker did not create. It was not touched.
    case notTrackerDatabase(path: String)
    /// The file was made by a newer tracker whose schema this one does not know. It was not touched.
    case newerSchema(path: String, found: Int, supported: Int)
    /// There is no database at the path (read-only commands never create one).
    case missingDatabase(path: String)
    /// A run id or uuid prefix matched no run, or several.
    case runNotFound(String)
    case ambiguousRun(String, matches: Int)
    /// A named query that is not in Queries/.
    case unknownQuery(String)
    /// A named query was called without a parameter it requires, or with one it does not take.
    case missingParameter(query: String, parameter: String)
    case unknownParameter(query: String, parameter: String, known: [String])
    /// `tracker sql` was given a statement that would write.
    case writeRefused(sql: String)
    /// `tracker sql` was given no statement, or more than one.
    case noStatement
    case multipleStatements
    /// The file exists but could not be read (permissions, a folder, ...). It was not touched.
    case unreadable(path: String)
    /// An architecture spec handed to the store is not JSON (a caller's defect).
    case invalidArchitectureSpec(String)
    /// An embedded migration file is malformed (a build defect, caught by tests).
    case invalidMigration(name: String, reason: String)
    /// SQLite reported an error; `message` is SQLite's, `sql` the statement if known.
    case sqlite(message: String, sql: String?)
    /// A snapshot statistic that does not exist.
    case unknownStatistic(String, known: [String])
    /// The file carries views or triggers tracker did not make (or changed ones); it was refused before any ran.
    case tamperedSchema(path: String, detail: String)
    /// The file exists and is empty: there is nothing to read.
    case emptyDatabase(path: String)
    /// A write was asked of a database opened for reading.
    case readOnlyDatabase(path: String)
    /// A file was to be merged into itself.
    case mergeIntoItself(path: String)
    /// A process is writing the file, so it cannot be replaced now.
    case fileInUse(path: String, detail: String)
    /// The file fails SQLite's integrity or foreign-key check.
    case damaged(path: String, detail: String)
    /// A file could not be written or renamed.
    case unwritable(path: String)
    /// No correlation matrix is stored for that run, layer and step; `available` lists the steps that have one.
    case noStoredMatrix(run: Int64, layer: String, step: Int?, available: [Int])
    /// The disk or the process's file-size limit is full, or the device failed a write: the transaction was rolled
    /// back, earlier commits stand.
    case diskFull(path: String)
    /// The database (or its folder, for a new file or its -wal/-shm companions) cannot be written.
    case notWritable(path: String, exists: Bool)
    /// The database file was deleted, renamed or replaced while tracker was writing it.
    case databaseMoved(path: String)

    public var description: String {
        switch self {
        case .notSQLite(let path):
            return "\(path) is not an SQLite database; it was left unchanged"
        case .notTrackerDatabase(let path):
            return "\(path) is an SQLite database but not a tracker database; it was left unchanged"
        case .newerSchema(let path, let found, let supported):
            return "\(path) has schema version \(found), but this tracker (\(TrackerVersion.current)) supports "
                + "versions up to \(supported); upgrade tracker to open it (the file was left unchanged)"
        case .missingDatabase(let path):
            return "no database at \(path) (create one with `tracker run`, or pass --db PATH)"
        case .runNotFound(let reference):
            return "no run matches '\(reference)' (give an integer id or a uuid prefix; see `tracker runs`)"
        case .ambiguousRun(let reference, let matches):
            return "'\(reference)' matches \(matches) runs; give a longer uuid prefix"
        case .unknownQuery(let name):
            return "no query named '\(name)' (see `tracker query --list`)"
        case .missingParameter(let query, let parameter):
            return "query '\(query)' needs --param \(parameter)=VALUE"
        case .unknownParameter(let query, let parameter, let known):
            let list = known.isEmpty ? "none" : known.joined(separator: ", ")
            return "query '\(query)' has no parameter '\(parameter)' (it takes: \(list))"
        case .writeRefused:
            return "tracker sql is read-only: the statement would modify the database"
        case .noStatement:
            return "no SQL statement given"
        case .multipleStatements:
            return "give one SQL statement at a time (found more than one)"
        case .unreadable(let path):
            return "cannot read \(path)"
        case .invalidArchitectureSpec(let spec):
            return "architecture spec is not valid JSON: \(spec)"
        case .invalidMigration(let name, let reason):
            return "invalid migration \(name): \(reason)"
        case .unknownStatistic(let name, let known):
            return "no snapshot statistic named '\(name)' (known: \(known.joined(separator: ", ")))"
        case .tamperedSchema(let path, let detail):
            return "\(path) was refused: its schema is not tracker's (\(detail)); nothing in it was run or changed "
                + "(see `tracker check`)"
        case .emptyDatabase(let path):
            return "\(path) is empty: there are no runs to read"
        case .readOnlyDatabase(let path):
            return "\(path) was opened for reading only"
        case .mergeIntoItself(let path):
            return "cannot merge \(path) into itself"
        case .fileInUse(let path, let detail):
            return "\(path) is in use (\(detail)); it was left unchanged"
        case .damaged(let path, let detail):
            return "\(path) is damaged (\(detail)); it was left unchanged (see `tracker check`)"
        case .unwritable(let path):
            return "cannot write \(path)"
        case .noStoredMatrix(let run, let layer, let step, let available):
            let at = step.map { " at step \($0)" } ?? ""
            if available.isEmpty {
                return "run \(run) stored no correlation matrix of \(layer)\(at) (tracker run --store-matrices EVERY keeps them)"
            }
            let steps = available.count > 12 ? available.prefix(12).map(String.init).joined(separator: ", ") + ", ..."
                : available.map(String.init).joined(separator: ", ")
            return "run \(run) stored no correlation matrix of \(layer)\(at) (stored steps: \(steps))"
        case .diskFull(let path):
            return "cannot write \(path): no space left (a full disk or file-size limit) or a failing device; "
                + "everything committed before is intact"
        case .notWritable(let path, let exists):
            return exists ? "cannot write \(path): the file or its folder is read-only or not yours (tracker needs to "
                + "write the file and create \(path)-wal beside it; it was left unchanged)"
                : "cannot create \(path): its folder does not exist or is not writable"
        case .databaseMoved(let path):
            return "\(path) was deleted, moved or replaced while tracker was writing it; stopped, so that nothing "
                + "more is written to a file no one can open"
        case .sqlite(let message, let sql):
            if let sql { return "SQLite error: \(message) (in: \(sql.trimmingCharacters(in: .whitespacesAndNewlines)))" }
            return "SQLite error: \(message)"
        }
    }
}

/// The version of tracker that writes runs and migrations into databases.
public enum TrackerVersion {
    public static let current = "0.1.0"
}
