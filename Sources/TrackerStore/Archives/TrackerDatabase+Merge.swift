// Merging tracker databases: runs copied by uuid, shared rows deduplicated by content hash, every id remapped.
import Foundation
import GRDB

/// What merging one source file did.
public struct MergeReport: Sendable, Equatable {
    /// The source file as given.
    public var source: String
    /// The source's schema version as found (an older one was read from a migrated temporary copy).
    public var sourceSchemaVersion: Int
    /// Runs copied in, and runs already present with identical contents (skipped).
    public var runsAdded = 0
    public var runsAlreadyPresent = 0
    /// Runs present in both files whose contents differ: kept as they were in the target, reported here.
    public var conflicts: [MergeConflict] = []
    /// Rows inserted, by table.
    public var rowsAdded: [String: Int] = [:]

    public var totalRowsAdded: Int { rowsAdded.values.reduce(0, +) }
}

/// A run whose uuid both files hold with different contents.
public struct MergeConflict: Sendable, Equatable, CustomStringConvertible {
    public var uuid: String
    /// The first difference found, e.g. "step_metrics: 900 rows here, 1200 in the source".
    public var detail: String

    public var description: String { "run \(uuid) differs (\(detail)); the target's copy was kept" }
}

extension TrackerDatabase {
    /// Copies every run of `source` (or those whose uuid is in `runUUIDs`) that this database does not have, with
    /// everything that belongs to them, in one transaction.
    ///
    /// Runs are matched by uuid; architectures, hyperparameter sets and data sets by content hash (so they are
    /// shared with existing rows), and ids are remapped. A run already here with identical contents is skipped, so
    /// merging twice changes nothing; one with different contents is kept as it is here and reported. Derived rows
    /// (detected phases) are copied but not compared: they are recomputed when stale. The tables are discovered from
    /// the schema (foreign keys and unique keys), so tables added by later migrations are merged without new code.
    ///
    /// - Parameter source: read only; an older schema is read from a migrated copy (see ``openForReading(path:)``).
    /// - Throws: ``StoreError`` when the source cannot be read or is this file.
    public func merge(from source: TrackerDatabase, runUUIDs: Set<String>? = nil) throws -> MergeReport {
        guard isWritable, migratedCopy == nil else { throw StoreError.readOnlyDatabase(path: path) }
        if Self.isSameFile(path, source.path) && source.migratedCopy == nil {
            throw StoreError.mergeIntoItself(path: path)
        }
        var report = MergeReport(source: source.path, sourceSchemaVersion: source.foundSchemaVersion)
        let attachURI = source.migratedCopy.map { "file:" + ReadOnlyAccess.escaped($0.path) + "?mode=ro" }
            ?? ReadOnlyAccess.uri(forReading: source.path)
        do {
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "ATTACH DATABASE ? AS merge_source", arguments: [attachURI])
                // A bulk copy: a large page cache for the growing indexes, and WAL commits without an fsync each
                // (still atomic and uncorrupted after a crash; a merge cut short by power loss is simply re-run).
                let synchronous = try Int.fetchOne(db, sql: "PRAGMA main.synchronous") ?? 2
                let cacheSize = try Int.fetchOne(db, sql: "PRAGMA main.cache_size") ?? -2000
                try db.execute(sql: "PRAGMA main.synchronous = NORMAL; PRAGMA main.cache_size = -65536")
                defer {
                    try? db.execute(sql: "PRAGMA main.synchronous = \(synchronous); PRAGMA main.cache_size = \(cacheSize)")
                    try? db.execute(sql: "DETACH DATABASE merge_source")
                }
                try db.inTransaction(.immediate) {
                    report = try MergePlan(db).run(db, report: report, runUUIDs: runUUIDs)
                    return .commit
                }
                try db.execute(sql: "DROP TABLE IF EXISTS temp.merge_selected_runs")
                for table in try String.fetchAll(db, sql: """
                    SELECT name FROM temp.sqlite_master WHERE type = 'table' AND name LIKE 'merge\\_map\\_%' ESCAPE '\\'
                    """) {
                    try db.execute(sql: "DROP TABLE temp.\"\(table)\"")
                }
            }
        } catch let error as DatabaseError {
            throw storeError(error)
        }
        return report
    }

    /// Whether two paths name the same file (after resolving links), or the same inode.
    public static func isSameFile(_ first: String, _ second: String) -> Bool {
        let a = URL(fileURLWithPath: first).resolvingSymlinksInPath().standardizedFileURL.path
        let b = URL(fileURLWithPath: second).resolvingSymlinksInPath().standardizedFileURL.path
        if a == b { return true }
        let manager = FileManager.default
        guard let left = try? manager.attributesOfItem(atPath: a), let right = try? manager.attributesOfItem(atPath: b),
              let leftNode = left[.systemFileNumber] as? UInt64, let rightNode = right[.systemFileNumber] as? UInt64,
              let leftDevice = left[.systemNumber] as? UInt64, let rightDevice = right[.systemNumber] as? UInt64
        else { return false }
        return leftNode == rightNode && leftDevice == rightDevice
    }
}

/// How the tables of the schema are merged, read from the schema itself.
///
/// - A *keyed* table has an `id INTEGER PRIMARY KEY` and a one-column unique key (`content_hash`, `uuid`): its rows
///   are matched by that key, inserted when missing, and their ids mapped in `temp.merge_map_<table>`.
/// - A *dependent* table hangs off keyed tables by foreign keys (`layers`, `hyperparameters`, `tags`,
///   `step_metrics`, `snapshots`, ...): its rows are copied, foreign keys remapped, when a parent row is new.
struct MergePlan {
    struct ForeignKey {
        var column: String
        var parent: String
    }

    struct Table {
        var name: String
        var columns: [String]
        var foreignKeys: [ForeignKey]
        /// The unique natural key of a keyed table; nil for a dependent table.
        var naturalKey: String?
    }

    /// Tables in an order where every parent comes before its children.
    var tables: [Table]

    /// Tables whose rows are derived from others and recomputed when stale: copied, never compared.
    static let derivedTables: Set<String> = ["phase_results"]

    init(_ db: Database) throws {
        let names = try String.fetchAll(db, sql: """
            SELECT name FROM main.sqlite_master WHERE type = 'table'
              AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'schema_migrations'
            ORDER BY name
            """)
        var byName: [String: Table] = [:]
        for name in names {
            let columns = try Row.fetchAll(db, sql: "SELECT name, type, pk FROM pragma_table_info(?, 'main')",
                                           arguments: [name])
            let foreignKeys = try Row.fetchAll(db, sql: """
                SELECT "from", "table" FROM pragma_foreign_key_list(?, 'main')
                """, arguments: [name]).map { ForeignKey(column: $0[0], parent: $0[1]) }
            var naturalKey: String?
            let primaryKey = columns.filter { ($0["pk"] as Int) > 0 }
            if primaryKey.count == 1, (primaryKey[0]["name"] as String) == "id",
               (primaryKey[0]["type"] as String).uppercased() == "INTEGER" {
                naturalKey = try String.fetchOne(db, sql: """
                    SELECT info.name FROM pragma_index_list(?, 'main') AS list
                    JOIN pragma_index_info(list.name, 'main') AS info
                    WHERE list."unique" = 1 AND list.origin <> 'pk'
                      AND (SELECT count(*) FROM pragma_index_info(list.name, 'main')) = 1
                    ORDER BY info.name LIMIT 1
                    """, arguments: [name])
            }
            byName[name] = Table(name: name, columns: columns.map { $0["name"] }, foreignKeys: foreignKeys,
                                 naturalKey: naturalKey)
        }
        // Parents first (depth-first over foreign keys; the schema has no cycles).
        var ordered: [Table] = []
        var placed: Set<String> = []
        func place(_ name: String, _ path: Set<String>) {
            guard !placed.contains(name), !path.contains(name), let table = byName[name] else { return }
            for key in table.foreignKeys where key.parent != name { place(key.parent, path.union([name])) }
            placed.insert(name)
            ordered.append(table)
        }
        for name in names { place(name, []) }
        tables = ordered
    }

    func run(_ db: Database, report: MergeReport, runUUIDs: Set<String>?) throws -> MergeReport {
        var report = report
        let sourceColumns = try Dictionary(uniqueKeysWithValues: tables.map { table in
            (table.name, Set(try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?, 'merge_source')",
                                                 arguments: [table.name])))
        })
        for table in tables where sourceColumns[table.name] != Set(table.columns) {
            throw StoreError.sqlite(message: "table \(table.name) of the source does not match this schema", sql: nil)
        }
        try db.execute(sql: "CREATE TEMP TABLE merge_selected_runs (uuid TEXT PRIMARY KEY)")
        if let runUUIDs {
            for uuid in runUUIDs { try db.execute(sql: "INSERT INTO temp.merge_selected_runs VALUES (?)", arguments: [uuid]) }
        }
        let runs = tables.first { $0.name == "runs" }
        for table in tables {
            if let key = table.naturalKey {
                try mergeKeyed(table, key: key, db, runs: runs, restricted: runUUIDs != nil, report: &report)
            } else {
                try copyDependent(table, db, report: &report)
            }
        }
        report.runsAdded = try Int.fetchOne(db, sql: "SELECT count(*) FROM temp.merge_map_runs WHERE is_new") ?? 0
        let present = try Row.fetchAll(db, sql: """
            SELECT m.source_id, m.target_id, r.uuid FROM temp.merge_map_runs m JOIN main.runs r ON r.id = m.target_id
            WHERE NOT m.is_new ORDER BY r.uuid
            """)
        for row in present {
            if let difference = try firstDifference(db, sourceRun: row[0], targetRun: row[1]) {
                report.conflicts.append(MergeConflict(uuid: row[2], detail: difference))
            } else {
                report.runsAlreadyPresent += 1
            }
        }
        return report
    }

    /// Maps the source rows of a keyed table onto this database's, inserting those it lacks.
    private func mergeKeyed(_ table: Table, key: String, _ db: Database, runs: Table?, restricted: Bool,
                            report: inout MergeReport) throws {
        let map = "temp.\"merge_map_\(table.name)\""
        try db.execute(sql: """
            CREATE TEMP TABLE "merge_map_\(table.name)" (source_id INTEGER PRIMARY KEY, target_id INTEGER NOT NULL,
                is_new INTEGER NOT NULL)
            """)
        var selection = "1"
        if restricted {
            if table.name == "runs" {
                selection = "s.uuid IN (SELECT uuid FROM temp.merge_selected_runs)"
            } else if let runs, runs.foreignKeys.contains(where: { $0.parent == table.name }) {
                let references = runs.foreignKeys.filter { $0.parent == table.name }.map { "\"\($0.column)\"" }
                selection = references.map { column in
                    "s.id IN (SELECT \(column) FROM merge_source.runs WHERE uuid IN (SELECT uuid FROM temp.merge_selected_runs))"
                }.joined(separator: " OR ")
            }
        }
        let quoted = "\"\(table.name)\""
        try db.execute(sql: """
            INSERT INTO \(map) SELECT s.id, m.id, 0 FROM merge_source.\(quoted) s
            JOIN main.\(quoted) m ON m."\(key)" = s."\(key)" WHERE \(selection)
            """)
        let columns = table.columns.filter { $0 != "id" }
        let values = columns.map { column in expression(for: column, in: table) }
        try db.execute(sql: """
            INSERT INTO main.\(quoted) (\(columns.map { "\"\($0)\"" }.joined(separator: ", ")))
            SELECT \(values.joined(separator: ", ")) FROM merge_source.\(quoted) s
            WHERE (\(selection)) AND s.id NOT IN (SELECT source_id FROM \(map)) ORDER BY s.id
            """)
        report.rowsAdded[table.name, default: 0] += db.changesCount
        try db.execute(sql: """
            INSERT INTO \(map) SELECT s.id, m.id, 1 FROM merge_source.\(quoted) s
            JOIN main.\(quoted) m ON m."\(key)" = s."\(key)"
            WHERE (\(selection)) AND s.id NOT IN (SELECT source_id FROM \(map))
            """)
    }

    /// Copies the rows of a dependent table whose parent rows were inserted by this merge.
    private func copyDependent(_ table: Table, _ db: Database, report: inout MergeReport) throws {
        let keyed = table.foreignKeys.filter { key in tables.contains { $0.name == key.parent && $0.naturalKey != nil } }
        guard !keyed.isEmpty else { return }  // belongs to no run or spec: nothing to carry over
        var joins: [String] = []
        var newParent: [String] = []
        for (index, key) in keyed.enumerated() {
            joins.append("JOIN temp.\"merge_map_\(key.parent)\" p\(index) ON p\(index).source_id = s.\"\(key.column)\"")
            newParent.append("p\(index).is_new")
        }
        let values = table.columns.map { column -> String in
            if let index = keyed.firstIndex(where: { $0.column == column }) { return "p\(index).target_id" }
            return "s.\"\(column)\""
        }
        let verb = keyed.count > 1 ? "INSERT OR IGNORE" : "INSERT"
        try db.execute(sql: """
            \(verb) INTO main."\(table.name)" (\(table.columns.map { "\"\($0)\"" }.joined(separator: ", ")))
            SELECT \(values.joined(separator: ", ")) FROM merge_source."\(table.name)" s \(joins.joined(separator: " "))
            WHERE \(newParent.joined(separator: " OR "))
            """)
        report.rowsAdded[table.name, default: 0] += db.changesCount
    }

    /// A keyed table's column as selected from the source row `s`: a foreign key through its parent's id map.
    private func expression(for column: String, in table: Table) -> String {
        guard let key = table.foreignKeys.first(where: { $0.column == column }),
              tables.contains(where: { $0.name == key.parent && $0.naturalKey != nil }) else {
            return "s.\"\(column)\""
        }
        return "(SELECT target_id FROM temp.\"merge_map_\(key.parent)\" WHERE source_id = s.\"\(column)\")"
    }

    /// The first difference between a run here and the run with the same uuid in the source, or nil when they hold
    /// the same data (derived tables aside). Foreign keys are compared by the natural keys they point to.
    func firstDifference(_ db: Database, sourceRun: Int64, targetRun: Int64) throws -> String? {
        guard let runs = tables.first(where: { $0.name == "runs" }) else { return nil }
        // The run's row on both sides in one query each, foreign keys read as the natural keys they point to.
        let columns = runs.columns.filter { $0 != "id" }
        func selection(_ schema: String) -> String {
            columns.map { column -> String in
                if let key = runs.foreignKeys.first(where: { $0.column == column }),
                   let parent = tables.first(where: { $0.name == key.parent }), let natural = parent.naturalKey {
                    return "(SELECT \"\(natural)\" FROM \(schema).\"\(parent.name)\" WHERE id = r.\"\(column)\")"
                }
                return "r.\"\(column)\""
            }.joined(separator: ", ")
        }
        let here = try Row.fetchOne(db, sql: "SELECT \(selection("main")) FROM main.runs r WHERE r.id = ?",
                                    arguments: [targetRun])
        let there = try Row.fetchOne(db, sql: "SELECT \(selection("merge_source")) FROM merge_source.runs r WHERE r.id = ?",
                                     arguments: [sourceRun])
        if let here, let there {
            for (index, column) in columns.enumerated() where here[index] as DatabaseValue != there[index] as DatabaseValue {
                return "\(column): \(describe(here[index])) here, \(describe(there[index])) in the source"
            }
        }
        for table in tables where !Self.derivedTables.contains(table.name) {
            guard let key = table.foreignKeys.first(where: { $0.parent == "runs" }) else { continue }
            let others = table.columns.filter { $0 != key.column }.map { "\"\($0)\"" }.joined(separator: ", ")
            let quoted = "\"\(table.name)\""
            let hereCount = try Int.fetchOne(db, sql: "SELECT count(*) FROM main.\(quoted) WHERE \"\(key.column)\" = ?",
                                             arguments: [targetRun]) ?? 0
            let thereCount = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM merge_source.\(quoted) WHERE \"\(key.column)\" = ?",
                arguments: [sourceRun]) ?? 0
            if hereCount != thereCount {
                return "\(table.name): \(hereCount) rows here, \(thereCount) in the source"
            }
            let differing = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM (SELECT \(others) FROM main.\(quoted) WHERE "\(key.column)" = ?
                EXCEPT SELECT \(others) FROM merge_source.\(quoted) WHERE "\(key.column)" = ?)
                """, arguments: [targetRun, sourceRun]) ?? 0
            if differing > 0 {
                return "\(table.name): \(differing) of \(hereCount) rows differ"
            }
        }
        return nil
    }

    private func describe(_ value: DatabaseValue?) -> String {
        guard let value, !value.isNull else { return "NULL" }
        if let text = String.fromDatabaseValue(value) { return "'\(text)'" }
        return value.description
    }
}
