// Reading a database file without writing to it, and hardening every connection against a tampered schema.
import CSQLiteDefensive
import Foundation
import GRDB

/// How tracker opens a file it must not change.
///
/// A tracker database is in WAL mode, and SQLite creates `-wal` and `-shm` files beside a WAL database even for a
/// read-only connection, and cannot remove them afterwards. So when no write-ahead log lies beside the file (no
/// process is writing it, and none crashed while writing), tracker opens it `immutable=1`: SQLite then reads the
/// file alone, takes no locks and creates nothing, which also works on read-only media. When a log is there, its
/// pages are part of the database, so the file is opened `mode=ro` and shares the writer's `-shm`.
enum ReadOnlyAccess {
    /// The SQLite URI that opens `path` read-only as described above.
    static func uri(forReading path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let hasLog = FileManager.default.fileExists(atPath: absolute + "-wal")
        return "file:" + escaped(absolute) + (hasLog ? "?mode=ro" : "?immutable=1")
    }

    /// `path` with the characters an SQLite URI gives meaning to (`%`, `?`, `#`) and anything outside printable ASCII
    /// percent-encoded.
    static func escaped(_ path: String) -> String {
        var allowed = CharacterSet(charactersIn: "!$&'()*+,-./0123456789:;=@ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
                                   + "abcdefghijklmnopqrstuvwxyz~")
        allowed.remove(charactersIn: "%?#")
        return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
    }

    /// A configuration for reading: read-only, hardened, waiting on a writer's lock instead of failing at once.
    static func readingConfiguration(busyTimeout: TimeInterval) -> Configuration {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in try harden(db) }
        return configuration
    }

    /// SQLite's defensive mode, so that no statement can write to the schema table or corrupt the file on purpose.
    ///
    /// Why not also `trusted_schema = OFF`: with it, SQLite 3.40 refuses the JSON functions that tracker's own CHECK
    /// constraints and views use (they are not marked innocuous), so tracker's own files would not open. Instead,
    /// ``SchemaAudit`` refuses any file whose views or triggers are not exactly tracker's before anything runs them,
    /// and no application function is registered on tracker's connections (SQL cannot load extensions).
    static func harden(_ db: Database) throws {
        let code = tracker_sqlite_enable_defensive(db.sqliteConnection)
        guard code == SQLITE_OK else {
            throw StoreError.sqlite(message: "could not enable SQLite's defensive mode (code \(code))", sql: nil)
        }
    }
}

/// A copy of an older tracker database, migrated to the current schema in a temporary folder that is deleted when
/// the copy is no longer used. The original is read once (by `VACUUM INTO`) and never written.
final class MigratedCopy: Sendable {
    let folder: URL
    let path: String

    /// Copies the database at `path` (read through `ReadOnlyAccess`) and migrates the copy.
    init(of original: String, busyTimeout: TimeInterval) throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("tracker-copy-\(UUID().uuidString.lowercased())", isDirectory: true)
        path = folder.appendingPathComponent("migrated.sqlite").path
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let source = try DatabaseQueue(path: ReadOnlyAccess.uri(forReading: original),
                                           configuration: ReadOnlyAccess.readingConfiguration(busyTimeout: busyTimeout))
            try source.inDatabase { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
            try source.close()
            var configuration = Configuration()
            configuration.busyMode = .timeout(busyTimeout)
            let copy = try DatabaseQueue(path: path, configuration: configuration)
            try copy.writeWithoutTransaction { db in try Migrator.migrate(db, path: original) }
            try copy.close()
        } catch {
            try? FileManager.default.removeItem(at: folder)
            if let error = error as? StoreError { throw error }
            if let error = error as? DatabaseError { throw StoreError(error) }
            throw StoreError.unreadable(path: original)
        }
    }

    deinit { try? FileManager.default.removeItem(at: folder) }
}
