// The schema's migrations: the numbered SQL files of Migrations/, compiled into the binary, applied in order.
import Foundation
import GRDB

/// One numbered file of `Migrations/`, e.g. `0001_initial.sql` → version 1, name `initial`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    /// Every embedded migration, by ascending version. Versions run 1, 2, 3, ... without gaps.
    public static let all: [Migration] = {
        do { return try parseAll(EmbeddedFiles.base64ByPath) } catch {
            preconditionFailure("embedded migrations are malformed: \(error)")  // a build defect; tests catch it
        }
    }()

    /// The schema version this tracker writes.
    public static var latestVersion: Int { all.last?.version ?? 0 }

    /// Parses `Migrations/NNNN_name.sql` entries of an embedded-file table.
    static func parseAll(_ files: [String: String]) throws -> [Migration] {
        var migrations: [Migration] = []
        for (path, base64) in files where path.hasPrefix("Migrations/") && path.hasSuffix(".sql") {
            let fileName = String(path.dropFirst("Migrations/".count).dropLast(".sql".count))
            let parts = fileName.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]), version > 0 else {
                throw StoreError.invalidMigration(name: path, reason: "name must be NNNN_name.sql")
            }
            guard let data = Data(base64Encoded: base64), let sql = String(data: data, encoding: .utf8) else {
                throw StoreError.invalidMigration(name: path, reason: "not UTF-8 text")
            }
            migrations.append(Migration(version: version, name: String(parts[1]), sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        for (index, migration) in migrations.enumerated() where migration.version != index + 1 {
            throw StoreError.invalidMigration(
                name: "\(migration.version)_\(migration.name)", reason: "versions must run 1, 2, 3, ... without gaps")
        }
        return migrations
    }
}

/// Applies pending migrations inside one exclusive transaction.
///
/// Why not GRDB's `DatabaseMigrator`: it reads the applied migrations outside the transactions that apply them,
/// and runs each migration in a transaction of its own, so two processes opening a new file at once can both
/// try to apply migration 1, and a failure midway leaves a half-migrated file. Here the version check and every
/// pending migration share one `BEGIN EXCLUSIVE` transaction: a second process waits, then finds nothing to do,
/// and a failing migration leaves the file exactly as it was.
enum Migrator {
    /// `PRAGMA application_id` of every tracker database: "TRKR" in ASCII.
    static let applicationID: Int32 = 0x5452_4B52

    ///
    /// Foreign keys are off while migrations run (SQLite ignores the setting inside a transaction, so it is switched
    /// before), so that a migration can rebuild a table others refer to without cascading deletes, as SQLite's
    /// documented procedure for schema changes does; every foreign key is checked before the transaction commits.
    static func migrate(_ db: Database, path: String, migrations: [Migration] = Migration.all) throws {
        let foreignKeys = try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") ?? false
        if foreignKeys { try db.execute(sql: "PRAGMA foreign_keys = OFF") }
        defer { if foreignKeys { try? db.execute(sql: "PRAGMA foreign_keys = ON") } }
        try db.inTransaction(.exclusive) {
            let identity = try FileIdentity.read(db)
            switch identity {
            case .foreign: throw StoreError.notTrackerDatabase(path: path)
            case .tracker(let version) where version > (migrations.last?.version ?? 0):
                throw StoreError.newerSchema(path: path, found: version, supported: migrations.last?.version ?? 0)
            default: break
            }
            let current = identity.version
            let pending = migrations.filter { $0.version > current }
            guard !pending.isEmpty else { return .commit }
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            for migration in pending {
                do {
                    try db.execute(sql: migration.sql)
                } catch let error as DatabaseError {
                    throw StoreError.invalidMigration(
                        name: "\(migration.version)_\(migration.name)", reason: error.message ?? "\(error)")
                }
                try db.execute(
                    sql: "INSERT INTO schema_migrations (version, name, applied_at, tracker_version) VALUES (?, ?, ?, ?)",
                    arguments: [migration.version, migration.name, Timestamp.string(), TrackerVersion.current])
                try db.execute(sql: "PRAGMA user_version = \(migration.version)")
            }
            if let violation = try Row.fetchOne(db, sql: "PRAGMA foreign_key_check") {
                throw StoreError.invalidMigration(
                    name: "\(pending.last!.version)_\(pending.last!.name)",
                    reason: "it leaves a row of \(violation[0] as String? ?? "?") without its \(violation[2] as String? ?? "?") row")
            }
            return .commit
        }
    }
}

/// What an SQLite file is, judged from its header fields and schema, without changing it.
enum FileIdentity: Equatable {
    /// A new, empty SQLite file: no application id and no schema objects.
    case empty
    /// A tracker database at this schema version.
    case tracker(version: Int)
    /// Some other SQLite database.
    case foreign

    var version: Int {
        if case .tracker(let version) = self { return version }
        return 0
    }

    static func read(_ db: Database) throws -> FileIdentity {
        let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        if applicationID == Migrator.applicationID {
            return .tracker(version: try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0)
        }
        let objects = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
        return applicationID == 0 && objects == 0 ? .empty : .foreign
    }
}
