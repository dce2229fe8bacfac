// `tracker migrate`: upgrade a file's schema by copy, migrate, check and atomic swap, keeping the original.
import Foundation
import GRDB

/// What `tracker migrate` did.
public struct FileMigrationOutcome: Sendable, Equatable {
    public var path: String
    public var fromVersion: Int
    public var toVersion: Int
    /// The original file, kept under a new name; nil when the file was already current.
    public var backupPath: String?
}

extension TrackerDatabase {
    /// Upgrades the database at `path` to the current schema without ever leaving a half-migrated file: the file is
    /// copied beside itself, the copy migrated and checked (`integrity_check`, `foreign_key_check`), the original
    /// kept as `<file>.schema-<N>.bak` (a hard link, so no second copy of the bytes when the file system allows) and
    /// the copy renamed over the file in one atomic step.
    ///
    /// - Throws: ``StoreError`` when the file is not a tracker database, is newer, has a tampered schema, a run is
    ///   still recording into it (heartbeat within `activeWithin` seconds), or the migrated copy fails a check. In
    ///   every case the file is left as it was.
    public static func migrateFile(path: String, activeWithin: TimeInterval = 120) throws -> FileMigrationOutcome {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missingDatabase(path: path) }
        let found = try inspectWithoutWriting(path: path)
        guard found > 0 else { throw StoreError.emptyDatabase(path: path) }
        guard found < Migration.latestVersion else {
            return FileMigrationOutcome(path: path, fromVersion: found, toVersion: found, backupPath: nil)
        }
        let check = try TrackerDatabase.check(path: path, staleAfter: activeWithin)
        if let active = try activeRun(path: path, within: activeWithin) {
            throw StoreError.fileInUse(path: path, detail: "run \(active) recorded into it less than "
                                       + "\(Int(activeWithin)) s ago")
        }
        guard check.integrity == ["ok"], check.foreignKeyViolations.isEmpty else {
            throw StoreError.damaged(path: path, detail: (check.integrity.first { $0 != "ok" }
                                                         ?? check.foreignKeyViolations.first) ?? "?")
        }
        // Fold a write-ahead log left behind into the file first: a log must never lie beside the swapped-in copy.
        if FileManager.default.fileExists(atPath: path + "-wal") {
            try checkpoint(path: path)
        }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        let copy = folder.appendingPathComponent(".\(url.lastPathComponent).migrating-\(UUID().uuidString.lowercased())").path
        defer { for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: copy + suffix) } }
        do {
            let source = try DatabaseQueue(path: ReadOnlyAccess.uri(forReading: path),
                                           configuration: ReadOnlyAccess.readingConfiguration(busyTimeout: busyTimeout))
            try source.inDatabase { db in try db.execute(sql: "VACUUM INTO ?", arguments: [copy]) }
            try source.close()
            var configuration = Configuration()
            configuration.busyMode = .timeout(busyTimeout)
            configuration.prepareDatabase { db in try ReadOnlyAccess.harden(db) }
            let queue = try DatabaseQueue(path: copy, configuration: configuration)
            try queue.writeWithoutTransaction { db in
                try Migrator.migrate(db, path: path)
                let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                let violations = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
                guard integrity == ["ok"], violations.isEmpty else {
                    throw StoreError.damaged(path: path, detail: "the migrated copy failed its check: "
                                             + (integrity.first { $0 != "ok" } ?? "\(violations.count) foreign-key violations"))
                }
            }
            try queue.close()
        } catch let error as DatabaseError {
            throw StoreError(error)
        }
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: copy + suffix) }
        let backup = availableBackupPath(for: path, version: found)
        if link(path, backup) != 0 {
            do { try FileManager.default.copyItem(atPath: path, toPath: backup) } catch {
                throw StoreError.unwritable(path: backup)
            }
        }
        guard rename(copy, path) == 0 else {
            try? FileManager.default.removeItem(atPath: backup)
            throw StoreError.unwritable(path: path)
        }
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        return FileMigrationOutcome(path: path, fromVersion: found, toVersion: Migration.latestVersion,
                                    backupPath: backup)
    }

    /// A run whose last sign of life is within `seconds`: someone is recording into the file.
    private static func activeRun(path: String, within seconds: TimeInterval) throws -> Int64? {
        let queue = try DatabaseQueue(path: ReadOnlyAccess.uri(forReading: path),
                                      configuration: ReadOnlyAccess.readingConfiguration(busyTimeout: busyTimeout))
        defer { try? queue.close() }
        return try queue.read { db in
            try StaleRun.running(in: db, now: Date()).first { !$0.isStale(after: seconds) }?.id
        }
    }

    /// Folds the write-ahead log into the file (the content does not change), so no log is left beside it.
    private static func checkpoint(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in try ReadOnlyAccess.harden(db) }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
        if FileManager.default.fileExists(atPath: path + "-wal") {
            throw StoreError.fileInUse(path: path, detail: "its write-ahead log could not be folded in")
        }
    }

    /// `<file>.schema-<N>.bak`, or with `-2`, `-3`, ... when that exists.
    private static func availableBackupPath(for path: String, version: Int) -> String {
        let base = "\(path).schema-\(version).bak"
        var candidate = base
        var number = 2
        while FileManager.default.fileExists(atPath: candidate) {
            candidate = "\(base)-\(number)"
            number += 1
        }
        return candidate
    }
}
