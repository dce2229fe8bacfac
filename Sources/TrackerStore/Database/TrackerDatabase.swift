// Opening a tracker database: refuse what is not ours without touching it, migrate what is older, then serve.
import Foundation
import GRDB

/// A tracker database file: a WAL-mode connection pool over a migrated schema.
///
/// ```swift
/// let database = try TrackerDatabase.open(path: "tracker.sqlite")
/// let runs = try database.runs()
/// ```
public final class TrackerDatabase: Sendable {
    /// The file's path as given.
    public let path: String
    let pool: DatabasePool

    /// How long a connection waits for another process's lock before it reports the database busy.
    static let busyTimeout: TimeInterval = 30

    private init(path: String, pool: DatabasePool) {
        self.path = path
        self.pool = pool
    }

    /// Opens (or with `create`, creates) a tracker database and migrates it to the latest schema.
    ///
    /// - Parameters:
    ///   - path: The database file.
    ///   - create: Whether a missing file may be created. Commands that only read pass `false`.
    /// - Throws: ``StoreError`` when the file is missing (and `create` is false), is not SQLite, is an SQLite
    ///   database tracker did not make, or has a newer schema. In all those cases the file is left byte-for-byte
    ///   unchanged. An older schema is migrated inside one exclusive transaction.
    public static func open(path: String, create: Bool = true) throws -> TrackerDatabase {
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists && !create { throw StoreError.missingDatabase(path: path) }
        if exists { try inspectWithoutWriting(path: path) }
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(busyTimeout)
            configuration.foreignKeysEnabled = true
            let pool = try DatabasePool(path: path, configuration: configuration)
            try pool.writeWithoutTransaction { db in try Migrator.migrate(db, path: path) }
            return TrackerDatabase(path: path, pool: pool)
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            throw StoreError(error)
        }
    }

    /// Checks an existing file's header and identity through a read-only connection, so that a file that is not
    /// ours, or is newer than we know, is refused before anything could write to it.
    private static func inspectWithoutWriting(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StoreError.unreadable(path: path)
        }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        if header.isEmpty { return }  // an empty file is a new database to SQLite
        guard header == Data("SQLite format 3\0".utf8) else { throw StoreError.notSQLite(path: path) }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeout)
        let identity: FileIdentity
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            identity = try queue.read(FileIdentity.read)
            try queue.close()
        } catch let error as DatabaseError {
            if error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT {
                throw StoreError.notSQLite(path: path)
            }
            throw StoreError(error)
        }
        switch identity {
        case .foreign: throw StoreError.notTrackerDatabase(path: path)
        case .tracker(let version) where version > Migration.latestVersion:
            throw StoreError.newerSchema(path: path, found: version, supported: Migration.latestVersion)
        default: return
        }
    }

    /// The schema version stored in the file (`PRAGMA user_version`).
    public func schemaVersion() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
    }

    /// Runs `body` on a reader connection, turning SQLite errors into ``StoreError``.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let error as DatabaseError { throw StoreError(error) }
    }

    /// Runs `body` in a write transaction, turning SQLite errors into ``StoreError``.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch let error as DatabaseError { throw StoreError(error) }
    }
}

extension StoreError {
    /// One line from SQLite's error: its message and the statement that failed.
    init(_ error: DatabaseError) {
        self = .sqlite(message: error.message ?? "\(error.resultCode)", sql: error.sql)
    }
}
