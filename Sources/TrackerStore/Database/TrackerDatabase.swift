// Opening a tracker database: refuse what is not ours without touching it, migrate what is older, then serve.
import Foundation
import GRDB
import GRDBSQLite

/// A tracker database file: a WAL-mode connection pool over a migrated schema, or, opened for reading, the file
/// read-only (or a migrated temporary copy of it when its schema is older).
///
/// ```swift
/// let database = try TrackerDatabase.open(path: "tracker.sqlite")
/// let archive = try TrackerDatabase.openForReading(path: "archive-2024.sqlite")
/// let runs = try archive.runs()
/// ```
public final class TrackerDatabase: Sendable {
    /// The file's path as given.
    public let path: String
    let pool: any DatabaseWriter
    /// False when the file was opened read-only: writes would fail, so callers keep derived results in memory.
    public let isWritable: Bool
    /// The schema version of the file as found, before any migration (of the file, or of a copy of it).
    public let foundSchemaVersion: Int
    /// When the file's schema is older: the migrated temporary copy this database reads (deleted with it).
    let migratedCopy: MigratedCopy?

    /// Whether what is read comes from a migrated copy, the file itself being older (see `tracker migrate`).
    public var readsMigratedCopy: Bool { migratedCopy != nil }

    /// How long a connection waits for another process's lock before it reports the database busy.
    static let busyTimeout: TimeInterval = 30

    private init(path: String, pool: any DatabaseWriter, isWritable: Bool, foundSchemaVersion: Int,
                 migratedCopy: MigratedCopy? = nil) {
        self.path = path
        self.pool = pool
        self.isWritable = isWritable
        self.foundSchemaVersion = foundSchemaVersion
        self.migratedCopy = migratedCopy
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
        try open(path: path, create: create, pooled: true)
    }

    /// `pooled`: a WAL connection pool (concurrent readers, for recording runs) or one connection, which leaves the
    /// file byte-for-byte unchanged when nothing is written (GRDB's pool creates and drops a table on opening).
    private static func open(path: String, create: Bool, pooled: Bool) throws -> TrackerDatabase {
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists && !create { throw StoreError.missingDatabase(path: path) }
        let found = exists ? try inspectWithoutWriting(path: path) : 0
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(busyTimeout)
            configuration.foreignKeysEnabled = true
            configuration.prepareDatabase { db in try ReadOnlyAccess.harden(db) }
            let pool: any DatabaseWriter = pooled ? try DatabasePool(path: path, configuration: configuration)
                : try DatabaseQueue(path: path, configuration: configuration)
            try pool.writeWithoutTransaction { db in try Migrator.migrate(db, path: path) }
            return TrackerDatabase(path: path, pool: pool, isWritable: true, foundSchemaVersion: found)
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            switch error.resultCode {
            case .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH:
                throw StoreError.notWritable(path: path, exists: exists)
            case .SQLITE_FULL, .SQLITE_IOERR:
                throw StoreError.diskFull(path: path)
            default:
                throw StoreError(error)
            }
        }
    }

    /// Checks that ``openForReading(path:)`` would accept the file, without opening it for reading or copying an
    /// older one: it exists, is SQLite, is a tracker database no newer than this version, is not empty, and its
    /// schema holds only what tracker made. Cheap (the header and the schema), so a command can check every input
    /// before it changes anything and then open them one at a time.
    ///
    /// - Returns: the file's schema version.
    /// - Throws: what ``openForReading(path:)`` throws for such a file.
    @discardableResult
    public static func checkReadable(path: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missingDatabase(path: path) }
        let found = try inspectWithoutWriting(path: path)
        guard found > 0 else { throw StoreError.emptyDatabase(path: path) }
        return found
    }

    /// Opens a tracker database for reading without changing it in any way: no migration, no `-wal`/`-shm` files
    /// beside it when no process is writing it (see ``ReadOnlyAccess``), so archives on read-only media open too.
    /// A file with an older schema is copied to a temporary folder and the copy migrated and read instead.
    ///
    /// - Throws: ``StoreError`` as ``open(path:create:)`` does, and ``StoreError/missingDatabase(path:)``.
    public static func openForReading(path: String) throws -> TrackerDatabase {
        let found = try checkReadable(path: path)
        do {
            if found == Migration.latestVersion {
                let queue = try DatabaseQueue(path: ReadOnlyAccess.uri(forReading: path),
                                              configuration: ReadOnlyAccess.readingConfiguration(busyTimeout: busyTimeout))
                return TrackerDatabase(path: path, pool: queue, isWritable: false, foundSchemaVersion: found)
            }
            let copy = try MigratedCopy(of: path, busyTimeout: busyTimeout)
            var configuration = Configuration()
            configuration.busyMode = .timeout(busyTimeout)
            configuration.foreignKeysEnabled = true
            configuration.prepareDatabase { db in try ReadOnlyAccess.harden(db) }
            let queue = try DatabaseQueue(path: copy.path, configuration: configuration)
            return TrackerDatabase(path: path, pool: queue, isWritable: true, foundSchemaVersion: found,
                                   migratedCopy: copy)
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            throw StoreError(error)
        }
    }

    /// Opens a database for commands that read runs and may keep what they derive (detected phases): the file
    /// itself when its schema is current and it can be written, else as ``openForReading(path:)`` does. A file is
    /// never migrated in place by such a command (`tracker migrate` does that).
    public static func openForAnalysis(path: String) throws -> TrackerDatabase {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missingDatabase(path: path) }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let writable = FileManager.default.isWritableFile(atPath: path)
            && FileManager.default.isWritableFile(atPath: directory.isEmpty ? "." : directory)
        if writable, try inspectWithoutWriting(path: path) == Migration.latestVersion {
            return try open(path: path, create: false, pooled: false)
        }
        return try openForReading(path: path)
    }

    /// Checks an existing file's header, identity and schema through a read-only connection, so that a file that is
    /// not ours, is newer than we know, or carries views or triggers tracker did not make is refused before anything
    /// could write to it or run them. Returns the file's schema version (0 for an empty file).
    @discardableResult
    static func inspectWithoutWriting(path: String) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StoreError.unreadable(path: path)
        }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        if header.isEmpty { return 0 }  // an empty file is a new database to SQLite
        guard header == Data("SQLite format 3\0".utf8) else { throw StoreError.notSQLite(path: path) }
        let identity: FileIdentity
        let audit: SchemaAudit?
        do {
            let queue = try DatabaseQueue(path: ReadOnlyAccess.uri(forReading: path),
                                          configuration: ReadOnlyAccess.readingConfiguration(busyTimeout: busyTimeout))
            (identity, audit) = try queue.read { db in
                let identity = try FileIdentity.read(db)
                guard case .tracker(let version) = identity, version <= Migration.latestVersion else {
                    return (identity, nil)
                }
                return (identity, try SchemaAudit.audit(db, version: version))
            }
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
        default:
            if let problem = audit?.problems.first {
                throw StoreError.tamperedSchema(path: path, detail: problem)
            }
            return identity.version
        }
    }

    /// The schema version stored in the file (`PRAGMA user_version`).
    public func schemaVersion() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
    }

    /// Runs `body` on a reader connection, turning SQLite errors into ``StoreError``.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let error as DatabaseError { throw storeError(error) }
    }

    /// Runs `body` in a write transaction, turning SQLite errors into ``StoreError``.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch let error as DatabaseError { throw storeError(error) }
    }

    /// SQLite's error as a ``StoreError``, naming this file when it could not be written.
    func storeError(_ error: DatabaseError) -> StoreError {
        // A write the file system refused: ENOSPC is SQLITE_FULL; EFBIG (a file-size limit) and device errors are
        // SQLite's write I/O error.
        error.resultCode == .SQLITE_FULL || error.extendedResultCode == .SQLITE_IOERR_WRITE
            || error.extendedResultCode == .SQLITE_IOERR_FSYNC ? .diskFull(path: path) : StoreError(error)
    }

    /// Whether the file this connection writes was unlinked, renamed or replaced since it was opened (SQLite's
    /// `SQLITE_FCNTL_HAS_MOVED`): writing on would put rows in a file no one can open.
    func hasMoved(_ db: Database) -> Bool {
        var moved: Int32 = 0
        let code = sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_HAS_MOVED, &moved)
        return code == SQLITE_OK && moved != 0
    }
}

extension StoreError {
    /// One line from SQLite's error: its message and the statement that failed.
    init(_ error: DatabaseError) {
        self = .sqlite(message: error.message ?? "\(error.resultCode)", sql: error.sql)
    }
}
